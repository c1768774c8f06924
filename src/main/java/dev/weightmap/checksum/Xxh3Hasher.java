// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.simd.Xxh3Kernel;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * Incremental XXH3 (64 or 128 bits). Stripes are consumed only while at least one more input byte follows
 * them, so the state always holds the input's last stripe for the final merge, exactly as the one-shot hash
 * sees it. Inputs up to 256 bytes wait in the buffer; large updates run the kernel's block loop directly over
 * the caller's segment.
 */
final class Xxh3Hasher implements Hasher {
    private static final int BUFFER = 256;
    private static final int STRIPE = Xxh3Kernel.STRIPE;

    private final boolean wide;
    private final long seed;
    private final MemorySegment secret;
    private final long[] acc = Xxh3.initialAcc();
    private final byte[] buf = new byte[BUFFER];
    private final MemorySegment bufSeg = MemorySegment.ofArray(buf);
    /** The 64 input bytes before the buffered ones (valid once a stripe was consumed). */
    private final byte[] prev = new byte[STRIPE];
    private int buffered;
    private int stripesInBlock;
    private long total;

    Xxh3Hasher(boolean wide, long seed) {
        this.wide = wide;
        this.seed = seed;
        this.secret = Xxh3.secretFor(seed);
    }

    @Override
    public ChecksumAlgorithm algorithm() {
        return wide ? ChecksumAlgorithm.XXH3_128 : ChecksumAlgorithm.XXH3_64;
    }

    @Override
    public void update(MemorySegment in) {
        if (FileStreamer.isMapped(in)) { // chunks in a private buffer: no vector loads from a mapping
            FileStreamer.readSegment(in, this::update);
            return;
        }
        long len = in.byteSize();
        if (len == 0) {
            return;
        }
        total += len;
        if (buffered + len <= BUFFER) {
            MemorySegment.copy(in, 0, bufSeg, buffered, len);
            buffered += (int) len;
            return;
        }
        long off = 0;
        if (buffered > 0) {
            int fill = BUFFER - buffered;
            MemorySegment.copy(in, 0, bufSeg, buffered, fill);
            off = fill;
            stripesInBlock = consume(Xxh3.SCALAR, acc, stripesInBlock, bufSeg, 0, BUFFER / STRIPE, secret);
            System.arraycopy(buf, BUFFER - STRIPE, prev, 0, STRIPE);
            buffered = 0;
        }
        long rem = len - off; // >= 1
        if (rem > BUFFER) {
            long stripes = (rem - 1) / STRIPE;
            stripesInBlock = consume(Xxh3.kernelFor(in), acc, stripesInBlock, in, off, stripes, secret);
            off += stripes * STRIPE;
            MemorySegment.copy(in, off - STRIPE, MemorySegment.ofArray(prev), 0, STRIPE);
            rem = len - off;
        }
        MemorySegment.copy(in, off, bufSeg, 0, rem);
        buffered = (int) rem;
    }

    /** Consumes {@code n} stripes at {@code off}; returns the new count of stripes in the current block. */
    static int consume(Xxh3Kernel k, long[] acc, int inBlock, MemorySegment src, long off, long n,
                       MemorySegment secret) {
        if (inBlock > 0 || n < Xxh3Kernel.STRIPES_PER_BLOCK) {
            int toEnd = Xxh3Kernel.STRIPES_PER_BLOCK - inBlock;
            if (n < toEnd) {
                k.accumulate(acc, src, off, (int) n, secret, 8L * inBlock);
                return inBlock + (int) n;
            }
            k.accumulate(acc, src, off, toEnd, secret, 8L * inBlock);
            k.scramble(acc, secret);
            off += (long) toEnd * STRIPE;
            n -= toEnd;
        }
        long blocks = n / Xxh3Kernel.STRIPES_PER_BLOCK;
        Xxh3.blocks(k, acc, src, off, blocks, secret);
        off += blocks * Xxh3Kernel.BLOCK;
        int left = (int) (n - blocks * Xxh3Kernel.STRIPES_PER_BLOCK);
        k.accumulate(acc, src, off, left, secret, 0);
        return left;
    }

    private long[] longAcc() {
        long[] a = acc.clone();
        Xxh3Kernel k = Xxh3.SCALAR; // heap buffer: keep heap data out of the vector loop
        int n = (buffered - 1) / STRIPE;
        consume(k, a, stripesInBlock, bufSeg, 0, n, secret);
        MemorySegment last;
        if (buffered >= STRIPE) {
            last = bufSeg.asSlice(buffered - STRIPE, STRIPE);
        } else {
            byte[] tmp = new byte[STRIPE];
            System.arraycopy(prev, buffered, tmp, 0, STRIPE - buffered);
            System.arraycopy(buf, 0, tmp, STRIPE - buffered, buffered);
            last = MemorySegment.ofArray(tmp);
        }
        k.accumulate(a, last, 0, 1, secret, Xxh3Kernel.LAST_STRIPE_OFFSET);
        return a;
    }

    /** The 64-bit hash of everything so far (the state is not changed). */
    long value64() {
        if (total <= Xxh3.MIDSIZE_MAX) {
            return Xxh3.hash64Short(bufSeg.asSlice(0, total), seed);
        }
        return Xxh3.finish64(longAcc(), secret, total);
    }

    /** The 128-bit hash {@code {low, high}} of everything so far (the state is not changed). */
    long[] value128() {
        if (total <= Xxh3.MIDSIZE_MAX) {
            return Xxh3.hash128Short(bufSeg.asSlice(0, total), seed);
        }
        return Xxh3.finish128(longAcc(), secret, total);
    }

    @Override
    public byte[] digest() {
        if (wide) {
            long[] h = value128();
            return ByteBuffer.allocate(16).putLong(h[1]).putLong(h[0]).array();
        }
        return ByteBuffer.allocate(8).putLong(value64()).array();
    }
}
