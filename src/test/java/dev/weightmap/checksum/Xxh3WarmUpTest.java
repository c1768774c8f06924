// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.internal.simd.VectorizationProvider;
import dev.weightmap.internal.simd.Xxh3Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** While the vector kernel warms up, calls alternate between the kernels: the accumulators never differ. */
class Xxh3WarmUpTest {
    @Test
    void alternatingKernelsGiveTheScalarAccumulators() {
        Xxh3Kernel chosen = VectorizationProvider.get().xxh3();
        long blocks = 40 * Xxh3.BLOCKS_PER_CALL + 5;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(blocks * Xxh3Kernel.BLOCK, 64);
            for (long off = 0; off < in.byteSize(); off += 8) {
                in.set(ValueLayout.JAVA_LONG_UNALIGNED, off, off * 0x9E3779B97F4A7C15L);
            }
            MemorySegment secret = Xxh3.secretFor(0);
            long[] expected = Xxh3.initialAcc();
            Xxh3.blocks(Xxh3.SCALAR, expected, in, 0, blocks, secret);
            boolean was = Xxh3.WarmUp.vectorFast;
            try {
                for (boolean fast : new boolean[] {false, true}) {
                    Xxh3.WarmUp.vectorFast = fast;
                    long[] acc = Xxh3.initialAcc();
                    Xxh3.blocks(chosen, acc, in, 0, blocks, secret);
                    assertThat(acc).as(chosen.name() + " vectorFast=" + fast).isEqualTo(expected);
                }
            } finally {
                Xxh3.WarmUp.vectorFast = was || Xxh3.WarmUp.vectorFast;
            }
            assertThat(Arrays.stream(expected).anyMatch(v -> v != 0)).isTrue();
        }
    }
}
