// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

import static org.assertj.core.api.Assertions.assertThat;

/** Save then open gives back every tensor's bytes, for random state dicts, shard limits and tied names. */
@ExtendWith(Seeded.Extension.class)
class RoundTripProperties {
    private static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16, DType.I64, DType.U8, DType.BOOL, DType.F64};

    @Test
    void saveThenOpen(Seeded seeded) {
        seeded.tries(40, g -> saveThenOpen(g.ints(0, 12, 0, 40), g.intIn(0, 300), g));
    }

    @Test
    void saveThenOpenEdgeCases() {
        List<List<Integer>> lengthLists = List.of(List.of(), List.of(0), List.of(40),
                java.util.Collections.nCopies(12, 0), java.util.Collections.nCopies(12, 40), List.of(1, 0, 40, 1));
        for (List<Integer> lengths : lengthLists) {
            for (int maxShard : new int[] {0, 300}) {
                Seeded.example("lengths " + lengths + " max shard " + maxShard,
                        () -> saveThenOpen(lengths, maxShard, new java.util.SplittableRandom(lengths.size())));
            }
        }
    }

    private static void saveThenOpen(List<Integer> lengths, int maxShard, RandomGenerator rnd) throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        int i = 0;
        for (int n : lengths) {
            DType d = DTYPES[rnd.nextInt(DTYPES.length)];
            byte[] bytes = new byte[n * d.byteSize()];
            rnd.nextBytes(bytes);
            if (d == DType.BOOL) {
                for (int k = 0; k < bytes.length; k++) {
                    bytes[k] &= 1;
                }
            }
            Tensor t = Tensor.of(MemorySegment.ofArray(bytes), d, n);
            sd.put("t" + i++, t);
            if (n > 0 && rnd.nextInt(4) == 0) {
                sd.put("tied" + i, t); // a tied alias
            }
        }
        Path dir = Files.createTempDirectory("wm-roundtrip");
        try {
            StateDicts.save(sd, dir, SaveOptions.builder().maxShardSize(maxShard).build());
            try (Checkpoint c = Checkpoints.open(dir)) {
                c.verifyIndex();
                for (Map.Entry<String, Tensor> e : sd.entrySet()) {
                    String name = e.getKey();
                    if (!c.contains(name)) {
                        assertThat(name).startsWith("tied");
                        Object kept = c.metadata().get(name); // removed -> kept (index or file metadata)
                        assertThat(kept).as(name).isNotNull();
                        name = (String) kept;
                    }
                    byte[] expected = e.getValue().data().toArray(ValueLayout.JAVA_BYTE);
                    assertThat(c.tensor(name).data().toArray(ValueLayout.JAVA_BYTE)).as(name).isEqualTo(expected);
                    assertThat(c.tensor(name).shape()).isEqualTo(e.getValue().shape());
                }
            }
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
