// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * XXH3 stripe loop on {@code jdk.incubator.vector}: with a 512-bit preferred species the eight accumulators
 * are one {@link LongVector}, with 256 bits two. Created only by {@link VectorProvider}, itself
 * loaded only when the module was found; construction fails for other widths, and the provider then keeps the
 * scalar kernel.
 */
final class Xxh3VectorKernel extends Xxh3Kernel {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Long> S512 = LongVector.SPECIES_512;
    private static final VectorSpecies<Long> S256 = LongVector.SPECIES_256;
    private static final VectorShuffle<Long> SWAP512 = VectorShuffle.fromValues(S512, 1, 0, 3, 2, 5, 4, 7, 6);
    private static final VectorShuffle<Long> SWAP256 = VectorShuffle.fromValues(S256, 1, 0, 3, 2);
    private static final boolean WIDE = LongVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    /** Throws when the preferred species is narrower than 256 bits. */
    Xxh3VectorKernel() {
        if (LongVector.SPECIES_PREFERRED.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("preferred vector species has only "
                    + LongVector.SPECIES_PREFERRED.vectorBitSize() + " bits");
        }
    }

    @Override
    public String name() {
        return WIDE ? "vector-512" : "vector-256";
    }

    @Override
    public void accumulate(long[] acc, MemorySegment in, long off, int stripes, MemorySegment secret, long secretOff) {
        if ((secretOff & 7) != 0 || !in.isNative()) { // the last stripe's keys (offset 121), or heap data: scalar
            ScalarProvider.INSTANCE.xxh3().accumulate(acc, in, off, stripes, secret, secretOff);
            return;
        }
        // The keys come from the secret's words in a long[], never as vector loads from the secret's segment:
        // the secret is a heap segment, and vector loads from it share the JDK's load code (and its profile)
        // with the input's loads, which then ran 4-7 times slower (hashing from cache) in most JVMs.
        long[] key = secretLongs(secret);
        int k = (int) (secretOff >>> 3);
        if (WIDE) {
            LongVector a = LongVector.fromArray(S512, acc, 0);
            for (int n = 0; n < stripes; n++) {
                LongVector d = LongVector.fromMemorySegment(S512, in, off + (long) n * STRIPE, LE);
                a = a.add(d.rearrange(SWAP512)).add(product(d, LongVector.fromArray(S512, key, k + n)));
            }
            a.intoArray(acc, 0);
        } else {
            LongVector lo = LongVector.fromArray(S256, acc, 0);
            LongVector hi = LongVector.fromArray(S256, acc, 4);
            for (int n = 0; n < stripes; n++) {
                long p = off + (long) n * STRIPE;
                LongVector dLo = LongVector.fromMemorySegment(S256, in, p, LE);
                LongVector dHi = LongVector.fromMemorySegment(S256, in, p + 32, LE);
                lo = lo.add(dLo.rearrange(SWAP256)).add(product(dLo, LongVector.fromArray(S256, key, k + n)));
                hi = hi.add(dHi.rearrange(SWAP256)).add(product(dHi, LongVector.fromArray(S256, key, k + n + 4)));
            }
            lo.intoArray(acc, 0);
            hi.intoArray(acc, 4);
        }
    }

    @Override
    public void scramble(long[] acc, MemorySegment secret) {
        long[] key = secretLongs(secret);
        if (WIDE) {
            scrambled(LongVector.fromArray(S512, acc, 0), LongVector.fromArray(S512, key, SCRAMBLE_OFFSET / 8))
                    .intoArray(acc, 0);
        } else {
            scrambled(LongVector.fromArray(S256, acc, 0), LongVector.fromArray(S256, key, SCRAMBLE_OFFSET / 8))
                    .intoArray(acc, 0);
            scrambled(LongVector.fromArray(S256, acc, 4), LongVector.fromArray(S256, key, SCRAMBLE_OFFSET / 8 + 4))
                    .intoArray(acc, 4);
        }
    }

    @Override
    public void blocks(long[] acc, MemorySegment in, long off, long blocks, MemorySegment secret) {
        // The library passes native segments only. This check is also what makes the loop fast: the call site
        // sees one segment class, so C2 guards on it and the vector loads below know the exact segment type.
        // Without it the loads take their type from the JDK's shared load code, whose profile has seen the
        // other segments the process read; the loop then ran at 55 instead of 36 ms per GiB in about half of
        // the JVMs started.
        if (!in.isNative()) {
            ScalarProvider.INSTANCE.xxh3().blocks(acc, in, off, blocks, secret);
            return;
        }
        long[] key = secretLongs(secret);
        if (WIDE) {
            blocks512(acc, in, off, blocks, key);
        } else {
            blocks256(acc, in, off, blocks, key);
        }
    }

    /**
     * The block loop with the eight accumulators in one 512-bit vector. The products of a block are summed onto
     * the accumulators as they come, the input words apart and rotated once at the end of the block (the sum of
     * the swapped inputs is the swap of their sum), then the block is scrambled. It sees native buffers only
     * (mapped files are copied out first, heap data takes the scalar kernel: see {@link #blocks}).
     */
    private static void blocks512(long[] acc, MemorySegment in, long off, long blocks, long[] key) {
        LongVector a = LongVector.fromArray(S512, acc, 0);
        LongVector sk = LongVector.fromArray(S512, key, 16);
        for (long b = 0; b < blocks; b++) {
            long base = off + b * BLOCK;
            LongVector p = a;
            LongVector sum = LongVector.zero(S512);
            for (int n = 0; n < STRIPES_PER_BLOCK; n++) {
                LongVector d = LongVector.fromMemorySegment(S512, in, base + (long) n * STRIPE, LE);
                p = p.add(product(d, LongVector.fromArray(S512, key, n)));
                sum = sum.add(d);
            }
            a = scrambled(p.add(sum.rearrange(SWAP512)), sk);
        }
        a.intoArray(acc, 0);
    }

    /** The same loop with the accumulators in two 256-bit halves. */
    private static void blocks256(long[] acc, MemorySegment in, long off, long blocks, long[] key) {
        LongVector lo = LongVector.fromArray(S256, acc, 0);
        LongVector hi = LongVector.fromArray(S256, acc, 4);
        LongVector skLo = LongVector.fromArray(S256, key, 16);
        LongVector skHi = LongVector.fromArray(S256, key, 20);
        for (long b = 0; b < blocks; b++) {
            long base = off + b * BLOCK;
            LongVector sumLo = LongVector.zero(S256);
            LongVector sumHi = LongVector.zero(S256);
            for (int n = 0; n < STRIPES_PER_BLOCK; n++) {
                long p = base + (long) n * STRIPE;
                LongVector dLo = LongVector.fromMemorySegment(S256, in, p, LE);
                LongVector dHi = LongVector.fromMemorySegment(S256, in, p + 32, LE);
                lo = lo.add(product(dLo, LongVector.fromArray(S256, key, n)));
                hi = hi.add(product(dHi, LongVector.fromArray(S256, key, n + 4)));
                sumLo = sumLo.add(dLo);
                sumHi = sumHi.add(dHi);
            }
            lo = scrambled(lo.add(sumLo.rearrange(SWAP256)), skLo);
            hi = scrambled(hi.add(sumHi.rearrange(SWAP256)), skHi);
        }
        lo.intoArray(acc, 0);
        hi.intoArray(acc, 4);
    }

    /** {@code lo32(d ^ k) * hi32(d ^ k)} in every lane. */
    private static LongVector product(LongVector d, LongVector k) {
        LongVector x = d.lanewise(VectorOperators.XOR, k);
        return x.and(0xFFFFFFFFL).mul(x.lanewise(VectorOperators.LSHR, 32));
    }

    /** XXH3's scramble of accumulators {@code a} with the keys {@code k}. */
    private static LongVector scrambled(LongVector a, LongVector k) {
        a = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 47));
        return a.lanewise(VectorOperators.XOR, k).mul(PRIME32_1);
    }

    /** A secret and its 24 little-endian words. */
    private record Keys(MemorySegment secret, long[] words) {
    }

    /** The words of the secret used last (nearly always the default secret, whose segment is a constant). */
    private static volatile Keys last = new Keys(MemorySegment.NULL, new long[24]);

    /** The 24 little-endian words of a 192-byte secret (cached for the secret used last). */
    private static long[] secretLongs(MemorySegment secret) {
        Keys k = last;
        if (k.secret() == secret) {
            return k.words();
        }
        long[] w = new long[24];
        for (int i = 0; i < 24; i++) {
            w[i] = secret.get(Xxh3ScalarKernel.LE64, 8L * i);
        }
        last = new Keys(secret, w);
        return w;
    }
}
