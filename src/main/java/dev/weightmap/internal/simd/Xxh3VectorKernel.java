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
        if (WIDE) {
            LongVector a = LongVector.fromArray(S512, acc, 0);
            a = stripes512(a, in, off, stripes, secret, secretOff);
            a.intoArray(acc, 0);
        } else {
            LongVector lo = LongVector.fromArray(S256, acc, 0);
            LongVector hi = LongVector.fromArray(S256, acc, 4);
            for (int n = 0; n < stripes; n++) {
                long p = off + (long) n * STRIPE;
                long k = secretOff + 8L * n;
                lo = round256(lo, in, p, secret, k);
                hi = round256(hi, in, p + 32, secret, k + 32);
            }
            lo.intoArray(acc, 0);
            hi.intoArray(acc, 4);
        }
    }

    private static LongVector stripes512(LongVector a, MemorySegment in, long off, int stripes,
                                         MemorySegment secret, long secretOff) {
        for (int n = 0; n < stripes; n++) {
            LongVector d = LongVector.fromMemorySegment(S512, in, off + (long) n * STRIPE, LE);
            LongVector x = d.lanewise(VectorOperators.XOR,
                    LongVector.fromMemorySegment(S512, secret, secretOff + 8L * n, LE));
            LongVector prod = x.and(0xFFFFFFFFL).mul(x.lanewise(VectorOperators.LSHR, 32));
            a = a.add(d.rearrange(SWAP512)).add(prod);
        }
        return a;
    }

    private static LongVector round256(LongVector a, MemorySegment in, long p, MemorySegment secret, long k) {
        LongVector d = LongVector.fromMemorySegment(S256, in, p, LE);
        LongVector x = d.lanewise(VectorOperators.XOR, LongVector.fromMemorySegment(S256, secret, k, LE));
        LongVector prod = x.and(0xFFFFFFFFL).mul(x.lanewise(VectorOperators.LSHR, 32));
        return a.add(d.rearrange(SWAP256)).add(prod);
    }

    private static LongVector scramble512(LongVector a, MemorySegment secret) {
        LongVector k = LongVector.fromMemorySegment(S512, secret, SCRAMBLE_OFFSET, LE);
        a = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 47));
        return a.lanewise(VectorOperators.XOR, k).mul(PRIME32_1);
    }

    private static LongVector scramble256(LongVector a, MemorySegment secret, long k) {
        LongVector key = LongVector.fromMemorySegment(S256, secret, k, LE);
        a = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 47));
        return a.lanewise(VectorOperators.XOR, key).mul(PRIME32_1);
    }

    @Override
    public void scramble(long[] acc, MemorySegment secret) {
        if (WIDE) {
            scramble512(LongVector.fromArray(S512, acc, 0), secret).intoArray(acc, 0);
        } else {
            scramble256(LongVector.fromArray(S256, acc, 0), secret, SCRAMBLE_OFFSET).intoArray(acc, 0);
            scramble256(LongVector.fromArray(S256, acc, 4), secret, SCRAMBLE_OFFSET + 32).intoArray(acc, 4);
        }
    }

    @Override
    public void blocks(long[] acc, MemorySegment in, long off, long blocks, MemorySegment secret) {
        if (WIDE) {
            // One copy of the loop per segment kind: each keeps a monomorphic profile at its vector loads, so
            // hashing native, mapped and heap segments in one JVM does not de-optimise the loads for all three.
            long[] key = secretLongs(secret);
            if (!in.isNative()) {
                blocks512Heap(acc, in, off, blocks, key);
            } else if (in.isMapped()) {
                blocks512Mapped(acc, in, off, blocks, key);
            } else {
                blocks512Native(acc, in, off, blocks, key);
            }
        } else {
            long[] key = secretLongs(secret);
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
                    LongVector xLo = dLo.lanewise(VectorOperators.XOR, LongVector.fromArray(S256, key, n));
                    LongVector xHi = dHi.lanewise(VectorOperators.XOR, LongVector.fromArray(S256, key, n + 4));
                    lo = lo.add(xLo.and(0xFFFFFFFFL).mul(xLo.lanewise(VectorOperators.LSHR, 32)));
                    hi = hi.add(xHi.and(0xFFFFFFFFL).mul(xHi.lanewise(VectorOperators.LSHR, 32)));
                    sumLo = sumLo.add(dLo);
                    sumHi = sumHi.add(dHi);
                }
                lo = lo.add(sumLo.rearrange(SWAP256));
                hi = hi.add(sumHi.rearrange(SWAP256));
                lo = lo.lanewise(VectorOperators.XOR, lo.lanewise(VectorOperators.LSHR, 47));
                lo = lo.lanewise(VectorOperators.XOR, skLo).mul(PRIME32_1);
                hi = hi.lanewise(VectorOperators.XOR, hi.lanewise(VectorOperators.LSHR, 47));
                hi = hi.lanewise(VectorOperators.XOR, skHi).mul(PRIME32_1);
            }
            lo.intoArray(acc, 0);
            hi.intoArray(acc, 4);
        }
    }

    /** The 512-bit block loop over native (non-mapped) segments; identical to the other two copies. */
    private static void blocks512Native(long[] acc, MemorySegment in, long off, long blocks, long[] key) {
        LongVector a = LongVector.fromArray(S512, acc, 0);
        LongVector sk = LongVector.fromArray(S512, key, 16);
        for (long b = 0; b < blocks; b++) {
            long base = off + b * BLOCK;
            LongVector p = a;
            LongVector sum = LongVector.zero(S512);
            for (int n = 0; n < STRIPES_PER_BLOCK; n++) {
                LongVector d = LongVector.fromMemorySegment(S512, in, base + (long) n * STRIPE, LE);
                LongVector x = d.lanewise(VectorOperators.XOR, LongVector.fromArray(S512, key, n));
                p = p.add(x.and(0xFFFFFFFFL).mul(x.lanewise(VectorOperators.LSHR, 32)));
                sum = sum.add(d);
            }
            a = p.add(sum.rearrange(SWAP512));
            a = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 47));
            a = a.lanewise(VectorOperators.XOR, sk).mul(PRIME32_1);
        }
        a.intoArray(acc, 0);
    }

    /** The 512-bit block loop over mapped segments. */
    private static void blocks512Mapped(long[] acc, MemorySegment in, long off, long blocks, long[] key) {
        LongVector a = LongVector.fromArray(S512, acc, 0);
        LongVector sk = LongVector.fromArray(S512, key, 16);
        for (long b = 0; b < blocks; b++) {
            long base = off + b * BLOCK;
            LongVector p = a;
            LongVector sum = LongVector.zero(S512);
            for (int n = 0; n < STRIPES_PER_BLOCK; n++) {
                LongVector d = LongVector.fromMemorySegment(S512, in, base + (long) n * STRIPE, LE);
                LongVector x = d.lanewise(VectorOperators.XOR, LongVector.fromArray(S512, key, n));
                p = p.add(x.and(0xFFFFFFFFL).mul(x.lanewise(VectorOperators.LSHR, 32)));
                sum = sum.add(d);
            }
            a = p.add(sum.rearrange(SWAP512));
            a = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 47));
            a = a.lanewise(VectorOperators.XOR, sk).mul(PRIME32_1);
        }
        a.intoArray(acc, 0);
    }

    /** The 512-bit block loop over heap segments. */
    private static void blocks512Heap(long[] acc, MemorySegment in, long off, long blocks, long[] key) {
        LongVector a = LongVector.fromArray(S512, acc, 0);
        LongVector sk = LongVector.fromArray(S512, key, 16);
        for (long b = 0; b < blocks; b++) {
            long base = off + b * BLOCK;
            LongVector p = a;
            LongVector sum = LongVector.zero(S512);
            for (int n = 0; n < STRIPES_PER_BLOCK; n++) {
                LongVector d = LongVector.fromMemorySegment(S512, in, base + (long) n * STRIPE, LE);
                LongVector x = d.lanewise(VectorOperators.XOR, LongVector.fromArray(S512, key, n));
                p = p.add(x.and(0xFFFFFFFFL).mul(x.lanewise(VectorOperators.LSHR, 32)));
                sum = sum.add(d);
            }
            a = p.add(sum.rearrange(SWAP512));
            a = a.lanewise(VectorOperators.XOR, a.lanewise(VectorOperators.LSHR, 47));
            a = a.lanewise(VectorOperators.XOR, sk).mul(PRIME32_1);
        }
        a.intoArray(acc, 0);
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
