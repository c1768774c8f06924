// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

/** Decoding of the narrow floating-point formats (FP8 variants, E8M0, BF16, F16) to {@code float}. */
final class FloatFormats {
    private FloatFormats() {
    }

    static final float[] F8_E4M3 = new float[256];
    static final float[] F8_E5M2 = new float[256];
    static final float[] F8_E4M3FNUZ = new float[256];
    static final float[] F8_E5M2FNUZ = new float[256];
    static final float[] F8_E8M0 = new float[256];

    static {
        for (int b = 0; b < 256; b++) {
            F8_E4M3[b] = decodeMiniFloat(b, 4, 3, 7, false, true);
            F8_E5M2[b] = decodeMiniFloat(b, 5, 2, 15, true, false);
            F8_E4M3FNUZ[b] = b == 0x80 ? Float.NaN : decodeMiniFloat(b, 4, 3, 8, false, false);
            F8_E5M2FNUZ[b] = b == 0x80 ? Float.NaN : decodeMiniFloat(b, 5, 2, 16, false, false);
            F8_E8M0[b] = b == 0xFF ? Float.NaN : (float) Math.scalb(1.0, b - 127);
        }
    }

    /**
     * Decodes a sign-exponent-mantissa byte.
     *
     * @param ieeeSpecials the all-ones exponent means Inf (mantissa 0) or NaN (E5M2)
     * @param fnNan        only the all-ones exponent and mantissa pattern is NaN (E4M3 "fn")
     */
    private static float decodeMiniFloat(int b, int expBits, int manBits, int bias, boolean ieeeSpecials, boolean fnNan) {
        int sign = (b >>> (expBits + manBits)) & 1;
        int exp = (b >>> manBits) & ((1 << expBits) - 1);
        int man = b & ((1 << manBits) - 1);
        int maxExp = (1 << expBits) - 1;
        float s = sign == 1 ? -1f : 1f;
        if (ieeeSpecials && exp == maxExp) {
            return man == 0 ? s * Float.POSITIVE_INFINITY : Float.NaN;
        }
        if (fnNan && exp == maxExp && man == (1 << manBits) - 1) {
            return Float.NaN;
        }
        double v;
        if (exp == 0) {
            v = Math.scalb((double) man / (1 << manBits), 1 - bias);
        } else {
            v = Math.scalb(1.0 + (double) man / (1 << manBits), exp - bias);
        }
        return (float) (s * v);
    }

    static float bf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    static float f16(short bits) {
        return Float.float16ToFloat(bits);
    }
}
