// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import java.lang.foreign.MemorySegment;

/**
 * The hot loop of XXH3's long-input path: stripe accumulation and accumulator scrambling over eight 64-bit
 * lanes. A scalar implementation always exists; a Vector API one is chosen once at startup when the
 * incubator module is present (see {@link VectorizationProvider}). All offsets are byte offsets; the secret is always
 * the 192-byte (default or seed-derived) secret.
 */
public abstract class Xxh3Kernel {
    /** Implementations live in this package. */
    Xxh3Kernel() {
    }

    /** Bytes per stripe. */
    public static final int STRIPE = 64;
    /** Stripes per block with a 192-byte secret: (192 - 64) / 8. */
    public static final int STRIPES_PER_BLOCK = 16;
    /** Bytes per block. */
    public static final int BLOCK = STRIPE * STRIPES_PER_BLOCK;
    /** Secret offset of the scramble keys: secret size - 64. */
    public static final int SCRAMBLE_OFFSET = 128;
    /** Secret offset of the keys of the last stripe: secret size - 64 - 7. */
    public static final int LAST_STRIPE_OFFSET = 121;

    /** XXH3's PRIME32_1, the scramble multiplier. */
    public static final long PRIME32_1 = 0x9E3779B1L;

    /**
     * A short name for reports and benchmarks.
     *
     * @return {@code scalar}, {@code vector-256} or {@code vector-512}
     */
    public abstract String name();

    /**
     * Accumulates {@code stripes} consecutive stripes of {@code in} starting at {@code off}; stripe n uses the
     * secret keys at {@code secretOff + 8 n}.
     *
     * @param acc the eight accumulators, updated in place
     * @param in the input
     * @param off byte offset of the first stripe in {@code in}
     * @param stripes the number of stripes
     * @param secret the 192-byte secret
     * @param secretOff byte offset in {@code secret} of the first stripe's keys
     */
    public abstract void accumulate(long[] acc, MemorySegment in, long off, int stripes, MemorySegment secret,
            long secretOff);

    /**
     * Scrambles the accumulators with the keys at {@link #SCRAMBLE_OFFSET}.
     *
     * @param acc the eight accumulators, updated in place
     * @param secret the 192-byte secret
     */
    public abstract void scramble(long[] acc, MemorySegment secret);

    /**
     * Processes {@code blocks} whole blocks starting at {@code off}: each is 16 stripes (secret offsets 0, 8, ...,
     * 120) followed by a scramble.
     *
     * @param acc the eight accumulators, updated in place
     * @param in the input
     * @param off byte offset of the first block in {@code in}
     * @param blocks the number of blocks
     * @param secret the 192-byte secret
     */
    public abstract void blocks(long[] acc, MemorySegment in, long off, long blocks, MemorySegment secret);
}
