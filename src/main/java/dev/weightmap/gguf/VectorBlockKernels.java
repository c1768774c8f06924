// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API kernels for the block types real models are made of (Q8_0, Q4_0, Q4_K, Q6_K, IQ4_XS). Every lane
 * does exactly the scalar code's float32 operations (an exact int8-to-float conversion, then one multiply, or a
 * multiply then a subtract), so the results are bit-identical to the scalar path. Loaded only when the Vector API
 * is present.
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
    public boolean decode(GgmlType type, byte[] in, int blocks, float[] out) {
        switch (type) {
            case Q8_0 -> {
                for (int k = 0; k < blocks; k++) {
                    q8_0(in, k * 34, out, k * 32);
                }
            }
            case Q4_0 -> {
                for (int k = 0; k < blocks; k++) {
                    q4_0(in, k * 18, out, k * 32);
                }
            }
            case Q4_K -> {
                for (int k = 0; k < blocks; k++) {
                    q4_k(in, k * 144, out, k * 256);
                }
            }
            case Q6_K -> {
                for (int k = 0; k < blocks; k++) {
                    q6_k(in, k * 210, out, k * 256);
                }
            }
            case IQ4_XS -> {
                for (int k = 0; k < blocks; k++) {
                    iq4_xs(in, k * 136, out, k * 256);
                }
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private static float half(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 0xFF) | (b[o + 1] << 8)));
    }

    /** 16 signed bytes times {@code d}, into {@code out[p..p+16)}. */
    private static void store(ByteVector v, FloatVector d, float[] out, int p) {
        for (int part = 0; part < PARTS; part++) {
            FloatVector f = (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
            f.mul(d).intoArray(out, p + part * F.length());
        }
    }

    private static void q8_0(byte[] b, int o, float[] out, int p) {
        FloatVector d = FloatVector.broadcast(F, half(b, o));
        store(ByteVector.fromArray(B16, b, o + 2), d, out, p);
        store(ByteVector.fromArray(B16, b, o + 18), d, out, p + 16);
    }

    private static void q4_0(byte[] b, int o, float[] out, int p) {
        FloatVector d = FloatVector.broadcast(F, half(b, o));
        ByteVector q = ByteVector.fromArray(B16, b, o + 2);
        store(q.and((byte) 0x0F).sub((byte) 8), d, out, p);
        store(q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8), d, out, p + 16);
    }

    private static void q4_k(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        float dmin = half(b, o + 2);
        for (int j = 0; j < 8; j++) {
            int sc;
            int mn;
            if (j < 4) {
                sc = b[o + 4 + j] & 0x3F;
                mn = b[o + 8 + j] & 0x3F;
            } else {
                sc = (b[o + 12 + j - 4] & 0x0F) | (((b[o + 4 + j - 4] & 0xFF) >> 2) & 0x30);
                mn = ((b[o + 12 + j - 4] & 0xFF) >> 4) | (((b[o + 8 + j - 4] & 0xFF) >> 2) & 0x30);
            }
            FloatVector dd = FloatVector.broadcast(F, d * (float) sc);
            FloatVector dm = FloatVector.broadcast(F, dmin * (float) mn);
            int c = o + 16 + (j >> 1) * 32;
            for (int h = 0; h < 2; h++) {
                ByteVector q = ByteVector.fromArray(B16, b, c + h * 16);
                ByteVector v = (j & 1) == 0 ? q.and((byte) 0x0F) : q.lanewise(VectorOperators.LSHR, 4);
                for (int part = 0; part < PARTS; part++) {
                    FloatVector f = (FloatVector) v.convertShape(VectorOperators.B2F, F, part);
                    f.mul(dd).sub(dm).intoArray(out, p + j * 32 + h * 16 + part * F.length());
                }
            }
        }
    }

    private static void q6_k(byte[] b, int o, float[] out, int p) {
        float d = half(b, o + 208);
        for (int h = 0; h < 2; h++) {
            for (int s = 0; s < 4; s++) {
                for (int half = 0; half < 2; half++) {
                    ByteVector ql = ByteVector.fromArray(B16, b, o + h * 64 + (s & 1) * 32 + half * 16);
                    ByteVector lo = s < 2 ? ql.and((byte) 0x0F) : ql.lanewise(VectorOperators.LSHR, 4);
                    ByteVector qh = ByteVector.fromArray(B16, b, o + 128 + h * 32 + half * 16)
                            .lanewise(VectorOperators.LSHR, 2 * s).and((byte) 3);
                    ByteVector q = lo.or(qh.lanewise(VectorOperators.LSHL, 4)).sub((byte) 32);
                    int g = h * 8 + s * 2 + half;
                    store(q, FloatVector.broadcast(F, d * (float) b[o + 192 + g]), out, p + g * 16);
                }
            }
        }
    }

    private static final byte[] KVALUES_IQ4NL = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69,
        89, 113};
    private static final ByteVector IQ4NL = ByteVector.fromArray(B16, KVALUES_IQ4NL, 0);

    private static void iq4_xs(byte[] b, int o, float[] out, int p) {
        float d = half(b, o);
        int sh = (b[o + 2] & 0xFF) | (b[o + 3] & 0xFF) << 8;
        for (int j = 0; j < 8; j++) {
            int lo = ((b[o + 4 + (j >> 1)] & 0xFF) >> (4 * (j & 1))) & 0xF;
            int hi = (sh >> (2 * j)) & 3;
            FloatVector dl = FloatVector.broadcast(F, d * (float) ((lo | hi << 4) - 32));
            ByteVector q = ByteVector.fromArray(B16, b, o + 8 + j * 16);
            store(IQ4NL.rearrange(q.and((byte) 0x0F).toShuffle()), dl, out, p + j * 32);
            store(IQ4NL.rearrange(q.lanewise(VectorOperators.LSHR, 4).toShuffle()), dl, out, p + j * 32 + 16);
        }
    }
}
