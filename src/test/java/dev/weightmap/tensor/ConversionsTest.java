// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.internal.simd.VectorizationProvider;
import dev.weightmap.internal.simd.ConversionKernel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The bulk BF16/F16 conversions (Vector API when present) agree with the scalar definition bit for bit. */
class ConversionsTest {
    private static final ConversionKernel SCALAR = VectorizationProvider.scalar().conversions();


    @Test
    void bf16AndF16AllPatternsEveryLengthAndOffset() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            assertThat(Conversions.IMPL.getClass().getSimpleName()).isEqualTo("VectorConversions"); // surefire adds the module
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment all = arena.allocate(2 * 65536 + 16, 64);
            for (int b = 0; b < 65536; b++) {
                all.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * b + 1, (short) b); // odd start: misaligned
            }
            MemorySegment src = all.asSlice(1, 2 * 65536);
            Tensor bf = Tensor.of(src, DType.BF16, 65536);
            float[] f = bf.toFloatArray();
            for (int b = 0; b < 65536; b++) {
                assertThat(Float.floatToRawIntBits(f[b])).isEqualTo(b << 16);
            }
            float[] h = Tensor.of(src, DType.F16, 65536).toFloatArray();
            for (int b = 0; b < 65536; b++) {
                assertThat(Float.compare(h[b], Float.float16ToFloat((short) b))).isZero();
            }
            Random r = new Random(1);
            for (int n = 0; n < 80; n++) {
                int off = r.nextInt(8);
                MemorySegment s = all.asSlice(1 + 2L * off, 2L * n);
                MemorySegment viaImpl = arena.allocate(4L * n + 4, 4);
                MemorySegment viaScalar = arena.allocate(4L * n + 4, 4);
                Conversions.IMPL.bf16(s, viaImpl, n);
                SCALAR.bf16(s, viaScalar, n);
                assertThat(viaImpl.asSlice(0, 4L * n).mismatch(viaScalar.asSlice(0, 4L * n))).as("n=" + n).isEqualTo(-1);
                MemorySegment dst = arena.allocate(4L * n + 1).asSlice(1); // misaligned destination
                Tensor.of(s, DType.BF16, n).copyAsF32(dst);
                assertThat(dst.asSlice(0, 4L * n).mismatch(viaScalar.asSlice(0, 4L * n))).isEqualTo(-1);
            }
        }
    }
}
