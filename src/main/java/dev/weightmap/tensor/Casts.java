// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.internal.io.MappedRegion;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

/**
 * Copying a tensor into a destination of another dtype, with torch's conversion rules ({@code dst.copy_(src)},
 * which {@code load_state_dict} uses, and {@code tensor.to(dtype)}); checked value by value against torch 2.13.
 *
 * <ul>
 *   <li>Float → float: round to nearest even; subnormals kept, overflow to ±Inf, NaN stays NaN (see
 *       {@link Conversions} for its bits). F64 → F16/BF16 rounds through F32 as torch does (so it can round
 *       twice). F32 ↔ F16/BF16 run on the Vector API when it is available.</li>
 *   <li>Integer → integer: two's complement wrap-around (the low bits are kept: I64 300 → I8 44, I8 -1 → U8 255).</li>
 *   <li>Integer → float: round to nearest even (U64 as unsigned); to F16/BF16 through F32, as torch does.</li>
 *   <li>Float → integer: truncation toward zero. For 8-, 16- and 32-bit destinations (U32 excepted) the value
 *       goes through a 32-bit integer and then wraps, as torch's CPU kernels do (F32 300.7 → U8 44); for I64, U64
 *       and U32 through a 64-bit integer. A NaN, an infinity or a value outside that intermediate range is
 *       undefined behaviour in torch (C++); weightmap gives what torch gives on x86: the intermediate's minimum
 *       value ({@code 0x80000000} or {@code 0x8000000000000000}), then wrapped (torch's U32 and U64 kernels on
 *       x86 differ from that for such values, e.g. F32 1e10 → U32 gives 0 there).</li>
 *   <li>To BOOL: non-zero (NaN included) → 1. From BOOL: any non-zero byte → 1.</li>
 *   <li>FP8 and E8M0 sources decode exactly to F32 first. FP8, FP6, FP4 and complex destinations, and complex
 *       sources, are not supported (see {@link #supports}).</li>
 * </ul>
 */
public final class Casts {
    private static final Set<DType> INTEGERS = EnumSet.of(DType.BOOL, DType.U8, DType.I8, DType.I16, DType.U16,
            DType.I32, DType.U32, DType.I64, DType.U64);
    private static final Set<DType> FLOATS = EnumSet.of(DType.F16, DType.BF16, DType.F32, DType.F64);
    private static final Set<DType> FLOAT_SOURCES = EnumSet.of(DType.F16, DType.BF16, DType.F32, DType.F64,
            DType.F8_E4M3, DType.F8_E5M2, DType.F8_E4M3FNUZ, DType.F8_E5M2FNUZ, DType.F8_E8M0);
    private static final int CHUNK = 2048;

    private Casts() {
    }

    /**
     * Whether {@link #copy} can convert {@code from} values to {@code to}: always when the dtypes are equal;
     * otherwise when {@code from} is an integer, BOOL, float or FP8 dtype and {@code to} is an integer, BOOL or
     * F16/BF16/F32/F64 dtype.
     *
     * @param from the source dtype
     * @param to   the destination dtype
     * @return whether the conversion is supported
     */
    public static boolean supports(DType from, DType to) {
        return from == to || (INTEGERS.contains(from) || FLOAT_SOURCES.contains(from))
                && (INTEGERS.contains(to) || FLOATS.contains(to));
    }

    /**
     * Copies {@code src}'s elements (any layout) into the contiguous tensor {@code dst} (row-major order), converting
     * each value to {@code dst}'s dtype by the rules above. Equal dtypes are a plain byte copy.
     *
     * @param src the source tensor
     * @param dst the destination: contiguous, writable, with as many elements as {@code src}
     * @throws IllegalArgumentException when the element counts differ, {@code dst} is not contiguous or the
     *                                  conversion is not {@linkplain #supports supported}
     * @throws IllegalStateException    when either tensor's memory was closed
     * @throws dev.weightmap.WeightmapException {@code FILE_CHANGED} when the source's mapped file was truncated
     */
    public static void copy(Tensor src, Tensor dst) {
        if (src.numel() != dst.numel()) {
            throw new IllegalArgumentException("cannot copy " + src.numel() + " elements " + Arrays.toString(src.shape())
                    + " into " + dst.numel() + " " + Arrays.toString(dst.shape()));
        }
        if (!dst.isContiguous()) {
            throw new IllegalArgumentException("the destination " + dst + " is not contiguous");
        }
        if (!supports(src.dtype(), dst.dtype())) {
            throw new IllegalArgumentException("cannot convert " + src.dtype() + " to " + dst.dtype());
        }
        if (src.dtype() == dst.dtype()) {
            src.copyTo(dst.data());
            return;
        }
        try {
            if (!src.isContiguous()) {
                try (Arena arena = Arena.ofConfined()) {
                    convert(src.contiguous(arena).data(), null, src.dtype(), dst.data(), dst.dtype(), src.numel());
                }
                return;
            }
            convert(src.data(), src.region(), src.dtype(), dst.data(), dst.dtype(), src.numel());
        } catch (InternalError | IllegalStateException e) { // a truncated mapped source: FILE_CHANGED
            throw dev.weightmap.internal.io.FileStreamer.translate(e, src.storage(), src.region());
        }
    }

    /** Converts {@code n} contiguous elements; {@code region}: the mapped file {@code s} is a slice of, or null. */
    static void convert(MemorySegment s, MappedRegion region, DType from, MemorySegment d, DType to, long n) {
        if (from == DType.F32 && to == DType.BF16) {
            Conversions.f32ToBf16(s, d, n, region);
        } else if (from == DType.F32 && to == DType.F16) {
            Conversions.f32ToF16(s, d, n, region);
        } else if (from == DType.BF16 && to == DType.F32) {
            Conversions.bf16ToF32(s, d, n, region);
        } else if (from == DType.F16 && to == DType.F32) {
            Conversions.f16ToF32(s, d, n, region);
        } else if ((from == DType.F16 || from == DType.BF16) && (to == DType.F16 || to == DType.BF16)) {
            // through F32 (exact), one chunk at a time, both halves on the kernels
            MemorySegment buf = MemorySegment.ofArray(new byte[CHUNK * 4]);
            for (long i = 0; i < n; i += CHUNK) {
                long c = Math.min(CHUNK, n - i);
                MemorySegment in = s.asSlice(i * 2, c * 2);
                if (from == DType.F16) {
                    Conversions.f16ToF32(in, buf, c, region);
                    Conversions.f32ToBf16(buf, d.asSlice(i * 2, c * 2), c);
                } else {
                    Conversions.bf16ToF32(in, buf, c, region);
                    Conversions.f32ToF16(buf, d.asSlice(i * 2, c * 2), c);
                }
            }
        } else if (FLOAT_SOURCES.contains(from)) {
            double[] v = new double[(int) Math.min(CHUNK, n)];
            for (long i = 0; i < n; i += CHUNK) {
                int c = (int) Math.min(CHUNK, n - i);
                readFloats(s, from, i, c, v);
                writeFloats(d, to, i, c, v);
            }
        } else {
            long[] v = new long[(int) Math.min(CHUNK, n)];
            for (long i = 0; i < n; i += CHUNK) {
                int c = (int) Math.min(CHUNK, n - i);
                readIntegers(s, from, i, c, v);
                writeIntegers(d, to, i, c, v, from == DType.U64);
            }
        }
    }

    private static void readFloats(MemorySegment s, DType t, long from, int c, double[] v) {
        switch (t) {
            case F64 -> {
                for (int j = 0; j < c; j++) {
                    v[j] = s.get(Tensor.F64, (from + j) * 8);
                }
            }
            case F32 -> {
                for (int j = 0; j < c; j++) {
                    v[j] = s.get(Tensor.F32, (from + j) * 4);
                }
            }
            case BF16 -> {
                for (int j = 0; j < c; j++) {
                    v[j] = Float.intBitsToFloat((s.get(Tensor.I16, (from + j) * 2) & 0xFFFF) << 16);
                }
            }
            case F16 -> {
                for (int j = 0; j < c; j++) {
                    v[j] = Float.intBitsToFloat(Conversions.f16ToF32Bits(s.get(Tensor.I16, (from + j) * 2) & 0xFFFF));
                }
            }
            default -> {
                float[] table = switch (t) {
                    case F8_E4M3 -> FloatFormats.F8_E4M3;
                    case F8_E5M2 -> FloatFormats.F8_E5M2;
                    case F8_E4M3FNUZ -> FloatFormats.F8_E4M3FNUZ;
                    case F8_E5M2FNUZ -> FloatFormats.F8_E5M2FNUZ;
                    case F8_E8M0 -> FloatFormats.F8_E8M0;
                    default -> throw new IllegalArgumentException("not a float dtype: " + t);
                };
                for (int j = 0; j < c; j++) {
                    v[j] = table[s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, from + j) & 0xFF];
                }
            }
        }
    }

    private static void readIntegers(MemorySegment s, DType t, long from, int c, long[] v) {
        for (int j = 0; j < c; j++) {
            long i = from + j;
            v[j] = switch (t) {
                case BOOL -> s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
                case U8 -> s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i) & 0xFF;
                case I8 -> s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
                case I16 -> s.get(Tensor.I16, i * 2);
                case U16 -> s.get(Tensor.I16, i * 2) & 0xFFFF;
                case I32 -> s.get(Tensor.I32, i * 4);
                case U32 -> s.get(Tensor.I32, i * 4) & 0xFFFF_FFFFL;
                case I64, U64 -> s.get(Tensor.I64, i * 8);
                default -> throw new IllegalArgumentException("not an integer dtype: " + t);
            };
        }
    }

    private static void writeFloats(MemorySegment d, DType t, long from, int c, double[] v) {
        for (int j = 0; j < c; j++) {
            long i = from + j;
            double x = v[j];
            switch (t) {
                case F64 -> d.set(Tensor.F64, i * 8, x);
                case F32 -> d.set(Tensor.F32, i * 4, (float) x);
                case BF16 -> d.set(Tensor.I16, i * 2, (short) Conversions.f32ToBf16Bits(Float.floatToRawIntBits((float) x)));
                case F16 -> d.set(Tensor.I16, i * 2, (short) Conversions.f32ToF16Bits(Float.floatToRawIntBits((float) x)));
                case BOOL -> d.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (x != 0 || Double.isNaN(x) ? 1 : 0));
                case I64, U64, U32 -> storeInteger(d, t, i, truncate64(x));
                default -> storeInteger(d, t, i, truncate32(x));
            }
        }
    }

    private static void writeIntegers(MemorySegment d, DType t, long from, int c, long[] v, boolean unsigned) {
        for (int j = 0; j < c; j++) {
            long i = from + j;
            long x = v[j];
            switch (t) {
                case F64 -> d.set(Tensor.F64, i * 8, unsigned ? unsignedToDouble(x) : (double) x);
                case F32 -> d.set(Tensor.F32, i * 4, unsigned ? unsignedToFloat(x) : (float) x);
                case BF16 -> d.set(Tensor.I16, i * 2, (short) Conversions.f32ToBf16Bits(
                        Float.floatToRawIntBits(unsigned ? unsignedToFloat(x) : (float) x)));
                case F16 -> d.set(Tensor.I16, i * 2, (short) Conversions.f32ToF16Bits(
                        Float.floatToRawIntBits(unsigned ? unsignedToFloat(x) : (float) x)));
                case BOOL -> d.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (x != 0 ? 1 : 0));
                default -> storeInteger(d, t, i, x);
            }
        }
    }

    /** Stores the low bits of {@code x} (two's complement wrap-around). */
    private static void storeInteger(MemorySegment d, DType t, long i, long x) {
        switch (t) {
            case U8, I8 -> d.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) x);
            case I16, U16 -> d.set(Tensor.I16, i * 2, (short) x);
            case I32, U32 -> d.set(Tensor.I32, i * 4, (int) x);
            case I64, U64 -> d.set(Tensor.I64, i * 8, x);
            default -> throw new IllegalArgumentException("not an integer dtype: " + t);
        }
    }

    /** x86 {@code cvttsd2si} to 32 bits: truncation, {@code Integer.MIN_VALUE} for NaN and out of range. */
    static long truncate32(double x) {
        return x > -2147483649.0 && x < 2147483648.0 ? (int) x : Integer.MIN_VALUE;
    }

    /** x86 {@code cvttsd2si} to 64 bits: truncation, {@code Long.MIN_VALUE} for NaN and out of range. */
    static long truncate64(double x) {
        return x >= -0x1p63 && x < 0x1p63 ? (long) x : Long.MIN_VALUE;
    }

    private static float unsignedToFloat(long x) {
        return x >= 0 ? (float) x : (float) ((x >>> 1) | (x & 1)) * 2f;
    }

    private static double unsignedToDouble(long x) {
        return x >= 0 ? (double) x : (double) ((x >>> 1) | (x & 1)) * 2d;
    }
}
