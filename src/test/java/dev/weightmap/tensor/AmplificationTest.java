// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.shard.SaveOptions;
import dev.weightmap.shard.StateDicts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Materialised against stored bytes, the library check behind the CLI's AMPLIFICATION refusals. */
class AmplificationTest {
    @TempDir
    Path tmp;

    /** A stride-0 view of one float with {@code n} elements. */
    private static Tensor expanded(long n) {
        return Tensor.of(MemorySegment.ofArray(new float[] {1.5f}), DType.F32, new long[] {n}, new long[] {0}, 0);
    }

    @Test
    void ordinaryAndTiedTensorsAreNotExcessive() {
        Tensor a = Tensor.ofFloats(new float[1000], 10, 100);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("a", a);
        sd.put("tied", a);
        sd.put("t", a.transpose(0, 1));
        sd.put("empty", Tensor.ofFloats(new float[0], 0));
        Amplification amp = Amplification.of(sd);
        assertThat(amp.storedBytes()).isEqualTo(4000);
        assertThat(amp.materialisedBytes()).isEqualTo(12000); // every name counts
        assertThat(amp.isExcessive()).isFalse();
        amp.check("f", "op", "x");
        // overlapping and disjoint ranges of one array: the union
        MemorySegment seg = MemorySegment.ofArray(new byte[100]);
        Map<String, Tensor> parts = new LinkedHashMap<>();
        parts.put("a", Tensor.of(seg, DType.U8, new long[] {30}, new long[] {1}, 0));
        parts.put("b", Tensor.of(seg, DType.U8, new long[] {30}, new long[] {1}, 20));
        parts.put("c", Tensor.of(seg, DType.U8, new long[] {10}, new long[] {1}, 90));
        parts.put("d", Tensor.of(seg, DType.U8, new long[] {5}, new long[] {1}, 22));
        assertThat(Amplification.of(parts)).isEqualTo(new Amplification(75, 60, null));
    }

    @Test
    void anExpandedViewIsExcessiveAndTheCheckSaysHowMuchFromHowLittle() throws Exception {
        Amplification amp = Amplification.of("x", expanded(1L << 40));
        assertThat(amp.materialisedBytes()).isEqualTo(1L << 42);
        assertThat(amp.storedBytes()).isEqualTo(4);
        assertThat(amp.isExcessive()).isTrue();
        assertThatThrownBy(() -> amp.check("in.pt", "convert", "pass --force"))
                .isInstanceOfSatisfying(WeightmapException.class, e -> {
                    assertThat(e.code()).isEqualTo("AMPLIFICATION");
                    assertThat(e.file()).isEqualTo("in.pt");
                    assertThat(e.item()).isEqualTo("x");
                })
                .hasMessage("in.pt: convert would materialise 4398046511104 bytes (4.0 TiB) from 4 bytes of stored"
                        + " tensor data (more than 16x + 67108864 bytes (64.0 MiB); tensor `x` is an expanded or"
                        + " overlapping view); pass --force to go ahead");
        // within the allowance: a modest broadcast is fine
        assertThat(Amplification.of("y", expanded(1 << 20)).isExcessive()).isFalse();
        try (Weights w = Weights.open(Path.of(getClass().getResource("/fixtures/torch-hostile/expanded.pt").toURI()))) {
            assertThat(w.amplification()).isEqualTo(new Amplification(1L << 42, 4, "x"));
        }
    }

    @Test
    void saveRefusesUnlessAllowed() throws Exception {
        long n = (Amplification.ALLOWANCE / 4) + 1024; // just above the allowance
        Map<String, Tensor> sd = Map.of("x", expanded(n));
        assertThatThrownBy(() -> StateDicts.save(sd, tmp, SaveOptions.defaults()))
                .isInstanceOfSatisfying(WeightmapException.class, e -> assertThat(e.code()).isEqualTo("AMPLIFICATION"))
                .hasMessageContaining("allowAmplification(true)");
        try (var s = Files.list(tmp)) {
            assertThat(s).isEmpty();
        }
        StateDicts.save(sd, tmp, SaveOptions.builder().allowAmplification(true).build());
        try (Weights w = Weights.open(tmp.resolve("model.safetensors"))) {
            Tensor x = w.tensor("x");
            assertThat(x.numel()).isEqualTo(n);
            assertThat(x.getFloat(n - 1)).isEqualTo(1.5f);
        }
    }
}
