// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.OpenOptions;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.safetensors.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Conversion}: the library side of {@code weightmap convert} and {@code shard}. */
class ConversionTest {
    @TempDir
    Path tmp;

    private Path copy(String resource, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path p = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + resource)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void outputFormatAndPatternFromTheName() {
        assertThat(Conversion.formatOf(Path.of("o/model.safetensors"))).isEqualTo(SaveOptions.Format.SAFETENSORS);
        assertThat(Conversion.formatOf(Path.of("pytorch_model.bin"))).isEqualTo(SaveOptions.Format.TORCH);
        assertThat(Conversion.formatOf(Path.of("x.PT"))).isEqualTo(SaveOptions.Format.TORCH);
        assertThat(Conversion.filenamePatternOf(Path.of("o/model.safetensors"))).isEqualTo("model{suffix}.safetensors");
        assertThat(Conversion.filenamePatternOf(Path.of("pytorch_model.bin"))).isEqualTo("pytorch_model{suffix}.bin");
        for (String bad : List.of("x.txt", "model", "m{a}.safetensors")) {
            assertThatThrownBy(() -> Conversion.formatOf(Path.of(bad))).as(bad)
                    .isInstanceOfSatisfying(WeightmapException.class, e -> assertThat(e.code()).isEqualTo("INVALID_ARGUMENT"));
        }
    }

    @Test
    void asManyShardsAsTheInputAndTheMetadataCarriedOver() throws IOException {
        Path in = tmp.resolve("in");
        for (String f : List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json")) {
            copy("hub/b_sharded/safetensors/" + f, in);
        }
        try (Weights w = Weights.open(in, OpenOptions.defaults())) {
            Map<String, String> md = Conversion.carriedMetadata(w);
            assertThat(md).doesNotContainKeys("format", "total_size");
            assertThat(Conversion.inputShardSize(w)).isLessThan(Long.MAX_VALUE);
            Conversion.Result r = Conversion.convert(w, tmp.resolve("out/pytorch_model.bin"));
            assertThat(r.files().stream().map(p -> p.getFileName().toString())).containsExactly(
                    "pytorch_model-00001-of-00003.bin", "pytorch_model-00002-of-00003.bin",
                    "pytorch_model-00003-of-00003.bin", "pytorch_model.bin.index.json");
            assertThat(r.tensors()).isEqualTo(w.tensorNames().size());
            assertThat(r.bytes()).isEqualTo(r.files().stream().mapToLong(p -> p.toFile().length()).sum());
            try (Weights back = Weights.open(r.directory(), OpenOptions.defaults().withSafe(false))) {
                assertThat(Checksums.hexOfTensors(ChecksumAlgorithm.SHA256, back.tensors(), 1))
                        .containsExactlyInAnyOrderEntriesOf(Checksums.hexOfTensors(ChecksumAlgorithm.SHA256, w.tensors(), 1));
                md.forEach((k, v) -> assertThat(back.metadata().get(k)).isEqualTo(v));
            }
        }
        try (Weights one = Weights.open(copy("safetensors/with_metadata.safetensors", tmp.resolve("one")))) {
            assertThat(Conversion.inputShardSize(one)).isEqualTo(Long.MAX_VALUE);
            Conversion.Result r = Conversion.convert(one, tmp.resolve("one-out/model.safetensors"));
            assertThat(r.files()).singleElement().satisfies(p -> assertThat(p.getFileName().toString())
                    .isEqualTo("model.safetensors"));
        }
    }

    @Test
    void noMetadataFromFormatsWhoseMetadataIsNotStrings() throws IOException {
        try (Weights d = Weights.open(TestFiles.fixtures().resolve("../dduf/pipeline-entries.dduf"))) {
            assertThat(d.metadata()).isNotEmpty();
            assertThat(Conversion.carriedMetadata(d)).isEmpty();
        }
    }
}
