// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels for the block types real models are made of: dequantizing Q8_0, Q4_0, Q4_K, Q5_K, Q6_K and
 * IQ4_XS, quantizing Q8_0 and Q4_0. Every lane does exactly the scalar code's float32 operations (an exact
 * int8-to-float conversion, then one multiply, or a multiply then a subtract; for quantizing the same multiply,
 * add and subtract, with floors taken by exact truncations), so the results are bit-identical to the scalar path.
 * A block the quantizing lanes cannot take exactly (a NaN or infinity, a scale whose inverse overflows) goes to
 * the scalar code. Loaded only when the Vector API is present.
 */
final class VectorBlockKernels implements BlockKernels {
    private static final VectorSpecies<Byte> B16 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED.length() > 16
            ? FloatVector.SPECIES_512 : FloatVector.SPECIES_PREFERRED;
    /** Float vectors per 16 bytes. */
    private static final int PARTS = 16 / F.length();

    VectorBlockKernels() {
        if (16 % F.length() != 0) {
            throw new IllegalStateException("unsupported float vector length " + F.length());
        }
    }

    @Override
    public boolean decode(GgmlType type, byte[] in, int blocks, MemorySegment out, long at) {
        switch (type) {
            case Q8_0 -> {
                for (int k = 0; k < blocks; k++) {
                    q8_0(in, k * 34, out, at + k * 128L);
                }
            }
            case Q4_0 -> {
                for (int k = 0; k < blocks; k++) {
                    q4_0(in, k * 18, out, at + k * 128L);
                }
            }
            case Q4_K -> {
                for (int k = 0; k < blocks; k++) {
                    kQuant(in, k * 144, out, at + k * 1024L, false);
                }
            }
            case Q5_K -> {
                for (int k = 0; k < blocks; k++) {
                    kQuant(in, k * 176, out, at + k * 1024L, true);
                }
            }
            case Q6_K -> {
                for (int k = 0; k < blocks; k++) {
                    q6_k(in, k * 210, out, at + k * 1024L);
                }
            }
            case IQ4_XS -> {
                for (int k = 0; k < blocks; k++) {
                    iq4_xs(in, k * 136, out, at + k * 1024L);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Float lanes for quantizing: at least 8, so that a part's bytes fill a whole byte vector shape. */
    private static final VectorSpecies<Float> QF = F;
    private static final VectorSpecies<Byte> QB = F.length() >= 8
            ? VectorSpecies.of(byte.class, VectorShape.forBitSize(F.length() * 8)) : null;
    private static final int QL = F.length();

    @Override
    public boolean encode(GgmlType type, float[] src, int off, int blocks, byte[] out, int at) {
        if (QB == null || (type != GgmlType.Q8_0 && type != GgmlType.Q4_0)) {
            return false;
        }
        for (int k = 0; k < blocks; k++) {
            boolean done = type == GgmlType.Q8_0 ? quantQ8_0(src, off + k * 32, out, at + k * 34)
                    : quantQ4_0(src, off + k * 32, out, at + k * 18);
            if (!done) {
                Quantize.block(type, src, off + k * 32, out, at + k * type.typeSize());
            }
        }
        return true;
    }

    /** The largest magnitude of 32 values, NaN when one is NaN. */
    private static float absMax(float[] x, int i) {
        FloatVector m = FloatVector.fromArray(QF, x, i).abs();
        for (int p = QL; p < 32; p += QL) {
            m = m.max(FloatVector.fromArray(QF, x, i + p).abs());
        }
        if (m.test(VectorOperators.IS_NAN).anyTrue()) {
            return Float.NaN;
        }
        return m.reduceLanes(VectorOperators.MAX);
    }

    private static void putHalf(byte[] b, int o, float d) {
        short h = Float.floatToFloat16(d);
        b[o] = (byte) h;
        b[o + 1] = (byte) (h >> 8);
    }

    /**
     * gguf-py's Q8_0: {@code roundf(x * id)} with {@code roundf(n) = sign(n) * (floor(|n|) + floor(2 * (|n| -
     * floor(|n|))))}; every {@code |n|} is below 2^8 here, so each floor is an exact truncation to int.
     */
    private static boolean quantQ8_0(float[] x, int i, byte[] b, int o) {
        float amax = absMax(x, i);
        float d = amax / 127f;
        float id = d == 0 ? 0f : 1f / d;
        if (!(amax <= Float.MAX_VALUE) || !(id <= Float.MAX_VALUE)) {
            return false;
        }
        putHalf(b, o, d);
        for (int p = 0; p < 32; p += QL) {
            FloatVector n = FloatVector.fromArray(QF, x, i + p).mul(id);
            FloatVector a = n.abs();
            IntVector fl = (IntVector) a.convert(VectorOperators.F2I, 0);
            FloatVector twice = a.sub((FloatVector) fl.convert(VectorOperators.I2F, 0)).mul(2f);
            IntVector r = fl.add((IntVector) twice.convert(VectorOperators.F2I, 0));
            VectorMask<Integer> neg = n.lt(0f).cast(r.species());
            r = r.lanewise(VectorOperators.NEG, neg);
            r.convertShape(VectorOperators.I2B, QB, 0).reinterpretAsBytes().intoArray(b, o + 2 + p);
        }
        return true;
    }

    /** gguf-py's Q4_0: {@code min(15, uint8(floor(x * id + 8.5)))}, two nibbles a byte. */
    private static boolean quantQ4_0(float[] x, int i, byte[] b, int o) {
        float amax = absMax(x, i);
        if (!(amax <= Float.MAX_VALUE)) {
            return false;
        }
        float max = 0;
        for (int p = 0; p < 32; p += QL) { // the first value of largest magnitude, with its sign
            VectorMask<Float> m = FloatVector.fromArray(QF, x, i + p).abs().eq(amax);
            if (m.anyTrue()) {
                max = x[i + p + m.firstTrue()];
                break;
            }
        }
        float d = max / -8f;
        float id = d == 0 ? 0f : 1f / d;
        if (!(id <= Float.MAX_VALUE) || !(id >= -Float.MAX_VALUE)) {
            return false;
        }
        putHalf(b, o, d);
        for (int p = 0; p < 16; p += QL) {
            // floor(v) for |v| < 2^31: the truncation, one less where that rounded up; then the byte, clipped
            FloatVector v = FloatVector.fromArray(QF, x, i + p).mul(id).add(8.5f);
            IntVector lo = (IntVector) v.convert(VectorOperators.F2I, 0);
            lo = lo.sub(1, v.lt((FloatVector) lo.convert(VectorOperators.I2F, 0)).cast(lo.species()));
            FloatVector w = FloatVector.fromArray(QF, x, i + 16 + p).mul(id).add(8.5f);
            IntVector hi = (IntVector) w.convert(VectorOperators.F2I, 0);
            hi = hi.sub(1, w.lt((FloatVector) hi.convert(VectorOperators.I2F, 0)).cast(hi.species()));
            lo.and(0xFF).min(15).or(hi.and(0xFF).min(15).lanewise(VectorOperators.LSHL, 4))
                    .convertShape(VectorOperators.I2B, QB, 0).reinterpretAsBytes().intoArray(b, o + 2 + p);
        }
        return true;
    }

    private static float half(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    /** 16 signed bytes times {@code d}, into the 64 bytes at {@code out[q..)}. */
    private static void store(ByteVector v, FloatVector d, MemorySegment out, long q) {
        for (int part = 0; part < PARTS; part++) {
            FloatVector f = (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
            f.mul(d).intoMemorySegment(out, q + part * 4L * F.length(), ByteOrder.LITTLE_ENDIAN);
        }
    }

    /** 16 unsigned bytes times {@code d} minus {@code m}, into the 64 bytes at {@code out[q..)}. */
    private static void storeAffine(ByteVector v, FloatVector d, FloatVector m, MemorySegment out, long q) {
        for (int part = 0; part < PARTS; part++) {
            FloatVector f = (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
            f.mul(d).sub(m).intoMemorySegment(out, q + part * 4L * F.length(), ByteOrder.LITTLE_ENDIAN);
        }
    }

    private static void q8_0(byte[] b, int o, MemorySegment out, long q) {
        float d = half(b, o);
        if (PARTS == 1) { // 16 float lanes, written out: vectors passed to a call that is not inlined are boxed
            for (int h = 0; h < 2; h++) {
                FloatVector f = (FloatVector) ByteVector.fromArray(B16, b, o + 2 + h * 16)
                        .convertShape(VectorOperators.B2F, F, 0);
                f.mul(d).intoMemorySegment(out, q + h * 64L, ByteOrder.LITTLE_ENDIAN);
            }
            return;
        }
        FloatVector dv = FloatVector.broadcast(F, d);
        store(ByteVector.fromArray(B16, b, o + 2), dv, out, q);
        store(ByteVector.fromArray(B16, b, o + 18), dv, out, q + 64);
    }

    private static void q4_0(byte[] b, int o, MemorySegment out, long q) {
        float d = half(b, o);
        ByteVector v = ByteVector.fromArray(B16, b, o + 2);
        if (PARTS == 1) { // written out rather than through store(): vectors passed to a call that is not inlined
            FloatVector lo = (FloatVector) v.and((byte) 0x0F).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
            lo.mul(d).intoMemorySegment(out, q, ByteOrder.LITTLE_ENDIAN);
            FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).sub((byte) 8)
                    .convertShape(VectorOperators.B2F, F, 0);
            hi.mul(d).intoMemorySegment(out, q + 64, ByteOrder.LITTLE_ENDIAN);
            return;
        }
        FloatVector dv = FloatVector.broadcast(F, d);
        store(v.and((byte) 0x0F).sub((byte) 8), dv, out, q);
        store(v.lanewise(VectorOperators.LSHR, 4).sub((byte) 8), dv, out, q + 64);
    }

    /** Q4_K and Q5_K: 8 groups of 32 values, each {@code d * scale * q - dmin * min} (as {@link Dequantize}). */
    private static void kQuant(byte[] b, int o, MemorySegment out, long q, boolean fifthBit) {
        float d = half(b, o);
        float dmin = half(b, o + 2);
        int qs = o + (fifthBit ? 48 : 16);
        for (int j = 0; j < 8; j++) {
            FloatVector dd = FloatVector.broadcast(F, d * (float) Dequantize.scale(b, o + 4, j));
            FloatVector dm = FloatVector.broadcast(F, dmin * (float) Dequantize.min(b, o + 4, j));
            int c = qs + (j >> 1) * 32;
            for (int h = 0; h < 2; h++) {
                ByteVector v = ByteVector.fromArray(B16, b, c + h * 16);
                v = (j & 1) == 0 ? v.and((byte) 0x0F) : v.lanewise(VectorOperators.LSHR, 4);
                if (fifthBit) {
                    v = v.or(ByteVector.fromArray(B16, b, o + 16 + h * 16).lanewise(VectorOperators.LSHR, j)
                            .and((byte) 1).lanewise(VectorOperators.LSHL, 4));
                }
                storeAffine(v, dd, dm, out, q + j * 128L + h * 64L);
            }
        }
    }

    private static void q6_k(byte[] b, int o, MemorySegment out, long q) {
        float d = half(b, o + 208);
        for (int h = 0; h < 2; h++) {
            for (int s = 0; s < 4; s++) {
                for (int half = 0; half < 2; half++) {
                    ByteVector ql = ByteVector.fromArray(B16, b, o + h * 64 + (s & 1) * 32 + half * 16);
                    ByteVector lo = s < 2 ? ql.and((byte) 0x0F) : ql.lanewise(VectorOperators.LSHR, 4);
                    ByteVector qh = ByteVector.fromArray(B16, b, o + 128 + h * 32 + half * 16)
                            .lanewise(VectorOperators.LSHR, 2 * s).and((byte) 3);
                    ByteVector v = lo.or(qh.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    int g = h * 8 + s * 2 + half;
                    float dg = d * (float) b[o + 192 + g];
                    if (PARTS == 1) { // written out: vectors passed to a call that is not inlined are boxed
                        ((FloatVector) v.convertShape(VectorOperators.B2F, F, 0)).mul(dg)
                                .intoMemorySegment(out, q + g * 64L, ByteOrder.LITTLE_ENDIAN);
                    } else {
                        store(v, FloatVector.broadcast(F, dg), out, q + g * 64L);
                    }
                }
            }
        }
    }

    private static final byte[] KVALUES_IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69,
        89, 113};
    private static final ByteVector IQ4NL = ByteVector.fromArray(B16, KVALUES_IQ4NL, 0);

    private static void iq4_xs(byte[] b, int o, MemorySegment out, long q) {
        float d = half(b, o);
        int sh = (b[o + 2] & 0xFF) | (b[o + 3] & 0xFF) << 8;
        for (int j = 0; j < 8; j++) {
            int lo = ((b[o + 4 + (j >> 1)] & 0xFF) >> (4 * (j & 1))) & 0xF;
            int hi = (sh >> (2 * j)) & 3;
            FloatVector dl = FloatVector.broadcast(F, d * (float) ((lo | hi << 4) - 32));
            ByteVector v = ByteVector.fromArray(B16, b, o + 8 + j * 16);
            store(IQ4NL.rearrange(v.and((byte) 0x0F).toShuffle()), dl, out, q + j * 128L);
            store(IQ4NL.rearrange(v.lanewise(VectorOperators.LSHR, 4).toShuffle()), dl, out, q + j * 128L + 64);
        }
    }
}
