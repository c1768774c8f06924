// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Bulk conversions between F32 and the 16-bit float formats over little-endian segments: this class is the
 * scalar implementation, {@link VectorConversions} the Vector API one. Both give the same bits for every input.
 *
 * <p>Rounding is IEEE round-to-nearest-even, as torch's {@code tensor.to(dtype)}: F32 → BF16 and F32 → F16 keep
 * subnormals (no flush to zero) and overflow to infinity. A NaN stays a NaN with its sign and the top bits of its
 * payload, made quiet (the quiet bit set). Torch's own NaN bits differ between its kernels (its vectorised F32 →
 * BF16 gives {@code 0xFFFF} for every NaN, its scalar one {@code 0x7FC0}); only NaN-ness is portable.
 */
public class ConversionKernel {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Implementations live in this package; get one from {@link VectorizationProvider#conversions()}. */
    ConversionKernel() {
    }

    /**
     * BF16 to F32.
     *
     * @param src {@code n} BF16 values
     * @param dst room for {@code n} F32 values
     * @param n the number of elements
     */
    public void bf16(MemorySegment src, MemorySegment dst, long n) {
        scalarBf16(src, dst, 0, n);
    }

    /**
     * F16 to F32.
     *
     * @param src {@code n} F16 values
     * @param dst room for {@code n} F32 values
     * @param n the number of elements
     */
    public void f16(MemorySegment src, MemorySegment dst, long n) {
        scalarF16(src, dst, 0, n);
    }

    /**
     * F32 to BF16.
     *
     * @param src {@code n} F32 values
     * @param dst room for {@code n} BF16 values
     * @param n the number of elements
     */
    public void toBf16(MemorySegment src, MemorySegment dst, long n) {
        scalarToBf16(src, dst, 0, n);
    }

    /**
     * F32 to F16.
     *
     * @param src {@code n} F32 values
     * @param dst room for {@code n} F16 values
     * @param n the number of elements
     */
    public void toF16(MemorySegment src, MemorySegment dst, long n) {
        scalarToF16(src, dst, 0, n);
    }

    static void scalarBf16(MemorySegment src, MemorySegment dst, long from, long n) {
        for (long i = from; i < n; i++) {
            dst.set(I32, i * 4, (src.get(I16, i * 2) & 0xFFFF) << 16);
        }
    }

    static void scalarF16(MemorySegment src, MemorySegment dst, long from, long n) {
        for (long i = from; i < n; i++) {
            dst.set(I32, i * 4, f16ToF32Bits(src.get(I16, i * 2) & 0xFFFF));
        }
    }

    static void scalarToBf16(MemorySegment src, MemorySegment dst, long from, long n) {
        for (long i = from; i < n; i++) {
            dst.set(I16, i * 2, (short) f32ToBf16Bits(src.get(I32, i * 4)));
        }
    }

    static void scalarToF16(MemorySegment src, MemorySegment dst, long from, long n) {
        for (long i = from; i < n; i++) {
            dst.set(I16, i * 2, (short) f32ToF16Bits(src.get(I32, i * 4)));
        }
    }

    /**
     * F16 bits to F32 bits: exact; a NaN is made quiet.
     *
     * @param h F16 bits in the low 16 bits
     * @return the F32 bits
     */
    public static int f16ToF32Bits(int h) {
        int sign = (h & 0x8000) << 16;
        int o = (h & 0x7FFF) << 13;
        int exp = o & 0x0F80_0000;
        if (exp == 0x0F80_0000) { // Inf or NaN
            return sign | (o + 0x7000_0000) | ((o & 0x007F_E000) != 0 ? 0x0040_0000 : 0);
        }
        if (exp == 0) { // zero or subnormal: 2^-14 * (1 + m/1024) - 2^-14, exactly
            return sign | Float.floatToRawIntBits(Float.intBitsToFloat(o + 0x3880_0000) - 0x1p-14f);
        }
        return sign | (o + 0x3800_0000);
    }

    /**
     * F32 bits to BF16 bits: round to nearest even; a NaN is made quiet.
     *
     * @param x the F32 bits
     * @return the BF16 bits in the low 16 bits
     */
    public static int f32ToBf16Bits(int x) {
        if ((x & 0x7FFF_FFFF) > 0x7F80_0000) {
            return ((x >>> 16) | 0x0040) & 0xFFFF;
        }
        return ((x + 0x7FFF + ((x >>> 16) & 1)) >>> 16) & 0xFFFF;
    }

    /**
     * F32 bits to F16 bits: round to nearest even; a NaN is made quiet.
     *
     * @param x the F32 bits
     * @return the F16 bits in the low 16 bits
     */
    public static int f32ToF16Bits(int x) {
        int sign = (x >>> 16) & 0x8000;
        int a = x & 0x7FFF_FFFF;
        if (a > 0x7F80_0000) {
            return sign | 0x7E00 | ((a >>> 13) & 0x3FF);
        }
        if (a >= 0x477F_F000) { // 65520 = F16 max + half an ulp, and Inf
            return sign | 0x7C00;
        }
        if (a < 0x3880_0000) { // below 2^-14: the float addition rounds to the F16 subnormal grid (ulp 2^-24)
            return sign | (Float.floatToRawIntBits(Float.intBitsToFloat(a) + 0.5f) - 0x3F00_0000);
        }
        return sign | ((a - 0x3800_0000 + 0x0FFF + ((a >>> 13) & 1)) >>> 13);
    }
}
