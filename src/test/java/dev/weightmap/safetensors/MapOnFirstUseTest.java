// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.WeightsClosedException;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** A file opened with {@link SafetensorsFile#open(Path)} is mapped when its tensor bytes are first asked for. */
class MapOnFirstUseTest {
    @TempDir
    Path dir;

    private Path write(String name, float... values) throws IOException {
        Path p = dir.resolve(name);
        Safetensors.save(Map.of("w", Tensor.ofFloats(values, values.length)), Map.of("k", "v"), p);
        return p;
    }

    @Test
    void headerQueriesNeedNoMappingAndTensorsReadTheFile() throws IOException {
        Path p = write("a.safetensors", 1f, 2f, 3f);
        try (Weights w = Weights.open(p)) {
            assertThat(w.tensorNames()).containsExactly("w");
            assertThat(w.metadata().get("k")).isEqualTo("v");
            assertThat(w.verify().bytes()).isEqualTo(Files.size(p));
            assertThat(w.tensor("w").toFloatArray()).containsExactly(1f, 2f, 3f);
        }
    }

    @Test
    void theFileOpenedIsTheFileRead() throws IOException {
        Path p = write("a.safetensors", 1f, 2f, 3f);
        Path other = write("b.safetensors", 7f, 8f, 9f);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING); // the path now names another file
            assertThat(f.tensor("w").toFloatArray()).containsExactly(1f, 2f, 3f);
        }
    }

    @Test
    void aFileTruncatedBeforeTheFirstTensorIsReportedAsChanged() throws IOException {
        Path p = write("a.safetensors", new float[4096]);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(f.dataStart() + 4);
            }
            assertThat(f.names()).containsExactly("w"); // the header was read at open
            WeightmapException e = catchThrowableOfType(WeightmapException.class, () -> f.tensor("w"));
            assertThat(e.reason()).isEqualTo(WeightmapException.Common.FILE_CHANGED);
        }
    }

    @Test
    void closedBeforeAnyMappingRefusesTheBytes() throws IOException {
        Path p = write("a.safetensors", 1f);
        SafetensorsFile f = SafetensorsFile.open(p);
        f.close();
        assertThat(f.isOpen()).isFalse();
        assertThatThrownBy(() -> f.tensor("w")).isInstanceOf(WeightsClosedException.class);
        assertThatThrownBy(f::segment).isInstanceOf(WeightsClosedException.class);
        assertThatThrownBy(f::retain).isInstanceOf(WeightsClosedException.class);
    }

    @Test
    void aLongHeaderIsCopiedFromTheMapping() throws IOException {
        // a header longer than one positional read (256 KiB), mapped at open: 5,000 tensors with long names
        Map<String, Tensor> many = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 5000; i++) {
            many.put("model.layers." + i + ".a_rather_long_parameter_name_to_grow_the_header.weight",
                    Tensor.ofFloats(new float[] {i}, 1));
        }
        Path p = dir.resolve("long.safetensors");
        Safetensors.save(many, Map.of(), p);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.headerLength()).isGreaterThan(256 << 10);
            assertThat(f.size()).isEqualTo(5000);
            assertThat(f.tensor("model.layers.4321.a_rather_long_parameter_name_to_grow_the_header.weight")
                    .toFloatArray()).containsExactly(4321f);
        }
    }
}
