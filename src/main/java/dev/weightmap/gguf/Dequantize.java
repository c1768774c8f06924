// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.EnumSet;
import java.util.Set;

/**
 * Dequantization of GGML blocks to float32, bit-identical to gguf-py 0.19.0's {@code gguf.quants.dequantize}:
 * the same float32 operations in the same order (Java never fuses a multiply and an add, as NumPy does not), the
 * same element order within a block. Plain types widen as NumPy's {@code astype(float32)} does (round to nearest
 * even for I32, I64 and F64; F16 and BF16 exactly, NaN payloads kept).
 *
 * <p>Supported: F32 F16 BF16 F64 I8 I16 I32 I64, Q4_0 Q4_1 Q5_0 Q5_1 Q8_0, Q2_K Q3_K Q4_K Q5_K Q6_K, TQ1_0
 * TQ2_0, MXFP4 NVFP4, IQ4_NL IQ4_XS, IQ2_XXS IQ2_XS IQ2_S IQ3_XXS IQ3_S IQ1_S IQ1_M ({@link #SUPPORTED}): every
 * type gguf-py 0.19.0 dequantizes. Q8_1, Q8_K and Q1_0 (which gguf-py cannot dequantize either) still open, list
 * and hash.
 */
public final class Dequantize {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Bytes of input decoded per chunk. */
    private static final int CHUNK = 1 << 16;

    /** The types {@link #toF32} decodes. */
    public static final Set<GgmlType> SUPPORTED = java.util.Collections.unmodifiableSet(EnumSet.of(
            GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.F64, GgmlType.I8, GgmlType.I16, GgmlType.I32,
            GgmlType.I64, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q8_0,
            GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.TQ1_0,
            GgmlType.TQ2_0, GgmlType.MXFP4, GgmlType.NVFP4, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.IQ2_XXS,
            GgmlType.IQ2_XS, GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M));

    private static final int[] KVALUES_FP4 = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};
    private static final int[] KVALUES_IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69,
            89, 113};

    /** The Vector API kernels when available, else {@link BlockKernels#NONE}. */
    static final BlockKernels KERNELS = loadKernels();

    private static BlockKernels loadKernels() {
        if (!dev.weightmap.internal.simd.VectorizationProvider.get().vectorized()) {
            return BlockKernels.NONE;
        }
        try {
            // same package: the lookup may call the package-private constructor; the class (and the Vector API
            // classes it imports) load only now, after the provider found the module
            Class<?> c = Class.forName(Dequantize.class.getPackageName() + ".VectorBlockKernels");
            return (BlockKernels) java.lang.invoke.MethodHandles.lookup()
                    .findConstructor(c, java.lang.invoke.MethodType.methodType(void.class)).invoke();
        } catch (Throwable t) {
            return BlockKernels.NONE;
        }
    }

    private Dequantize() {
    }

    /**
     * Which kernels are in use, for diagnostics.
     *
     * @return {@code "vector"} (the Vector API kernels for Q8_0, Q4_0, Q4_K, Q5_K, Q6_K and IQ4_XS) or
     *         {@code "scalar"}
     */
    public static String implementation() {
        return KERNELS.describe();
    }

    /**
     * Decodes {@code elements} elements of {@code type} stored at the start of {@code src} into {@code elements}
     * little-endian float32 values at the start of {@code dst}.
     *
     * @param type     the stored type (one of {@link #SUPPORTED})
     * @param src      the stored bytes: at least {@code type.byteLength(elements)}
     * @param elements a whole number of blocks
     * @param dst      at least {@code 4 * elements} bytes
     * @throws IllegalArgumentException when the type is not supported, {@code elements} is not a whole number of
     *                                  blocks, or a segment is too small
     */
    public static void toF32(GgmlType type, MemorySegment src, long elements, MemorySegment dst) {
        if (dst.byteSize() / 4 < elements) {
            throw new IllegalArgumentException("output too small for " + elements + " " + type + " elements");
        }
        decode(type, src, elements, dst, null, 0, KERNELS);
    }

    /**
     * Decodes {@code elements} elements of {@code type} stored at the start of {@code src} into {@code elements}
     * little-endian float32 values at the start of {@code dst}, the blocks split over up to {@code threads} threads
     * (the caller's included). The values are the same for every thread count. Segments that other threads may not
     * access (of a confined arena) are decoded on the calling thread alone.
     *
     * @param type     the stored type (one of {@link #SUPPORTED})
     * @param src      the stored bytes: at least {@code type.byteLength(elements)}
     * @param elements a whole number of blocks
     * @param dst      at least {@code 4 * elements} bytes
     * @param threads  the most threads to use, 1 to 4096
     * @throws IllegalArgumentException when the type is not supported, {@code elements} is not a whole number of
     *                                  blocks, a segment is too small, or the thread count is out of range
     */
    public static void toF32(GgmlType type, MemorySegment src, long elements, MemorySegment dst, int threads) {
        if (threads < 1 || threads > 4096) {
            throw new IllegalArgumentException("threads must be 1 to 4096, not " + threads);
        }
        if (dst.byteSize() / 4 < elements) {
            throw new IllegalArgumentException("output too small for " + elements + " " + type + " elements");
        }
        long bytes = type.byteLength(elements);
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException("input too small for " + elements + " " + type + " elements");
        }
        long blocks = elements / type.blockSize();
        long perTask = Math.max(Math.max(1, TASK_BYTES / type.typeSize()), blocks / Integer.MAX_VALUE + 1);
        long tasks = (blocks + perTask - 1) / perTask;
        if (threads == 1 || tasks < 2 || !dev.weightmap.internal.exec.Parallel.shareable(src)
                || !dev.weightmap.internal.exec.Parallel.shareable(dst)) {
            decode(type, src, elements, dst, null, 0, KERNELS);
            return;
        }
        long bs = type.blockSize();
        long ts = type.typeSize();
        dev.weightmap.internal.exec.Parallel.forEach((int) tasks, threads, t -> {
            long first = t * perTask;
            long n = t == tasks - 1 ? blocks - first : perTask;
            decode(type, src.asSlice(first * ts, n * ts), n * bs, dst.asSlice(first * bs * 4, n * bs * 4), null, 0,
                    KERNELS);
        });
    }

    /** Input bytes decoded by one parallel task. */
    private static final long TASK_BYTES = 1 << 20;

    /**
     * Decodes {@code elements} elements of {@code type} stored at the start of {@code src} into
     * {@code dst[offset..offset+elements)}.
     *
     * @param type     the stored type (one of {@link #SUPPORTED})
     * @param src      the stored bytes: at least {@code type.byteLength(elements)}
     * @param elements a whole number of blocks
     * @param dst      the output array
     * @param offset   where the first value goes
     * @throws IllegalArgumentException when the type is not supported, {@code elements} is not a whole number of
     *                                  blocks, or the input or output is too small
     */
    public static void toF32(GgmlType type, MemorySegment src, long elements, float[] dst, int offset) {
        if (offset < 0 || elements > dst.length - (long) offset) {
            throw new IllegalArgumentException("output too small for " + elements + " " + type + " elements");
        }
        decode(type, src, elements, null, dst, offset, KERNELS);
    }

    static void decode(GgmlType type, MemorySegment src, long elements, MemorySegment dst, float[] arr,
                       int offset, BlockKernels kernels) {
        if (!SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("dequantizing " + type + " is not supported");
        }
        long bytes = type.byteLength(elements);
        if (src.byteSize() < bytes) {
            throw new IllegalArgumentException("input too small for " + elements + " " + type + " elements");
        }
        int bs = type.blockSize();
        int ts = type.typeSize();
        int blocksPerChunk = Math.max(1, CHUNK / ts);
        byte[] in = new byte[blocksPerChunk * ts];
        float[] out = null;
        MemorySegment target = arr != null ? MemorySegment.ofArray(arr).asSlice(offset * 4L) : dst;
        long blocks = elements / bs;
        for (long b = 0; b < blocks; b += blocksPerChunk) {
            int n = (int) Math.min(blocksPerChunk, blocks - b);
            MemorySegment.copy(src, ValueLayout.JAVA_BYTE, b * ts, in, 0, n * ts);
            if (kernels.decode(type, in, n, target, b * bs * 4)) {
                continue;
            }
            if (out == null) {
                out = new float[blocksPerChunk * bs];
            }
            for (int k = 0; k < n; k++) {
                block(type, in, k * ts, out, k * bs);
            }
            if (arr != null) {
                System.arraycopy(out, 0, arr, offset + (int) (b * bs), n * bs);
            } else {
                MemorySegment.copy(out, 0, dst, F32, b * bs * 4, n * bs);
            }
        }
    }

    private static int u8(byte[] b, int o) {
        return b[o] & 0xFF;
    }

    private static float half(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    private static int i32(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8 | (b[o + 2] & 0xFF) << 16 | (b[o + 3] & 0xFF) << 24;
    }

    private static long i64(byte[] b, int o) {
        return (i32(b, o) & 0xFFFFFFFFL) | ((long) i32(b, o + 4) << 32);
    }

    /** One block at {@code in[o]} into {@code out[p..p+blockSize)}. */
    private static void block(GgmlType type, byte[] in, int o, float[] out, int p) {
        switch (type) {
            case F32 -> out[p] = Float.intBitsToFloat(i32(in, o));
            case F16 -> out[p] = half(in, o);
            case BF16 -> out[p] = Float.intBitsToFloat(((in[o] & 0xFF) | (in[o + 1] << 8)) << 16);
            case F64 -> out[p] = (float) Double.longBitsToDouble(i64(in, o));
            case I8 -> out[p] = in[o];
            case I16 -> out[p] = (short) ((in[o] & 0xFF) | (in[o + 1] << 8));
            case I32 -> out[p] = i32(in, o);
            case I64 -> out[p] = i64(in, o);
            case Q4_0 -> q4_0(in, o, out, p);
            case Q4_1 -> q4_1(in, o, out, p);
            case Q5_0 -> q5_0(in, o, out, p);
            case Q5_1 -> q5_1(in, o, out, p);
            case Q8_0 -> q8_0(in, o, out, p);
            case Q2_K -> q2_k(in, o, out, p);
            case Q3_K -> q3_k(in, o, out, p);
            case Q4_K -> kQuant(in, o, out, p, false);
            case Q5_K -> kQuant(in, o, out, p, true);
            case Q6_K -> q6_k(in, o, out, p);
            case TQ1_0 -> tq1_0(in, o, out, p);
            case TQ2_0 -> tq2_0(in, o, out, p);
            case MXFP4 -> mxfp4(in, o, out, p);
            case NVFP4 -> nvfp4(in, o, out, p);
            case IQ4_NL -> iq4_nl(in, o, out, p);
            case IQ4_XS -> iq4_xs(in, o, out, p);
            case IQ2_XXS -> iq2_xxs(in, o, out, p);
            case IQ2_XS -> iq2_xs(in, o, out, p);
            case IQ2_S -> iq2_s(in, o, out, p);
            case IQ3_XXS -> iq3_xxs(in, o, out, p);
            case IQ3_S -> iq3_s(in, o, out, p);
            case IQ1_S -> iq1_s(in, o, out, p);
            case IQ1_M -> iq1_m(in, o, out, p);
            default -> throw new IllegalArgumentException("dequantizing " + type + " is not supported");
        }
    }

    // 32 elements: a scale, then 16 bytes whose low nibbles are elements 0..15 and high nibbles 16..31
    private static void q4_0(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int l = 0; l < 16; l++) {
            int q = u8(b, o + 2 + l);
            out[p + l] = d * (float) ((q & 0xF) - 8);
            out[p + 16 + l] = d * (float) ((q >> 4) - 8);
        }
    }

    private static void q4_1(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        float m = half(b, o + 2);
        for (int l = 0; l < 16; l++) {
            int q = u8(b, o + 4 + l);
            out[p + l] = d * (float) (q & 0xF) + m;
            out[p + 16 + l] = d * (float) (q >> 4) + m;
        }
    }

    private static void q5_0(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        int qh = i32(b, o + 2);
        for (int l = 0; l < 16; l++) {
            int q = u8(b, o + 6 + l);
            int lo = (q & 0xF) | ((qh >>> l) & 1) << 4;
            int hi = (q >> 4) | ((qh >>> (l + 16)) & 1) << 4;
            out[p + l] = d * (float) (lo - 16);
            out[p + 16 + l] = d * (float) (hi - 16);
        }
    }

    private static void q5_1(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        float m = half(b, o + 2);
        int qh = i32(b, o + 4);
        for (int l = 0; l < 16; l++) {
            int q = u8(b, o + 8 + l);
            int lo = (q & 0xF) | ((qh >>> l) & 1) << 4;
            int hi = (q >> 4) | ((qh >>> (l + 16)) & 1) << 4;
            out[p + l] = d * (float) lo + m;
            out[p + 16 + l] = d * (float) hi + m;
        }
    }

    private static void q8_0(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int l = 0; l < 32; l++) {
            out[p + l] = (float) b[o + 2 + l] * d;
        }
    }

    // 256 elements: 16 bytes of 4-bit scale/min pairs, 64 bytes of 2-bit values, d, dmin
    private static void q2_k(byte[] b, int o, float[] out, int p) {
        float d = half(b, o + 80);
        float dmin = half(b, o + 82);
        for (int g = 0; g < 16; g++) { // 16 groups of 16 elements share a scale and a min
            int sc = u8(b, o + g);
            float dl = d * (float) (sc & 0xF);
            float ml = dmin * (float) (sc >> 4);
            for (int e = g * 16; e < g * 16 + 16; e++) {
                int q = (u8(b, o + 16 + (e >> 7) * 32 + (e & 31)) >> (2 * ((e >> 5) & 3))) & 3;
                out[p + e] = dl * (float) q - ml;
            }
        }
    }

    private static void q3_k(byte[] b, int o, float[] out, int p) {
        float d = half(b, o + 108);
        for (int i = 0; i < 16; i++) { // 16 groups of 16 elements share a 6-bit scale
            int lo = (u8(b, o + 96 + (i & 7)) >> (4 * (i >> 3))) & 0xF;
            int hi = (u8(b, o + 104 + (i & 3)) >> (2 * (i >> 2))) & 3;
            float dl = d * (float) ((lo | hi << 4) - 32);
            for (int e = i * 16; e < i * 16 + 16; e++) {
                int h = e >> 7;
                int s = (e >> 5) & 3;
                int l = e & 31;
                int ql = (u8(b, o + 32 + h * 32 + l) >> (2 * s)) & 3;
                int qh = ((u8(b, o + l) >> (e >> 5)) & 1) ^ 1;
                out[p + e] = dl * (float) (ql - (qh << 2));
            }
        }
    }

    /** Scale {@code j} (0..7) of the 8 6-bit scale/min pairs of Q4_K and Q5_K at {@code b[o..o+12)}. */
    static int scale(byte[] b, int o, int j) {
        return j < 4 ? u8(b, o + j) & 0x3F : (u8(b, o + 4 + j) & 0x0F) | ((u8(b, o + j - 4) >> 2) & 0x30);
    }

    /** Min {@code j} (0..7) of the 8 6-bit scale/min pairs of Q4_K and Q5_K at {@code b[o..o+12)}. */
    static int min(byte[] b, int o, int j) {
        return j < 4 ? u8(b, o + 4 + j) & 0x3F : (u8(b, o + 4 + j) >> 4) | ((u8(b, o + j) >> 2) & 0x30);
    }

    /**
     * Q4_K and Q5_K: d, dmin, the 12 bytes of scales and mins, then for Q5_K 32 bytes of fifth bits; then the
     * 4-bit values, 32 bytes per pair of groups (low nibbles the even group, high nibbles the odd one).
     */
    private static void kQuant(byte[] b, int o, float[] out, int p, boolean fifthBit) {
        float d = half(b, o);
        float dmin = half(b, o + 2);
        int qs = o + (fifthBit ? 48 : 16);
        for (int j = 0; j < 8; j++) {
            float dd = d * (float) scale(b, o + 4, j);
            float dm = dmin * (float) min(b, o + 4, j);
            int c = j >> 1;
            int shift = 4 * (j & 1);
            for (int l = 0; l < 32; l++) {
                int q = (u8(b, qs + c * 32 + l) >> shift) & 0xF;
                if (fifthBit) {
                    q |= ((u8(b, o + 16 + l) >> j) & 1) << 4;
                }
                out[p + j * 32 + l] = dd * (float) q - dm;
            }
        }
    }

    private static void q6_k(byte[] b, int o, float[] out, int p) {
        float d = half(b, o + 208);
        for (int g = 0; g < 16; g++) { // 16 groups of 16 elements share a scale
            float dsc = d * (float) b[o + 192 + g];
            for (int e = g * 16; e < g * 16 + 16; e++) {
                int h = e >> 7;
                int ql = (u8(b, o + h * 64 + (e & 63)) >> (4 * ((e >> 6) & 1))) & 0xF;
                int qh = (u8(b, o + 128 + h * 32 + (e & 31)) >> (2 * ((e >> 5) & 3))) & 3;
                out[p + e] = dsc * (float) ((ql | qh << 4) - 32);
            }
        }
    }

    private static final int[] POW3 = {1, 3, 9, 27, 81};

    private static float ternary(int v) {
        return (float) ((((v & 0xFF) * 3) >> 8) - 1);
    }

    private static void tq1_0(byte[] b, int o, float[] out, int p) {
        float d = half(b, o + 52);
        int e = 0;
        for (int k = 0; k < 5; k++) {
            for (int l = 0; l < 32; l++) {
                out[p + e++] = d * ternary(u8(b, o + l) * POW3[k]);
            }
        }
        for (int k = 0; k < 5; k++) {
            for (int l = 0; l < 16; l++) {
                out[p + e++] = d * ternary(u8(b, o + 32 + l) * POW3[k]);
            }
        }
        for (int k = 0; k < 4; k++) {
            for (int l = 0; l < 4; l++) {
                out[p + e++] = d * ternary(u8(b, o + 48 + l) * POW3[k]);
            }
        }
    }

    private static void tq2_0(byte[] b, int o, float[] out, int p) {
        float d = half(b, o + 64);
        for (int e = 0; e < 256; e++) {
            int q = (u8(b, o + (e >> 7) * 32 + (e & 31)) >> (2 * ((e >> 5) & 3))) & 3;
            out[p + e] = d * (float) (q - 1);
        }
    }

    /** An E8M0 scale halved, as ggml's {@code ggml_e8m0_to_fp32_half}. */
    private static float e8m0Half(int x) {
        return Float.intBitsToFloat(x < 2 ? 0x00200000 << x : (x - 1) << 23);
    }

    private static void mxfp4(byte[] b, int o, float[] out, int p) {
        float d = e8m0Half(u8(b, o));
        for (int l = 0; l < 16; l++) {
            int q = u8(b, o + 1 + l);
            out[p + l] = d * (float) KVALUES_FP4[q & 0xF];
            out[p + 16 + l] = d * (float) KVALUES_FP4[q >> 4];
        }
    }

    /** An unsigned E4M3 scale halved (NVFP4's convention for the doubled E2M1 values). */
    private static float ue4m3Half(int x) {
        if (x == 0 || x == 0x7F) {
            return 0f;
        }
        int exp = (x >> 3) & 0xF;
        float man = (float) (x & 7);
        float raw = exp == 0 ? man * 0x1p-9f : (1.0f + man / 8.0f) * (float) Math.scalb(1.0, exp - 7);
        return raw * 0.5f;
    }

    private static void nvfp4(byte[] b, int o, float[] out, int p) {
        for (int s = 0; s < 4; s++) {
            float d = ue4m3Half(u8(b, o + s));
            for (int l = 0; l < 8; l++) {
                int q = u8(b, o + 4 + s * 8 + l);
                out[p + s * 16 + l] = d * (float) KVALUES_FP4[q & 0xF];
                out[p + s * 16 + 8 + l] = d * (float) KVALUES_FP4[q >> 4];
            }
        }
    }

    private static void iq4_nl(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int l = 0; l < 16; l++) {
            int q = u8(b, o + 2 + l);
            out[p + l] = d * (float) KVALUES_IQ4NL[q & 0xF];
            out[p + 16 + l] = d * (float) KVALUES_IQ4NL[q >> 4];
        }
    }

    private static void iq4_xs(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        int sh = u8(b, o + 2) | u8(b, o + 3) << 8;
        for (int j = 0; j < 8; j++) {
            int lo = (u8(b, o + 4 + (j >> 1)) >> (4 * (j & 1))) & 0xF;
            int hi = (sh >> (2 * j)) & 3;
            float dl = d * (float) ((lo | hi << 4) - 32);
            for (int l = 0; l < 16; l++) {
                int q = u8(b, o + 8 + j * 16 + l);
                out[p + j * 32 + l] = dl * (float) KVALUES_IQ4NL[q & 0xF];
                out[p + j * 32 + 16 + l] = dl * (float) KVALUES_IQ4NL[q >> 4];
            }
        }
    }

    private static float sign(int bits, int j) {
        return ((bits >> j) & 1) == 0 ? 1f : -1f;
    }

    private static int u16(byte[] b, int o) {
        return (b[o] & 0xFF) | (b[o + 1] & 0xFF) << 8;
    }

    // 8 sub-blocks of 32: four grid indexes (bytes) and a word of 4 x 7-bit sign indexes + a 4-bit scale
    private static void iq2_xxs(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int w1 = i32(b, o + 2 + 8 * ib + 4);
            float db = d * (0.5f + (float) (w1 >>> 28)) * 0.25f;
            for (int l = 0; l < 4; l++) {
                int g = u8(b, o + 2 + 8 * ib + l) * 8;
                int ks = u8(IqGrids.KSIGNS, (w1 >>> (7 * l)) & 0x7F);
                for (int j = 0; j < 8; j++) {
                    out[p + ib * 32 + l * 8 + j] = db * (float) IqGrids.IQ2_XXS[g + j] * sign(ks, j);
                }
            }
        }
    }

    private static void iq2_xs(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int k = 0; k < 32; k++) {
            int sc = (u8(b, o + 66 + (k >> 2)) >> (4 * ((k >> 1) & 1))) & 0xF;
            float db = d * (0.5f + (float) sc) * 0.25f;
            int q = u16(b, o + 2 + 2 * k);
            int g = (q & 511) * 8;
            int ks = u8(IqGrids.KSIGNS, q >> 9);
            for (int j = 0; j < 8; j++) {
                out[p + k * 8 + j] = db * (float) IqGrids.IQ2_XS[g + j] * sign(ks, j);
            }
        }
    }

    private static void iq2_s(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int k = 0; k < 32; k++) {
            int sc = (u8(b, o + 74 + (k >> 2)) >> (4 * ((k >> 1) & 1))) & 0xF;
            float db = d * (0.5f + (float) sc) * 0.25f;
            int qh = (u8(b, o + 66 + (k >> 2)) >> (2 * (k & 3))) & 3;
            int g = (u8(b, o + 2 + k) | qh << 8) * 8;
            int signs = u8(b, o + 34 + k);
            for (int j = 0; j < 8; j++) {
                out[p + k * 8 + j] = db * (float) IqGrids.IQ2_S[g + j] * sign(signs, j);
            }
        }
    }

    private static void iq3_xxs(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int w = i32(b, o + 66 + 4 * ib);
            float db = d * (0.5f + (float) (w >>> 28)) * 0.5f;
            for (int e = 0; e < 32; e++) {
                int g = u8(b, o + 2 + ib * 8 + (e >> 2)) * 4 + (e & 3);
                int ks = u8(IqGrids.KSIGNS, (w >>> (7 * (e >> 3))) & 0x7F);
                out[p + ib * 32 + e] = db * (float) IqGrids.IQ3_XXS[g] * sign(ks, e & 7);
            }
        }
    }

    private static void iq3_s(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int s = 0; s < 8; s++) {
            int sc = (u8(b, o + 106 + (s >> 1)) >> (4 * (s & 1))) & 0xF;
            float db = d * (float) (1 + 2 * sc);
            for (int e = 0; e < 32; e++) {
                int k = s * 8 + (e >> 2);
                int qh = (u8(b, o + 66 + (k >> 3)) >> (k & 7)) & 1;
                int g = (u8(b, o + 2 + k) | qh << 8) * 4 + (e & 3);
                int signs = u8(b, o + 74 + s * 4 + (e >> 3));
                out[p + s * 32 + e] = db * (float) IqGrids.IQ3_S[g] * sign(signs, e & 7);
            }
        }
    }

    private static void iq1_s(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        for (int ib = 0; ib < 8; ib++) {
            int qh = u16(b, o + 34 + 2 * ib);
            float dl = d * (float) (2 * ((qh >> 12) & 7) + 1);
            float delta = (qh & 0x8000) == 0 ? 0.125f : -0.125f;
            for (int l = 0; l < 4; l++) {
                int g = (u8(b, o + 2 + ib * 4 + l) | ((qh >> (3 * l)) & 7) << 8) * 8;
                for (int j = 0; j < 8; j++) {
                    out[p + ib * 32 + l * 8 + j] = dl * ((float) IqGrids.IQ1_S[g + j] + delta);
                }
            }
        }
    }

    private static void iq1_m(byte[] b, int o, float[] out, int p) {
        int bits = ((u16(b, o + 48) & 0xF000) >> 12) | ((u16(b, o + 50) & 0xF000) >> 8)
                | ((u16(b, o + 52) & 0xF000) >> 4) | (u16(b, o + 54) & 0xF000);
        float d = Float.float16ToFloat((short) bits);
        for (int k = 0; k < 32; k++) {
            int s = k >> 1;
            int scale = (u16(b, o + 48 + 2 * (s >> 2)) >> (3 * (s & 3))) & 7;
            float dl = d * (float) (2 * scale + 1);
            int qh = u8(b, o + 32 + (k >> 1)) >> (4 * (k & 1));
            int g = (u8(b, o + k) | (qh & 7) << 8) * 8;
            float delta = (qh & 0x08) == 0 ? 0.125f : -0.125f;
            for (int j = 0; j < 8; j++) {
                out[p + k * 8 + j] = dl * ((float) IqGrids.IQ1_S[g + j] + delta);
            }
        }
    }
}
