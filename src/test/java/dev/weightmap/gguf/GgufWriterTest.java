// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.weightmap.gguf.GgufTestSupport.fixtures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The writer reproduces gguf-py's {@code GGUFWriter} files byte for byte. */
class GgufWriterTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny_llama_f32.gguf", "all_types.gguf", "kquants.gguf", "metadata_types.gguf",
            "alignment_64.gguf", "zero_tensors.gguf", "odd_shapes.gguf"})
    void rewritingAFixtureGivesTheSameBytes(String name, @TempDir Path tmp) throws Exception {
        Path out = tmp.resolve(name);
        try (GgufFile g = GgufFile.open(fixtures().resolve(name))) {
            GgufWriter w = new GgufWriter().putAll(g);
            for (GgufTensorInfo t : g.infos()) {
                w.tensor(t.name(), t.type(), t.ne(), g.raw(t.name()));
            }
            w.write(out);
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(fixtures().resolve(name)));
    }

    @Test
    void valuesBuiltByHandReadBack(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("m.gguf");
        new GgufWriter().put("general.architecture", GgufValueType.STRING, "llama")
                .put("general.alignment", GgufValueType.UINT32, 64)
                .put("u64", GgufValueType.UINT64, new BigInteger("18446744073709551615"))
                .put("i8", GgufValueType.INT8, -128).put("b", GgufValueType.BOOL, true)
                .put("f", GgufValueType.FLOAT32, 0.5f)
                .putArray("nested", GgufValueType.ARRAY, List.of(new GgufWriter.Array(GgufValueType.INT32, List.of(1, 2)),
                        new GgufWriter.Array(GgufValueType.STRING, List.of("x"))))
                .tensor("t", GgmlType.F32, new long[] {2, 3}, MemorySegment.ofArray(new float[6]))
                .tensor("q", GgmlType.Q8_0, new long[] {32}, MemorySegment.ofArray(new byte[34]))
                .write(out);
        try (GgufFile g = GgufFile.open(out)) {
            assertThat(g.alignment()).isEqualTo(64);
            assertThat(g.value("u64")).hasToString("18446744073709551615");
            assertThat(g.integer("i8")).isEqualTo(-128);
            assertThat(g.bool("b")).isTrue();
            assertThat(g.array("nested").toList(9)).isEqualTo(List.of(List.of(1, 2), List.of("x")));
            assertThat(g.info("t").shape()).containsExactly(3, 2);
            assertThat(g.info("q").offset() % 64).isZero();
        }
    }

    @Test
    void badInputsAreRefused() {
        GgufWriter w = new GgufWriter().put("k", GgufValueType.UINT8, 1);
        for (Runnable r : List.<Runnable>of(
                () -> w.put("k", GgufValueType.UINT8, 2),
                () -> w.put("x", GgufValueType.UINT8, 256),
                () -> w.put("x", GgufValueType.INT32, 1.5),
                () -> w.put("x", GgufValueType.UINT64, -1),
                () -> w.put("general.alignment", GgufValueType.UINT32, 48),
                () -> w.put("general.alignment", GgufValueType.UINT64, 32),
                () -> w.putArray("x", GgufValueType.STRING, List.of(1)),
                () -> w.tensor("t", GgmlType.Q4_0, new long[] {33}, MemorySegment.ofArray(new byte[18])),
                () -> w.tensor("t", GgmlType.F32, new long[] {2}, MemorySegment.ofArray(new byte[4])),
                () -> w.tensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, MemorySegment.ofArray(new byte[4])))) {
            assertThatThrownBy(r::run).isInstanceOf(GgufException.class)
                    .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
        }
    }
}
