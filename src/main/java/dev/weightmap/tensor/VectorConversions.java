// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector API conversions; loaded reflectively only when {@code jdk.incubator.vector} is present.
 *
 * <p>BF16 → F32: one int vector holds two BF16 values per lane; shifting gives the even elements, masking the
 * odd ones, and two two-vector rearranges interleave them back into order. (Widening short→int conversions
 * measured far slower here.)
 */
final class VectorConversions extends Conversions {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final int L = INTS.length();
    private static final VectorShuffle<Integer> FIRST =
            VectorShuffle.fromOp(INTS, j -> (j % 2 == 0) ? j / 2 : L + j / 2);
    private static final VectorShuffle<Integer> SECOND =
            VectorShuffle.fromOp(INTS, j -> (j % 2 == 0) ? L / 2 + j / 2 : L + L / 2 + j / 2);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    @Override
    void bf16(MemorySegment src, MemorySegment dst, long n) {
        long step = 2L * L;
        long bound = n - (n % step);
        long i = 0;
        for (; i < bound; i += step) {
            IntVector v = IntVector.fromMemorySegment(INTS, src, i * 2, LE);
            IntVector even = v.lanewise(VectorOperators.LSHL, 16);
            IntVector odd = v.lanewise(VectorOperators.AND, 0xFFFF0000);
            even.rearrange(FIRST, odd).intoMemorySegment(dst, i * 4, LE);
            even.rearrange(SECOND, odd).intoMemorySegment(dst, i * 4 + 4L * L, LE);
        }
        scalarBf16(src, dst, i, n);
    }
}
