// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector API conversions; created only by {@link VectorProvider}, which is loaded only when
 * {@code jdk.incubator.vector} is present. Every kernel computes, lane by lane, the same integer formula as its
 * scalar twin in {@link ConversionKernel}, so both give the same bits for every input (NaNs included).
 *
 * <p>16 → 32 bits: one int vector holds two 16-bit values per lane; shifting gives the even elements, masking the
 * odd ones, and two two-vector rearranges interleave them back into order. 32 → 16 bits: two int vectors are
 * converted lane-wise, then two rearranges gather the even and odd results and one shift-or packs them two per
 * lane. (Widening/narrowing short↔int conversions measured far slower here.) Heap segments not backed by a
 * {@code byte[]} cannot be read by vector loads and take the scalar loop.
 */
final class VectorConversions extends ConversionKernel {
    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    private static final int L = INTS.length();
    private static final VectorShuffle<Integer> FIRST =
            VectorShuffle.fromOp(INTS, j -> (j % 2 == 0) ? j / 2 : L + j / 2);
    private static final VectorShuffle<Integer> SECOND =
            VectorShuffle.fromOp(INTS, j -> (j % 2 == 0) ? L / 2 + j / 2 : L + L / 2 + j / 2);
    private static final VectorShuffle<Integer> EVENS = VectorShuffle.fromOp(INTS, j -> 2 * j);
    private static final VectorShuffle<Integer> ODDS = VectorShuffle.fromOp(INTS, j -> 2 * j + 1);
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private static boolean vectorizable(MemorySegment a, MemorySegment b) {
        return readable(a) && readable(b) && INTS.vectorBitSize() == FLOATS.vectorBitSize();
    }

    private static boolean readable(MemorySegment s) {
        return s.isNative() || s.heapBase().map(o -> o instanceof byte[]).orElse(false);
    }

    @Override
    public void bf16(MemorySegment src, MemorySegment dst, long n) {
        scalarBf16(src, dst, widen(src, dst, n, true), n);
    }

    @Override
    public void f16(MemorySegment src, MemorySegment dst, long n) {
        scalarF16(src, dst, widen(src, dst, n, false), n);
    }

    @Override
    public void toBf16(MemorySegment src, MemorySegment dst, long n) {
        scalarToBf16(src, dst, narrow(src, dst, n, true), n);
    }

    @Override
    public void toF16(MemorySegment src, MemorySegment dst, long n) {
        scalarToF16(src, dst, narrow(src, dst, n, false), n);
    }

    /**
     * BF16 ({@code bf16}) or F16 to F32 over whole steps of {@code 2L} elements; returns where the scalar tail
     * starts (0 when the segments cannot be read by vector loads). The flag is the same for the whole loop (and
     * constant in each caller once inlined).
     */
    private static long widen(MemorySegment src, MemorySegment dst, long n, boolean bf16) {
        if (!vectorizable(src, dst)) {
            return 0;
        }
        long step = 2L * L;
        long bound = n - (n % step);
        long i = 0;
        for (; i < bound; i += step) {
            IntVector v = IntVector.fromMemorySegment(INTS, src, i * 2, LE);
            IntVector even = bf16 ? v.lanewise(VectorOperators.LSHL, 16)
                    : halfToFloat(v.lanewise(VectorOperators.AND, 0xFFFF));
            IntVector odd = bf16 ? v.lanewise(VectorOperators.AND, 0xFFFF0000)
                    : halfToFloat(v.lanewise(VectorOperators.LSHR, 16));
            even.rearrange(FIRST, odd).intoMemorySegment(dst, i * 4, LE);
            even.rearrange(SECOND, odd).intoMemorySegment(dst, i * 4 + 4L * L, LE);
        }
        return i;
    }

    /** F32 to BF16 ({@code bf16}) or F16 over whole steps of {@code 2L} elements; as {@link #widen}. */
    private static long narrow(MemorySegment src, MemorySegment dst, long n, boolean bf16) {
        if (!vectorizable(src, dst)) {
            return 0;
        }
        long step = 2L * L;
        long bound = n - (n % step);
        long i = 0;
        for (; i < bound; i += step) {
            IntVector a = IntVector.fromMemorySegment(INTS, src, i * 4, LE);
            IntVector b = IntVector.fromMemorySegment(INTS, src, i * 4 + 4L * L, LE);
            IntVector ha = bf16 ? floatToBf16(a) : floatToHalf(a);
            IntVector hb = bf16 ? floatToBf16(b) : floatToHalf(b);
            pack(ha, hb).intoMemorySegment(dst, i * 2, LE);
        }
        return i;
    }

    /** Lanes {@code 0..L-1} of {@code a} then of {@code b} (16-bit values in int lanes), two per lane. */
    private static IntVector pack(IntVector a, IntVector b) {
        IntVector even = a.rearrange(EVENS, b);
        IntVector odd = a.rearrange(ODDS, b);
        return even.or(odd.lanewise(VectorOperators.LSHL, 16));
    }

    /** {@link ConversionKernel#f16ToF32Bits} lane-wise. */
    private static IntVector halfToFloat(IntVector h) {
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        IntVector o = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13);
        IntVector exp = o.and(0x0F80_0000);
        IntVector normal = o.add(0x3800_0000);
        VectorMask<Integer> nanPayload = o.and(0x007F_E000).compare(VectorOperators.NE, 0);
        IntVector special = o.add(0x7000_0000).or(IntVector.zero(INTS).blend(0x0040_0000, nanPayload));
        IntVector sub = o.add(0x3880_0000).reinterpretAsFloats().sub(0x1p-14f).reinterpretAsInts();
        IntVector r = normal.blend(special, exp.compare(VectorOperators.EQ, 0x0F80_0000));
        r = r.blend(sub, exp.compare(VectorOperators.EQ, 0));
        return r.or(sign);
    }

    /** {@link ConversionKernel#f32ToBf16Bits} lane-wise. */
    private static IntVector floatToBf16(IntVector x) {
        VectorMask<Integer> nan = x.and(0x7FFF_FFFF).compare(VectorOperators.GT, 0x7F80_0000);
        IntVector lsb = x.lanewise(VectorOperators.LSHR, 16).and(1);
        IntVector rounded = x.add(0x7FFF).add(lsb).lanewise(VectorOperators.LSHR, 16);
        IntVector quiet = x.lanewise(VectorOperators.LSHR, 16).or(0x0040);
        return rounded.blend(quiet, nan).and(0xFFFF);
    }

    /** {@link ConversionKernel#f32ToF16Bits} lane-wise. */
    private static IntVector floatToHalf(IntVector x) {
        IntVector sign = x.lanewise(VectorOperators.LSHR, 16).and(0x8000);
        IntVector a = x.and(0x7FFF_FFFF);
        IntVector lsb = a.lanewise(VectorOperators.LSHR, 13).and(1);
        IntVector normal = a.sub(0x3800_0000).add(0x0FFF).add(lsb).lanewise(VectorOperators.LSHR, 13);
        IntVector sub = a.reinterpretAsFloats().add(0.5f).reinterpretAsInts().sub(0x3F00_0000);
        IntVector nan = a.lanewise(VectorOperators.LSHR, 13).and(0x3FF).or(0x7E00);
        IntVector r = normal.blend(sub, a.compare(VectorOperators.LT, 0x3880_0000));
        r = r.blend(0x7C00, a.compare(VectorOperators.GE, 0x477F_F000));
        r = r.blend(nan, a.compare(VectorOperators.GT, 0x7F80_0000));
        return r.or(sign);
    }
}
