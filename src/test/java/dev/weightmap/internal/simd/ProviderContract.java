// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.testing.Gen;
import dev.weightmap.testing.Seeded;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The contract of every {@link VectorizationProvider}: each kernel gives the scalar provider's bits for every
 * input, over native and heap segments at any offset. Subclasses name the provider under test.
 */
@ExtendWith(Seeded.Extension.class)
abstract class ProviderContract {
    private static final VectorizationProvider SCALAR = VectorizationProvider.scalar();

    /** The provider under test. */
    abstract VectorizationProvider provider();

    private static MemorySegment randomNative(Arena arena, Gen g, long bytes) {
        int shift = g.intIn(0, 7);
        MemorySegment s = arena.allocate(bytes + shift, 64).asSlice(shift, bytes);
        for (long i = 0; i < bytes; i += 8) {
            long v = g.nextLong();
            for (int b = 0; b < 8 && i + b < bytes; b++) {
                s.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i + b, (byte) (v >>> (8 * b)));
            }
        }
        return s;
    }

    private static long[] randomAcc(Gen g) {
        long[] acc = new long[8];
        for (int i = 0; i < 8; i++) {
            acc[i] = g.nextLong();
        }
        return acc;
    }

    @Test
    void xxh3KernelMatchesScalar(Seeded seeded) {
        Xxh3Kernel k = provider().xxh3();
        Xxh3Kernel ref = SCALAR.xxh3();
        seeded.tries(30, g -> {
            try (Arena arena = Arena.ofConfined()) {
                long blocks = g.intIn(0, 5);
                MemorySegment in = randomNative(arena, g, blocks * Xxh3Kernel.BLOCK + Xxh3Kernel.BLOCK + Xxh3Kernel.STRIPE);
                MemorySegment secret = randomNative(arena, g, 192);
                for (MemorySegment data : new MemorySegment[] {in, MemorySegment.ofArray(in.toArray(
                        java.lang.foreign.ValueLayout.JAVA_BYTE))}) {
                    long[] a = randomAcc(g);
                    long[] b = a.clone();
                    k.blocks(a, data, 0, blocks, secret);
                    ref.blocks(b, data, 0, blocks, secret);
                    assertThat(a).containsExactly(b);
                    int stripes = g.intIn(1, Xxh3Kernel.STRIPES_PER_BLOCK);
                    k.accumulate(a, data, blocks * Xxh3Kernel.BLOCK, 1, secret, Xxh3Kernel.LAST_STRIPE_OFFSET);
                    ref.accumulate(b, data, blocks * Xxh3Kernel.BLOCK, 1, secret, Xxh3Kernel.LAST_STRIPE_OFFSET);
                    k.accumulate(a, data, 0, stripes, secret, 0);
                    ref.accumulate(b, data, 0, stripes, secret, 0);
                    // a run that starts inside a block (a stream's update ending mid-block)
                    int from = g.intIn(1, Xxh3Kernel.STRIPES_PER_BLOCK - 1);
                    int run = g.intIn(1, Xxh3Kernel.STRIPES_PER_BLOCK - from);
                    k.accumulate(a, data, Xxh3Kernel.STRIPE, run, secret, 8L * from);
                    ref.accumulate(b, data, Xxh3Kernel.STRIPE, run, secret, 8L * from);
                    k.scramble(a, secret);
                    ref.scramble(b, secret);
                    assertThat(a).containsExactly(b);
                }
            }
        });
    }

    /** A kernel that caches per-secret data must not mix secrets up when they alternate. */
    @Test
    void xxh3KernelKeepsAlternatingSecretsApart(Seeded seeded) {
        Xxh3Kernel k = provider().xxh3();
        Xxh3Kernel ref = SCALAR.xxh3();
        seeded.tries(5, g -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment in = randomNative(arena, g, 3L * Xxh3Kernel.BLOCK);
                MemorySegment s1 = randomNative(arena, g, 192);
                MemorySegment s2 = randomNative(arena, g, 192);
                for (MemorySegment secret : new MemorySegment[] {s1, s2, s1, s2}) {
                    long[] a = randomAcc(g);
                    long[] b = a.clone();
                    k.blocks(a, in, 0, 3, secret);
                    ref.blocks(b, in, 0, 3, secret);
                    assertThat(a).containsExactly(b);
                }
            }
        });
    }

    @Test
    void conversionsMatchScalar(Seeded seeded) {
        ConversionKernel k = provider().conversions();
        ConversionKernel ref = SCALAR.conversions();
        seeded.tries(40, g -> {
            try (Arena arena = Arena.ofConfined()) {
                int n = g.intIn(0, 1100);
                MemorySegment wide = randomNative(arena, g, 4L * n);
                MemorySegment narrow = randomNative(arena, g, 2L * n);
                boolean heap = g.nextBoolean();
                MemorySegment a32 = heap ? MemorySegment.ofArray(new byte[4 * n]) : arena.allocate(4L * n);
                MemorySegment b32 = arena.allocate(4L * n);
                MemorySegment a16 = heap ? MemorySegment.ofArray(new byte[2 * n]) : arena.allocate(2L * n);
                MemorySegment b16 = arena.allocate(2L * n);
                k.toBf16(wide, a16, n);
                ref.toBf16(wide, b16, n);
                assertThat(a16.mismatch(b16)).as("toBf16 n=" + n).isEqualTo(-1);
                k.toF16(wide, a16, n);
                ref.toF16(wide, b16, n);
                assertThat(a16.mismatch(b16)).as("toF16 n=" + n).isEqualTo(-1);
                k.bf16(narrow, a32, n);
                ref.bf16(narrow, b32, n);
                assertThat(a32.mismatch(b32)).as("bf16 n=" + n).isEqualTo(-1);
                k.f16(narrow, a32, n);
                ref.f16(narrow, b32, n);
                assertThat(a32.mismatch(b32)).as("f16 n=" + n).isEqualTo(-1);
            }
        });
    }

    /** Every one of the 65,536 F16 values widens to the bits of the scalar formula. */
    @Test
    void everyHalfWidensLikeTheFormula() {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1 << 16;
            MemorySegment halves = arena.allocate(2L * n);
            for (int h = 0; h < n; h++) {
                halves.set(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * h, (short) h);
            }
            MemorySegment out = arena.allocate(4L * n);
            provider().conversions().f16(halves, out, n);
            for (int h = 0; h < n; h++) {
                assertThat(out.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 4L * h))
                        .as(Integer.toHexString(h)).isEqualTo(ConversionKernel.f16ToF32Bits(h));
            }
        }
    }
}
