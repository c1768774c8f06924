package dev.weightmap.checksum;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * XXH3 stripe loop on {@code jdk.incubator.vector}: with a 512-bit preferred species the eight accumulators
 * are one {@link LongVector}, with 256 bits two. Loaded only reflectively by {@link Xxh3Kernels} after the
 * module was found; construction fails for other widths, and the caller then keeps the scalar kernel.
 */
final class Xxh3VectorKernel extends Xxh3Kernel {
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final VectorSpecies<Long> S512 = LongVector.SPECIES_512;
    private static final VectorSpecies<Long> S256 = LongVector.SPECIES_256;
    private static final VectorShuffle<Long> SWAP512 = VectorShuffle.fromValues(S512, 1, 0, 3, 2, 5, 4, 7, 6);
    private static final VectorShuffle<Long> SWAP256 = VectorShuffle.fromValues(S256, 1, 0, 3, 2);
    private static final boolean WIDE = LongVector.SPECIES_PREFERRED.vectorBitSize() >= 512;

    /** Public for the reflective lookup; throws when the preferred species is narrower than 256 bits. */
    public Xxh3VectorKernel() {
        if (LongVector.SPECIES_PREFERRED.vectorBitSize() < 256) {
            throw new UnsupportedOperationException("preferred vector species has only "
                    + LongVector.SPECIES_PREFERRED.vectorBitSize() + " bits");
        }
    }

    @Override
    String name() {
        return WIDE ? "vector-512" : "vector-256";
    }

    @Override
    void accumulate(long[] acc, MemorySegment in, long off, int stripes, MemorySegment secret, long secretOff) {
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
    void scramble(long[] acc, MemorySegment secret) {
        if (WIDE) {
            scramble512(LongVector.fromArray(S512, acc, 0), secret).intoArray(acc, 0);
        } else {
            scramble256(LongVector.fromArray(S256, acc, 0), secret, SCRAMBLE_OFFSET).intoArray(acc, 0);
            scramble256(LongVector.fromArray(S256, acc, 4), secret, SCRAMBLE_OFFSET + 32).intoArray(acc, 4);
        }
    }

    @Override
    void blocks(long[] acc, MemorySegment in, long off, long blocks, MemorySegment secret) {
        if (WIDE) {
            LongVector a = LongVector.fromArray(S512, acc, 0);
            for (long b = 0; b < blocks; b++) {
                a = stripes512(a, in, off + b * BLOCK, STRIPES_PER_BLOCK, secret, 0);
                a = scramble512(a, secret);
            }
            a.intoArray(acc, 0);
        } else {
            LongVector lo = LongVector.fromArray(S256, acc, 0);
            LongVector hi = LongVector.fromArray(S256, acc, 4);
            for (long b = 0; b < blocks; b++) {
                long base = off + b * BLOCK;
                for (int n = 0; n < STRIPES_PER_BLOCK; n++) {
                    long p = base + (long) n * STRIPE;
                    lo = round256(lo, in, p, secret, 8L * n);
                    hi = round256(hi, in, p + 32, secret, 8L * n + 32);
                }
                lo = scramble256(lo, secret, SCRAMBLE_OFFSET);
                hi = scramble256(hi, secret, SCRAMBLE_OFFSET + 32);
            }
            lo.intoArray(acc, 0);
            hi.intoArray(acc, 4);
        }
    }
}
