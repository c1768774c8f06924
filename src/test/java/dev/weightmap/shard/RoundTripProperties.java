// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** Save then open gives back every tensor's bytes, for random state dicts, shard limits and tied names. */
class RoundTripProperties {
    private static final DType[] DTYPES = {DType.F32, DType.BF16, DType.F16, DType.I64, DType.U8, DType.BOOL, DType.F64};

    @Property(tries = 40)
    void saveThenOpen(@ForAll @Size(min = 0, max = 12) List<@IntRange(min = 0, max = 40) Integer> lengths,
                      @ForAll @IntRange(min = 0, max = 300) int maxShard,
                      @ForAll long seed) throws IOException {
        Random rnd = new Random(seed);
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
