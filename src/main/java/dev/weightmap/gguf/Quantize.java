// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.internal.exec.Parallel;

import java.util.EnumSet;
import java.util.Set;

/**
 * Quantization of float32 values to GGML blocks, byte-identical to gguf-py 0.19.0's {@code gguf.quants.quantize}:
 * the same float32 operations in the same order, NumPy's rounding (ties to even for F16; {@code np_roundf},
 * half away from zero, for Q8_0; truncation after adding 8.5, 0.5 or 16.5 for the 4- and 5-bit types; NumPy's
 * float-to-byte casts as on x86-64; MXFP4's shared exponent from a float32 log2, the nearest E2M1 value by the
 * first smallest error) and float16 scales rounded to nearest even.
 */
public final class Quantize {
    /** The types {@link #quantize} writes. */
    public static final Set<GgmlType> SUPPORTED = java.util.Collections.unmodifiableSet(EnumSet.of(GgmlType.F32,
            GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0,
            GgmlType.Q5_1, GgmlType.TQ1_0, GgmlType.TQ2_0, GgmlType.MXFP4));

    private Quantize() {
    }

    /**
     * Quantizes {@code n} values (a whole number of blocks) starting at {@code src[off]}, on the calling thread.
     *
     * @param type the target type (one of {@link #SUPPORTED})
     * @param src  the values
     * @param off  the first value
     * @param n    how many, a multiple of {@code type.blockSize()}
     * @return the stored bytes, {@code type.byteLength(n)} of them
     * @throws IllegalArgumentException for an unsupported type or a count that is not a whole number of blocks
     */
    public static byte[] quantize(GgmlType type, float[] src, int off, int n) {
        return quantize(type, src, off, n, 1);
    }

    /**
     * Quantizes {@code n} values (a whole number of blocks) starting at {@code src[off]}, the blocks split over up
     * to {@code threads} threads (the caller's included); the bytes are the same for every thread count.
     *
     * @param type    the target type (one of {@link #SUPPORTED})
     * @param src     the values
     * @param off     the first value
     * @param n       how many, a multiple of {@code type.blockSize()}
     * @param threads the most threads to use, 1 to 4096
     * @return the stored bytes, {@code type.byteLength(n)} of them
     * @throws IllegalArgumentException for an unsupported type, a count that is not a whole number of blocks, or
     *                                  a thread count out of range
     */
    public static byte[] quantize(GgmlType type, float[] src, int off, int n, int threads) {
        if (!SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("quantizing to " + type + " is not supported");
        }
        if (threads < 1 || threads > 4096) {
            throw new IllegalArgumentException("threads must be 1 to 4096, not " + threads);
        }
        long len = type.byteLength(n);
        if (off < 0 || n < 0 || n > src.length - off || len > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("bad range " + off + "+" + n + " of " + src.length + " values");
        }
        byte[] out = new byte[(int) len];
        int bs = type.blockSize();
        int ts = type.typeSize();
        int blocks = n / bs;
        int tasks = (blocks + BLOCKS_PER_TASK - 1) / BLOCKS_PER_TASK;
        Parallel.forEach(tasks, threads, t -> {
            int first = t * BLOCKS_PER_TASK;
            int count = Math.min(BLOCKS_PER_TASK, blocks - first);
            encode(type, src, off + first * bs, count, out, first * ts, Dequantize.KERNELS);
        });
        return out;
    }

    /** Blocks quantized by one parallel task (256 KiB of float32 for 32-element blocks). */
    private static final int BLOCKS_PER_TASK = 2048;

    /** One block of {@code type} from {@code x[i..)} into {@code b[o..)}, by the scalar code. */
    static void block(GgmlType type, float[] x, int i, byte[] b, int o) {
        switch (type) {
            case F32 -> putInt(b, o, Float.floatToRawIntBits(x[i]));
            case F16 -> putShort(b, o, Float.floatToFloat16(x[i]));
            case BF16 -> putShort(b, o, (short) bf16(Float.floatToRawIntBits(x[i])));
            case Q8_0 -> q8_0(x, i, b, o);
            case Q4_0 -> q4_0(x, i, b, o);
            case Q4_1 -> q4_1(x, i, b, o);
            case Q5_0 -> q5_0(x, i, b, o);
            case Q5_1 -> q5_1(x, i, b, o);
            case TQ1_0 -> tq1_0(x, i, b, o);
            case TQ2_0 -> tq2_0(x, i, b, o);
            case MXFP4 -> mxfp4(x, i, b, o);
            default -> throw new IllegalArgumentException("quantizing to " + type + " is not supported");
        }
    }

    /** {@code blocks} blocks from {@code src[off..)} into {@code out[at..)}, through {@code kernels} if it can. */
    static void encode(GgmlType type, float[] src, int off, int blocks, byte[] out, int at, BlockKernels kernels) {
        if (kernels.encode(type, src, off, blocks, out, at)) {
            return;
        }
        int bs = type.blockSize();
        int ts = type.typeSize();
        for (int k = 0; k < blocks; k++) {
            block(type, src, off + k * bs, out, at + k * ts);
        }
    }

    private static void putShort(byte[] b, int o, short v) {
        b[o] = (byte) v;
        b[o + 1] = (byte) (v >> 8);
    }

    private static void putInt(byte[] b, int o, int v) {
        for (int k = 0; k < 4; k++) {
            b[o + k] = (byte) (v >> (8 * k));
        }
    }

    /** float32 bits to bfloat16 as ggml's {@code ggml_compute_fp32_to_bf16}: NaN made quiet, else round to even. */
    static int bf16(int n) {
        if ((n & 0x7fffffff) > 0x7f800000) {
            n = (n & 0xffff0000) | (64 << 16);
        }
        long u = Integer.toUnsignedLong(n);
        return (int) ((u + (0x7fff + ((u >> 16) & 1))) >> 16) & 0xFFFF;
    }

    /** 1 / d, or 0 when d is 0. */
    private static float inverse(float d) {
        return d == 0 ? 0f : 1f / d;
    }

    /** gguf-py's {@code np_roundf}: round half away from zero, in float32. */
    private static float roundf(float n) {
        float a = Math.abs(n);
        float floored = (float) Math.floor(a);
        float r = floored + (float) Math.floor(2f * (a - floored));
        return Math.signum(n) * r;
    }

    /**
     * NumPy's {@code astype(uint8)} / {@code astype(int8)} of a float32 on x86-64: a conversion to int32 (NaN and
     * values outside the int32 range give {@code 0x80000000}), then the low byte. It matters for blocks whose scale
     * underflows so that {@code 1 / d} is infinite: their values then quantize to 0, as gguf-py's do.
     */
    static int castByte(float f) {
        int v = Float.isNaN(f) || f >= 0x1p31f || f < -0x1p31f ? Integer.MIN_VALUE : (int) f;
        return v & 0xFF;
    }

    private static int clip(float truncated, int max) {
        return Math.min(max, castByte(truncated)); // unsigned bytes: clip(0, max) only lowers
    }

    private static void q8_0(float[] x, int i, byte[] b, int o) {
        float amax = 0;
        for (int l = 0; l < 32; l++) {
            amax = Math.max(amax, Math.abs(x[i + l]));
        }
        float d = amax / 127f;
        float id = inverse(d);
        putShort(b, o, Float.floatToFloat16(d));
        for (int l = 0; l < 32; l++) {
            b[o + 2 + l] = (byte) castByte(roundf(x[i + l] * id));
        }
    }

    /** The value of largest magnitude (the first one of them), with its sign. */
    private static float signedMax(float[] x, int i) {
        float best = -1;
        float max = 0;
        for (int l = 0; l < 32; l++) {
            float a = Math.abs(x[i + l]);
            if (a > best) {
                best = a;
                max = x[i + l];
            }
        }
        return max;
    }

    private static void q4_0(float[] x, int i, byte[] b, int o) {
        float d = signedMax(x, i) / -8f;
        float id = inverse(d);
        putShort(b, o, Float.floatToFloat16(d));
        for (int l = 0; l < 16; l++) {
            int lo = clip((float) Math.floor(x[i + l] * id + 8.5f), 15);
            int hi = clip((float) Math.floor(x[i + 16 + l] * id + 8.5f), 15);
            b[o + 2 + l] = (byte) (lo | hi << 4);
        }
    }

    private static void q4_1(float[] x, int i, byte[] b, int o) {
        float min = min32(x, i);
        float d = (max32(x, i) - min) / 15f;
        float id = inverse(d);
        putShort(b, o, Float.floatToFloat16(d));
        putShort(b, o + 2, Float.floatToFloat16(min));
        for (int l = 0; l < 16; l++) {
            int lo = clip((float) Math.floor((x[i + l] - min) * id + 0.5f), 15);
            int hi = clip((float) Math.floor((x[i + 16 + l] - min) * id + 0.5f), 15);
            b[o + 4 + l] = (byte) (lo | hi << 4);
        }
    }

    private static void q5_0(float[] x, int i, byte[] b, int o) {
        float d = signedMax(x, i) / -16f;
        float id = inverse(d);
        putShort(b, o, Float.floatToFloat16(d));
        int qh = 0;
        int[] q = new int[32];
        for (int l = 0; l < 32; l++) {
            q[l] = clip((float) Math.floor(x[i + l] * id + 16.5f), 31);
            qh |= (q[l] >> 4) << l;
        }
        putQ5(b, o + 2, qh, q);
    }

    private static void q5_1(float[] x, int i, byte[] b, int o) {
        float min = min32(x, i);
        float d = (max32(x, i) - min) / 31f;
        float id = inverse(d);
        putShort(b, o, Float.floatToFloat16(d));
        putShort(b, o + 2, Float.floatToFloat16(min));
        int qh = 0;
        int[] q = new int[32];
        for (int l = 0; l < 32; l++) {
            q[l] = clip((float) Math.floor((x[i + l] - min) * id + 0.5f), 31);
            qh |= (q[l] >> 4) << l;
        }
        putQ5(b, o + 4, qh, q);
    }

    /** The minimum of the 32 values from {@code x[i]}, in order (NaN as {@link Math#min} propagates it). */
    private static float min32(float[] x, int i) {
        float min = x[i];
        for (int l = 1; l < 32; l++) {
            min = Math.min(min, x[i + l]);
        }
        return min;
    }

    /** The maximum of the 32 values from {@code x[i]}, in order. */
    private static float max32(float[] x, int i) {
        float max = x[i];
        for (int l = 1; l < 32; l++) {
            max = Math.max(max, x[i + l]);
        }
        return max;
    }

    /** A Q5 block's high bits {@code qh} at {@code b[at]}, then its 32 low nibbles packed two to a byte. */
    private static void putQ5(byte[] b, int at, int qh, int[] q) {
        putInt(b, at, qh);
        for (int l = 0; l < 16; l++) {
            b[at + 4 + l] = (byte) ((q[l] & 0x0F) | (q[l + 16] << 4));
        }
    }

    /** The 256 ternary digits (0, 1, 2) of a TQ block, and its float16 scale written at {@code b[dAt]}. */
    private static int[] ternary(float[] x, int i, byte[] b, int dAt) {
        float d = 0;
        for (int l = 0; l < 256; l++) {
            d = Math.max(d, Math.abs(x[i + l]));
        }
        float id = inverse(d);
        int[] q = new int[256];
        for (int l = 0; l < 256; l++) {
            q[l] = (castByte(roundf(x[i + l] * id)) + 1) & 0xFF;
        }
        putShort(b, dAt, Float.floatToFloat16(d));
        return q;
    }

    private static final int[] POW3 = {81, 27, 9, 3, 1};

    private static int pack5(int sum) {
        return ((sum * 256 + 242) / 243) & 0xFF;
    }

    private static void tq1_0(float[] x, int i, byte[] b, int o) {
        int[] q = ternary(x, i, b, o + 52);
        for (int l = 0; l < 32; l++) {
            int sum = 0;
            for (int k = 0; k < 5; k++) {
                sum += (q[k * 32 + l] * POW3[k]) & 0xFF;
            }
            b[o + l] = (byte) pack5(sum);
        }
        for (int l = 0; l < 16; l++) {
            int sum = 0;
            for (int k = 0; k < 5; k++) {
                sum += (q[160 + k * 16 + l] * POW3[k]) & 0xFF;
            }
            b[o + 32 + l] = (byte) pack5(sum);
        }
        for (int l = 0; l < 4; l++) {
            int sum = 0;
            for (int k = 0; k < 4; k++) {
                sum += (q[240 + k * 4 + l] * POW3[k]) & 0xFF;
            }
            b[o + 48 + l] = (byte) pack5(sum);
        }
    }

    private static void tq2_0(float[] x, int i, byte[] b, int o) {
        int[] q = ternary(x, i, b, o + 64);
        for (int e = 0; e < 256; e++) {
            int at = o + (e >> 7) * 32 + (e & 31);
            b[at] = (byte) (b[at] | ((q[e] << (2 * ((e >> 5) & 3))) & 0xFF));
        }
    }

    private static final int[] KVALUES_FP4 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    /** log2 rounded to float32 (computed in double, then rounded once). */
    private static float log2f(float d) {
        return (float) (Math.log(d) / Math.log(2.0));
    }

    private static void mxfp4(float[] x, int i, byte[] b, int o) {
        float d = 0;
        for (int l = 0; l < 32; l++) {
            d = Math.max(d, Math.abs(x[i + l]));
        }
        int e = d > 0 ? castByte((float) Math.floor(log2f(d)) - 2f + 127f) : 0;
        float scale = Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23);
        int[] best = new int[32];
        for (int l = 0; l < 32; l++) {
            float min = Float.POSITIVE_INFINITY;
            for (int k = 0; k < 16; k++) {
                float err = Math.abs(scale * (float) KVALUES_FP4[k] - x[i + l]);
                if (err < min) {
                    min = err;
                    best[l] = k;
                }
            }
        }
        b[o] = (byte) e;
        for (int l = 0; l < 16; l++) {
            b[o + 1 + l] = (byte) (best[l] | best[l + 16] << 4);
        }
    }
}
