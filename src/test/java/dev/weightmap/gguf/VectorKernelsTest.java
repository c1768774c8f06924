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
}
