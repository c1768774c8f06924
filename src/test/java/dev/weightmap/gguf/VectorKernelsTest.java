// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The Vector API kernels give exactly the scalar code's bits, for random blocks with edge-case scales. */
class VectorKernelsTest {
    private static final short[] SCALES = {0x0000, (short) 0x8000, 0x0001, 0x03FF, 0x0400, (short) 0xC000, 0x7BFF,
        (short) 0xFBFF, 0x3C00, 0x7C00, (short) 0xFC00, 0x7E00};

    @Test
    void theVectorKernelsAreUsedWhenTheModuleIsPresent() {
        // surefire adds jdk.incubator.vector; -Dweightmap.vectorization=false turns it off
        assertThat(Dequantize.implementation())
                .isEqualTo(dev.weightmap.internal.simd.VectorizationProvider.get().vectorized() ? "vector" : "scalar");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q4_K", "Q6_K", "IQ4_XS", "Q5_K"})
    void vectorEqualsScalar(GgmlType type) {
        Random r = new Random(type.ordinal());
        int blocks = 333;
        byte[] in = new byte[blocks * type.typeSize()];
        r.nextBytes(in);
        for (int k = 0; k < blocks; k++) { // the first float16 field of each block (d) takes the edge values
            int o = k * type.typeSize() + (type == GgmlType.Q6_K ? 208 : 0);
            short s = SCALES[k % SCALES.length];
            in[o] = (byte) s;
            in[o + 1] = (byte) (s >> 8);
        }
        long n = (long) blocks * type.blockSize();
        float[] vector = new float[(int) n];
        float[] scalar = new float[(int) n];
        Dequantize.decode(type, MemorySegment.ofArray(in), n, null, vector, 0, Dequantize.KERNELS);
        Dequantize.decode(type, MemorySegment.ofArray(in), n, null, scalar, 0, BlockKernels.NONE);
        for (int i = 0; i < n; i++) {
            if (Float.floatToRawIntBits(vector[i]) != Float.floatToRawIntBits(scalar[i])) {
                assertThat(Float.isNaN(vector[i]) && Float.isNaN(scalar[i])).as(type + " element " + i + ": "
                        + vector[i] + " vs " + scalar[i]).isTrue();
            }
        }
    }

    /** Blocks of random values with edge cases: zeros, ties, NaN, infinities, subnormal and huge magnitudes. */
    private static float[] quantizeInput(Random r, int blocks) {
        float[] x = new float[blocks * 32];
        for (int k = 0; k < blocks; k++) {
            float scale = switch (k % 12) {
                case 0 -> 0f;
                case 1 -> 1e-45f;
                case 2 -> 1e-40f;
                case 3 -> 3e-38f;
                case 4 -> 1e30f;
                case 5 -> 3e38f;
                case 6 -> 1f / 127f;
                default -> (float) Math.pow(10, r.nextInt(9) - 4);
            };
            for (int l = 0; l < 32; l++) {
                float v = (float) r.nextGaussian() * scale;
                if (k % 12 == 7) { // ties: multiples of half a step
                    v = (r.nextInt(255) - 127) * 0.5f;
                }
                x[k * 32 + l] = v;
            }
            switch (k % 17) {
                case 3 -> x[k * 32 + r.nextInt(32)] = Float.NaN;
                case 5 -> x[k * 32 + r.nextInt(32)] = Float.POSITIVE_INFINITY;
                case 6 -> x[k * 32 + r.nextInt(32)] = Float.NEGATIVE_INFINITY;
                case 8 -> x[k * 32 + r.nextInt(32)] = -0f;
                case 9 -> { // two values of the same largest magnitude, opposite signs
                    x[k * 32 + 4] = -1000f;
                    x[k * 32 + 20] = 1000f;
                }
                default -> { }
            }
        }
        return x;
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0"})
    void quantizingVectorEqualsScalar(GgmlType type) {
        float[] x = quantizeInput(new Random(31 + type.ordinal()), 1000);
        int blocks = x.length / 32;
        byte[] vector = new byte[blocks * type.typeSize()];
        byte[] scalar = new byte[blocks * type.typeSize()];
        Quantize.encode(type, x, 0, blocks, vector, 0, Dequantize.KERNELS);
        Quantize.encode(type, x, 0, blocks, scalar, 0, BlockKernels.NONE);
        for (int k = 0; k < blocks; k++) {
            int o = k * type.typeSize();
            assertThat(java.util.Arrays.copyOfRange(vector, o, o + type.typeSize()))
                    .as(type + " block " + k).isEqualTo(java.util.Arrays.copyOfRange(scalar, o, o + type.typeSize()));
        }
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_0", "Q5_1", "TQ2_0"})
    void quantizingOnManyThreadsGivesTheSameBytes(GgmlType type) {
        float[] x = quantizeInput(new Random(5), 20_000);
        int n = x.length / type.blockSize() * type.blockSize();
        assertThat(Quantize.quantize(type, x, 0, n, 3)).isEqualTo(Quantize.quantize(type, x, 0, n));
    }

    @Test
    void aThreadCountOutOfRangeIsRefused() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Quantize.quantize(GgmlType.Q8_0, new float[32], 0,
                32, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
    }

    @ParameterizedTest
    @EnumSource(names = {"Q8_0", "Q4_K", "IQ2_XS"})
    void dequantizingOnManyThreadsGivesTheSameBits(GgmlType type) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            int blocks = (5 << 20) / type.typeSize() + 7; // several 1 MiB tasks and a short last one
            byte[] in = new byte[blocks * type.typeSize()];
            new Random(11).nextBytes(in);
            MemorySegment src = arena.allocate(in.length);
            src.copyFrom(MemorySegment.ofArray(in));
            long n = (long) blocks * type.blockSize();
            MemorySegment one = arena.allocate(n * 4);
            MemorySegment many = arena.allocate(n * 4);
            Dequantize.toF32(type, src, n, one);
            Dequantize.toF32(type, src, n, many, 3);
            assertThat(many.mismatch(one)).isEqualTo(-1);
            try (java.lang.foreign.Arena confined = java.lang.foreign.Arena.ofConfined()) { // the caller alone
                MemorySegment mine = confined.allocate(n * 4);
                Dequantize.toF32(type, src, n, mine, 3);
                assertThat(mine.mismatch(one)).isEqualTo(-1);
            }
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Dequantize.toF32(type, src, n, many, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("threads");
        }
    }
}
