// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Portable XXH3 stripe loop: eight accumulator lanes in local variables, little-endian unaligned reads. */
final class Xxh3ScalarKernel extends Xxh3Kernel {
    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void accumulate(long[] acc, MemorySegment in, long off, int stripes, MemorySegment secret, long secretOff) {
        long a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
        long a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
        for (int n = 0; n < stripes; n++) {
            long p = off + (long) n * STRIPE;
            long k = secretOff + 8L * n;
            long d0 = in.get(LE64, p), d1 = in.get(LE64, p + 8);
            long d2 = in.get(LE64, p + 16), d3 = in.get(LE64, p + 24);
            long d4 = in.get(LE64, p + 32), d5 = in.get(LE64, p + 40);
            long d6 = in.get(LE64, p + 48), d7 = in.get(LE64, p + 56);
            long x0 = d0 ^ secret.get(LE64, k), x1 = d1 ^ secret.get(LE64, k + 8);
            long x2 = d2 ^ secret.get(LE64, k + 16), x3 = d3 ^ secret.get(LE64, k + 24);
            long x4 = d4 ^ secret.get(LE64, k + 32), x5 = d5 ^ secret.get(LE64, k + 40);
            long x6 = d6 ^ secret.get(LE64, k + 48), x7 = d7 ^ secret.get(LE64, k + 56);
            a0 += d1 + (x0 & 0xFFFFFFFFL) * (x0 >>> 32);
            a1 += d0 + (x1 & 0xFFFFFFFFL) * (x1 >>> 32);
            a2 += d3 + (x2 & 0xFFFFFFFFL) * (x2 >>> 32);
            a3 += d2 + (x3 & 0xFFFFFFFFL) * (x3 >>> 32);
            a4 += d5 + (x4 & 0xFFFFFFFFL) * (x4 >>> 32);
            a5 += d4 + (x5 & 0xFFFFFFFFL) * (x5 >>> 32);
            a6 += d7 + (x6 & 0xFFFFFFFFL) * (x6 >>> 32);
            a7 += d6 + (x7 & 0xFFFFFFFFL) * (x7 >>> 32);
        }
        acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
        acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
    }

    @Override
    public void scramble(long[] acc, MemorySegment secret) {
        for (int i = 0; i < 8; i++) {
            long a = acc[i];
            a ^= a >>> 47;
            a ^= secret.get(LE64, SCRAMBLE_OFFSET + 8L * i);
            acc[i] = a * PRIME32_1;
        }
    }

    @Override
    public void blocks(long[] acc, MemorySegment in, long off, long blocks, MemorySegment secret) {
        for (long b = 0; b < blocks; b++) {
            accumulate(acc, in, off + b * BLOCK, STRIPES_PER_BLOCK, secret, 0);
            scramble(acc, secret);
        }
    }
}
