// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.WeightmapException;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GgufFacadeTest {
    @TempDir
    Path tmp;

    private static float[] normal(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    @Test
    void plainTypesAreKeptAndShapesReversed() throws IOException {
        float[] w = normal(6 * 64, 1);
        int[] ids = {1, 2, 3};
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.ofFloats(w, 6, 64));
        tensors.put("ids", Tensor.of(MemorySegment.ofArray(ids), DType.I32, 3));
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("general.architecture", "llama");
        md.put("llama.block_count", 2);
        md.put("flag", true);
        Path out = tmp.resolve("plain.gguf");
        Gguf.Written r = Gguf.write(tensors, md, out);
        assertThat(r.types()).containsExactly(Map.entry("w", GgmlType.F32), Map.entry("ids", GgmlType.I32));
        assertThat(r.unquantized()).isEmpty();
        try (GgufFile g = GgufFile.open(out)) {
            assertThat(g.metadata()).containsEntry("general.architecture", "llama").containsEntry("flag", true);
            assertThat(g.type("llama.block_count")).isEqualTo(GgufValueType.INT32);
            assertThat(g.info("w").ne()).containsExactly(64, 6);
            assertThat(g.tensor("w").shape()).containsExactly(6, 64);
            assertThat(g.raw("w").toArray(ValueLayout.JAVA_FLOAT)).containsExactly(w);
            assertThat(g.raw("ids").toArray(ValueLayout.JAVA_INT)).containsExactly(ids);
        }
    }

    @Test
    void quantizesFloatsWithTheQuantizersBytesAndKeepsIntegers() throws IOException {
        float[] w = normal(4 * 64, 2);
        float[] odd = normal(3 * 40, 3); // 40 is no multiple of 32: stored as F32
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        tensors.put("w", Tensor.ofFloats(w, 4, 64));
        tensors.put("odd", Tensor.ofFloats(odd, 3, 40));
        tensors.put("ids", Tensor.of(MemorySegment.ofArray(new long[] {7, 8}), DType.I64, 2));
        Path out = tmp.resolve("q8.gguf");
        Gguf.Written r = Gguf.write(tensors, Map.of(), GgmlType.Q8_0, out);
        assertThat(r.types()).containsExactly(Map.entry("w", GgmlType.Q8_0), Map.entry("odd", GgmlType.F32),
                Map.entry("ids", GgmlType.I64));
        assertThat(r.unquantized()).containsExactly("odd");
        try (GgufFile g = GgufFile.open(out)) {
            assertThat(g.raw("w").toArray(ValueLayout.JAVA_BYTE))
                    .containsExactly(Quantize.quantize(GgmlType.Q8_0, w, 0, w.length, 1));
            assertThat(g.raw("odd").toArray(ValueLayout.JAVA_FLOAT)).containsExactly(odd);
        }
    }

    @Test
    void aChannelGetsTheSameBytesAsAFile() throws IOException {
        Map<String, Tensor> tensors = Map.of("w", Tensor.ofFloats(normal(64, 4), 2, 32));
        Path file = tmp.resolve("a.gguf");
        Gguf.write(tensors, Map.of(), GgmlType.Q4_0, file);
        Path viaChannel = tmp.resolve("b.gguf");
        try (var ch = java.nio.channels.FileChannel.open(viaChannel, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            Gguf.write(tensors, Map.of(), GgmlType.Q4_0, ch);
        }
        assertThat(viaChannel).hasSameBinaryContentAs(file);
    }

    @Test
    void refusesWhatGgufCannotHold() {
        Path out = tmp.resolve("bad.gguf");
        Tensor fiveDims = Tensor.ofFloats(new float[32], 1, 1, 1, 1, 32);
        assertThatThrownBy(() -> Gguf.write(Map.of("t", fiveDims), Map.of(), out))
                .isInstanceOf(GgufException.class).hasMessageContaining("`t` has 5 dims")
                .extracting(e -> ((WeightmapException) e).reason().name()).isEqualTo("INVALID_ARGUMENT");
        assertThatThrownBy(() -> Gguf.write(Map.of(), Map.of("k", List.of(1)), out))
                .isInstanceOf(GgufException.class).hasMessageContaining("`k`");
        assertThatThrownBy(() -> Gguf.write(Map.of(), Map.of(), GgmlType.Q4_K, out))
                .isInstanceOf(GgufException.class).hasMessageContaining("Q4_K");
        assertThat(out).doesNotExist();
    }
}
