// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.simd.VectorizationProvider;
import dev.weightmap.internal.simd.Xxh3Kernel;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicLong;

/**
 * XXH3 (64- and 128-bit) as specified by xxHash 0.8, over any {@link MemorySegment}: native, mapped or heap,
 * any alignment, any length (also beyond 2 GB). Results equal {@code xxhsum -H3} / {@code xxhsum -H2} and
 * libxxhash's {@code XXH3_64bits_withSeed} / {@code XXH3_128bits_withSeed}.
 *
 * <p>Inputs longer than 240 bytes run the stripe loop on {@code jdk.incubator.vector} when that module is
 * present (512-bit vectors hold all eight accumulators); {@code -Dweightmap.vectorization=false} forces the
 * portable scalar loop. For incremental hashing use {@link Checksums#newHasher(ChecksumAlgorithm, long)}.
 *
 * <pre>{@code
 * long h = Xxh3.hash64(segment);                 // == xxhsum -H3
 * String hex = Xxh3.hex128(Xxh3.hash128(segment)); // == xxhsum -H2 (high half first)
 * }</pre>
 */
public final class Xxh3 {
    static final long PRIME32_1 = 0x9E3779B1L;
    static final long PRIME32_2 = 0x85EBCA77L;
    static final long PRIME32_3 = 0xC2B2AE3DL;
    static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
    static final long PRIME64_3 = 0x165667B19E3779F9L;
    static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
    static final long PRIME64_5 = 0x27D4EB2F165667C5L;
    static final long PRIME_MX1 = 0x165667919E3779F9L;
    static final long PRIME_MX2 = 0x9FB21C651E98DF25L;

    /** The scalar stripe kernel: for heap data, and the reference in tests. */
    static final Xxh3Kernel SCALAR = VectorizationProvider.scalar().xxh3();

    /**
     * The kernel to use over {@code s}: the chosen provider's for native (including mapped) segments, the scalar
     * one for heap segments. Vector loads from heap segments measured at less than half the scalar loop's speed
     * (and need a {@code byte[]} base), and keeping heap data out of the vector loop keeps its JIT profile clean.
     * Native input also takes the scalar kernel until the process has hashed {@link KernelChoice#VECTOR_AFTER}
     * bytes of it (see {@link KernelChoice}).
     */
    static Xxh3Kernel kernelFor(MemorySegment s) {
        return s.isNative() ? KernelChoice.PROCESS.forNative(s.byteSize()) : SCALAR;
    }

    /**
     * When native input starts taking the vector kernel. A process that hashes a few small files (a
     * {@code weightmap hash} of a 4 KiB file) would otherwise spend more time initialising the Vector API and
     * running its first blocks in the interpreter (65-85 ms measured) than hashing; the scalar kernel, compiled
     * within a few calls, hashes the first megabytes of a fresh process faster. Once native input of
     * {@link #VECTOR_AFTER} bytes in all has been asked for, every later native input takes the provider's kernel;
     * a first input that large, or a stream announced as that long ({@link #expect}), takes it at once. The two
     * kernels give the same hash, so which one ran is never visible in a result.
     */
    static final class KernelChoice {
        /** Native bytes after which the provider's kernel is used. */
        static final long VECTOR_AFTER = 8L << 20;

        /** The process's choice. */
        static final KernelChoice PROCESS = new KernelChoice();

        private final AtomicLong coldBytes = new AtomicLong();
        private volatile boolean warm;

        /**
         * Announces a stream of {@code length} bytes (a file or a tensor about to be hashed in chunks): one of at
         * least {@link #VECTOR_AFTER} bytes takes the provider's kernel from its first chunk.
         *
         * @param length the stream's length
         */
        void expect(long length) {
            if (length >= VECTOR_AFTER) {
                warm = true;
            }
        }

        /**
         * The kernel for native input of {@code length} bytes.
         *
         * @param length the input's length
         * @return the scalar kernel while the native input so far is below {@link #VECTOR_AFTER}, else the
         *         provider's
         */
        Xxh3Kernel forNative(long length) {
            if (!warm) {
                if (coldBytes.addAndGet(length) < VECTOR_AFTER) {
                    return SCALAR;
                }
                warm = true;
            }
            return VectorizationProvider.get().xxh3();
        }
    }

    static final ValueLayout.OfLong LE64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt LE32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The 192-byte default secret of XXH3 (a constant of the format). */
    private static final byte[] K_SECRET = {
        (byte) 0xb8, (byte) 0xfe, (byte) 0x6c, (byte) 0x39, (byte) 0x23, (byte) 0xa4, (byte) 0x4b, (byte) 0xbe,
        (byte) 0x7c, (byte) 0x01, (byte) 0x81, (byte) 0x2c, (byte) 0xf7, (byte) 0x21, (byte) 0xad, (byte) 0x1c,
        (byte) 0xde, (byte) 0xd4, (byte) 0x6d, (byte) 0xe9, (byte) 0x83, (byte) 0x90, (byte) 0x97, (byte) 0xdb,
        (byte) 0x72, (byte) 0x40, (byte) 0xa4, (byte) 0xa4, (byte) 0xb7, (byte) 0xb3, (byte) 0x67, (byte) 0x1f,
        (byte) 0xcb, (byte) 0x79, (byte) 0xe6, (byte) 0x4e, (byte) 0xcc, (byte) 0xc0, (byte) 0xe5, (byte) 0x78,
        (byte) 0x82, (byte) 0x5a, (byte) 0xd0, (byte) 0x7d, (byte) 0xcc, (byte) 0xff, (byte) 0x72, (byte) 0x21,
        (byte) 0xb8, (byte) 0x08, (byte) 0x46, (byte) 0x74, (byte) 0xf7, (byte) 0x43, (byte) 0x24, (byte) 0x8e,
        (byte) 0xe0, (byte) 0x35, (byte) 0x90, (byte) 0xe6, (byte) 0x81, (byte) 0x3a, (byte) 0x26, (byte) 0x4c,
        (byte) 0x3c, (byte) 0x28, (byte) 0x52, (byte) 0xbb, (byte) 0x91, (byte) 0xc3, (byte) 0x00, (byte) 0xcb,
        (byte) 0x88, (byte) 0xd0, (byte) 0x65, (byte) 0x8b, (byte) 0x1b, (byte) 0x53, (byte) 0x2e, (byte) 0xa3,
        (byte) 0x71, (byte) 0x64, (byte) 0x48, (byte) 0x97, (byte) 0xa2, (byte) 0x0d, (byte) 0xf9, (byte) 0x4e,
        (byte) 0x38, (byte) 0x19, (byte) 0xef, (byte) 0x46, (byte) 0xa9, (byte) 0xde, (byte) 0xac, (byte) 0xd8,
        (byte) 0xa8, (byte) 0xfa, (byte) 0x76, (byte) 0x3f, (byte) 0xe3, (byte) 0x9c, (byte) 0x34, (byte) 0x3f,
        (byte) 0xf9, (byte) 0xdc, (byte) 0xbb, (byte) 0xc7, (byte) 0xc7, (byte) 0x0b, (byte) 0x4f, (byte) 0x1d,
        (byte) 0x8a, (byte) 0x51, (byte) 0xe0, (byte) 0x4b, (byte) 0xcd, (byte) 0xb4, (byte) 0x59, (byte) 0x31,
        (byte) 0xc8, (byte) 0x9f, (byte) 0x7e, (byte) 0xc9, (byte) 0xd9, (byte) 0x78, (byte) 0x73, (byte) 0x64,
        (byte) 0xea, (byte) 0xc5, (byte) 0xac, (byte) 0x83, (byte) 0x34, (byte) 0xd3, (byte) 0xeb, (byte) 0xc3,
        (byte) 0xc5, (byte) 0x81, (byte) 0xa0, (byte) 0xff, (byte) 0xfa, (byte) 0x13, (byte) 0x63, (byte) 0xeb,
        (byte) 0x17, (byte) 0x0d, (byte) 0xdd, (byte) 0x51, (byte) 0xb7, (byte) 0xf0, (byte) 0xda, (byte) 0x49,
        (byte) 0xd3, (byte) 0x16, (byte) 0x55, (byte) 0x26, (byte) 0x29, (byte) 0xd4, (byte) 0x68, (byte) 0x9e,
        (byte) 0x2b, (byte) 0x16, (byte) 0xbe, (byte) 0x58, (byte) 0x7d, (byte) 0x47, (byte) 0xa1, (byte) 0xfc,
        (byte) 0x8f, (byte) 0xf8, (byte) 0xb8, (byte) 0xd1, (byte) 0x7a, (byte) 0xd0, (byte) 0x31, (byte) 0xce,
        (byte) 0x45, (byte) 0xcb, (byte) 0x3a, (byte) 0x8f, (byte) 0x95, (byte) 0x16, (byte) 0x04, (byte) 0x28,
        (byte) 0xaf, (byte) 0xd7, (byte) 0xfb, (byte) 0xca, (byte) 0xbb, (byte) 0x4b, (byte) 0x40, (byte) 0x7e,
    };
    static final int SECRET_SIZE = 192;
    static final MemorySegment DEFAULT_SECRET = MemorySegment.ofArray(K_SECRET).asReadOnly();
    static final int MIDSIZE_MAX = 240;

    private Xxh3() {
    }

    /**
     * XXH3-64 with seed 0 ({@code xxhsum -H3}).
     *
     * @param s the bytes to hash
     * @return the 64-bit hash
     */
    public static long hash64(MemorySegment s) {
        return hash64(s, 0L);
    }

    /**
     * XXH3-64 with a seed ({@code XXH3_64bits_withSeed}).
     *
     * @param s the bytes to hash
     * @param seed the seed
     * @return the 64-bit hash
     */
    public static long hash64(MemorySegment s, long seed) {
        if (FileStreamer.isMapped(s)) { // never run the vector kernel over a mapping: see FileStreamer
            Xxh3Hasher h = new Xxh3Hasher(false, seed);
            h.update(s);
            return h.value64();
        }
        return hash64(kernelFor(s), s, seed);
    }

    /**
     * XXH3-128 with seed 0 ({@code xxhsum -H2}); returns {@code {low64, high64}}.
     *
     * @param s the bytes to hash
     * @return the 128-bit hash as {@code {low64, high64}}
     */
    public static long[] hash128(MemorySegment s) {
        return hash128(s, 0L);
    }

    /**
     * XXH3-128 with a seed ({@code XXH3_128bits_withSeed}); returns {@code {low64, high64}}.
     *
     * @param s the bytes to hash
     * @param seed the seed
     * @return the 128-bit hash as {@code {low64, high64}}
     */
    public static long[] hash128(MemorySegment s, long seed) {
        if (FileStreamer.isMapped(s)) {
            Xxh3Hasher h = new Xxh3Hasher(true, seed);
            h.update(s);
            return h.value128();
        }
        return hash128(kernelFor(s), s, seed);
    }

    /**
     * Canonical hex of a 64-bit hash: 16 lower-case digits, big-endian, as xxhsum prints it.
     *
     * @param h the hash
     * @return 16 lower-case hex digits
     */
    public static String hex64(long h) {
        return String.format("%016x", h);
    }

    /**
     * Canonical hex of a 128-bit hash {@code {low, high}}: high half first, 32 lower-case digits.
     *
     * @param h the hash as {@code {low64, high64}}
     * @return 32 lower-case hex digits
     */
    public static String hex128(long[] h) {
        return String.format("%016x%016x", h[1], h[0]);
    }

    /**
     * Which stripe loop this JVM uses: {@code vector-512}, {@code vector-256} or {@code scalar}.
     *
     * @return the name of the stripe loop in use
     */
    public static String implementation() {
        return VectorizationProvider.get().xxh3().name();
    }

    // ---------------------------------------------------------------------------------------------------------
    // building blocks

    static long secret64(int off) {
        return DEFAULT_SECRET.get(LE64, off);
    }

    static long secret32(int off) {
        return DEFAULT_SECRET.get(LE32, off) & 0xFFFFFFFFL;
    }

    static long mulFold64(long a, long b) {
        return a * b ^ Math.unsignedMultiplyHigh(a, b);
    }

    static long xxh64Avalanche(long h) {
        h ^= h >>> 33;
        h *= PRIME64_2;
        h ^= h >>> 29;
        h *= PRIME64_3;
        return h ^ (h >>> 32);
    }

    static long avalanche(long h) {
        h ^= h >>> 37;
        h *= PRIME_MX1;
        return h ^ (h >>> 32);
    }

    private static long rrmxmx(long h, long len) {
        h ^= Long.rotateLeft(h, 49) ^ Long.rotateLeft(h, 24);
        h *= PRIME_MX2;
        h ^= (h >>> 35) + len;
        h *= PRIME_MX2;
        return h ^ (h >>> 28);
    }

    private static long mix16(MemorySegment s, long off, int secretOff, long seed) {
        long lo = s.get(LE64, off);
        long hi = s.get(LE64, off + 8);
        return mulFold64(lo ^ (secret64(secretOff) + seed), hi ^ (secret64(secretOff + 8) - seed));
    }

    /** The 192-byte secret for long inputs: the default one for seed 0, else derived from the seed. */
    static MemorySegment secretFor(long seed) {
        if (seed == 0) {
            return DEFAULT_SECRET;
        }
        MemorySegment out = MemorySegment.ofArray(new byte[SECRET_SIZE]);
        for (int i = 0; i < SECRET_SIZE; i += 16) {
            out.set(LE64, i, secret64(i) + seed);
            out.set(LE64, i + 8, secret64(i + 8) - seed);
        }
        return out;
    }

    static long[] initialAcc() {
        return new long[] {PRIME32_3, PRIME64_1, PRIME64_2, PRIME64_3, PRIME64_4, PRIME32_2, PRIME64_5, PRIME32_1};
    }

    private static long mix2Accs(long a0, long a1, MemorySegment secret, int off) {
        return mulFold64(a0 ^ secret.get(LE64, off), a1 ^ secret.get(LE64, off + 8));
    }

    static long mergeAccs(long[] acc, MemorySegment secret, int off, long start) {
        long r = start;
        for (int i = 0; i < 4; i++) {
            r += mix2Accs(acc[2 * i], acc[2 * i + 1], secret, off + 16 * i);
        }
        return avalanche(r);
    }

    static long finish64(long[] acc, MemorySegment secret, long len) {
        return mergeAccs(acc, secret, 11, len * PRIME64_1);
    }

    static long[] finish128(long[] acc, MemorySegment secret, long len) {
        long lo = mergeAccs(acc, secret, 11, len * PRIME64_1);
        long hi = mergeAccs(acc, secret, SECRET_SIZE - 64 - 11, ~(len * PRIME64_2));
        return new long[] {lo, hi};
    }

    /** Runs the stripe loop over a whole input of more than 240 bytes. */
    private static long[] longAcc(Xxh3Kernel k, MemorySegment s, long len, MemorySegment secret) {
        long[] acc = initialAcc();
        long blocks = (len - 1) / Xxh3Kernel.BLOCK;
        blocks(k, acc, s, 0, blocks, secret);
        long done = blocks * Xxh3Kernel.BLOCK;
        int stripes = (int) (((len - 1) - done) / Xxh3Kernel.STRIPE);
        k.accumulate(acc, s, done, stripes, secret, 0);
        k.accumulate(acc, s, len - Xxh3Kernel.STRIPE, 1, secret, Xxh3Kernel.LAST_STRIPE_OFFSET);
        return acc;
    }

    /** Blocks per kernel call: bounded calls keep the kernel a normally compiled (not OSR) hot method. */
    static final long BLOCKS_PER_CALL = 64;

    /** Runs the kernel's block loop in bounded calls. */
    static void blocks(Xxh3Kernel k, long[] acc, MemorySegment s, long off, long blocks, MemorySegment secret) {
        while (blocks > 0) {
            long n = Math.min(blocks, BLOCKS_PER_CALL);
            k.blocks(acc, s, off, n, secret);
            off += n * Xxh3Kernel.BLOCK;
            blocks -= n;
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // 64-bit

    static long hash64(Xxh3Kernel k, MemorySegment s, long seed) {
        long len = s.byteSize();
        if (len <= 16) {
            return hash64Upto16(s, (int) len, seed);
        }
        if (len <= 128) {
            return hash64Upto128(s, (int) len, seed);
        }
        if (len <= MIDSIZE_MAX) {
            return hash64Upto240(s, (int) len, seed);
        }
        MemorySegment secret = secretFor(seed);
        return finish64(longAcc(k, s, len, secret), secret, len);
    }

    /** One-shot XXH3-64 of an input of at most 240 bytes. */
    static long hash64Short(MemorySegment s, long seed) {
        int len = (int) s.byteSize();
        if (len <= 16) {
            return hash64Upto16(s, len, seed);
        }
        return len <= 128 ? hash64Upto128(s, len, seed) : hash64Upto240(s, len, seed);
    }

    private static long hash64Upto16(MemorySegment s, int len, long seed) {
        if (len > 8) {
            long bitflip1 = (secret64(24) ^ secret64(32)) + seed;
            long bitflip2 = (secret64(40) ^ secret64(48)) - seed;
            long lo = s.get(LE64, 0) ^ bitflip1;
            long hi = s.get(LE64, len - 8) ^ bitflip2;
            long acc = len + Long.reverseBytes(lo) + hi + mulFold64(lo, hi);
            return avalanche(acc);
        }
        if (len >= 4) {
            long sd = seed ^ ((long) Integer.reverseBytes((int) seed) << 32);
            long in1 = s.get(LE32, 0) & 0xFFFFFFFFL;
            long in2 = s.get(LE32, len - 4) & 0xFFFFFFFFL;
            long bitflip = (secret64(8) ^ secret64(16)) - sd;
            long in64 = in2 + (in1 << 32);
            return rrmxmx(in64 ^ bitflip, len);
        }
        if (len > 0) {
            long c1 = s.get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
            long c2 = s.get(ValueLayout.JAVA_BYTE, len >> 1) & 0xFF;
            long c3 = s.get(ValueLayout.JAVA_BYTE, len - 1) & 0xFF;
            long combined = (c1 << 16) | (c2 << 24) | c3 | ((long) len << 8);
            long bitflip = (secret32(0) ^ secret32(4)) + seed;
            return xxh64Avalanche(combined ^ bitflip);
        }
        return xxh64Avalanche(seed ^ secret64(56) ^ secret64(64));
    }

    private static long hash64Upto128(MemorySegment s, int len, long seed) {
        long acc = len * PRIME64_1;
        if (len > 32) {
            if (len > 64) {
                if (len > 96) {
                    acc += mix16(s, 48, 96, seed);
                    acc += mix16(s, len - 64, 112, seed);
                }
                acc += mix16(s, 32, 64, seed);
                acc += mix16(s, len - 48, 80, seed);
            }
            acc += mix16(s, 16, 32, seed);
            acc += mix16(s, len - 32, 48, seed);
        }
        acc += mix16(s, 0, 0, seed);
        acc += mix16(s, len - 16, 16, seed);
        return avalanche(acc);
    }

    private static long hash64Upto240(MemorySegment s, int len, long seed) {
        long acc = len * PRIME64_1;
        int rounds = len / 16;
        for (int i = 0; i < 8; i++) {
            acc += mix16(s, 16L * i, 16 * i, seed);
        }
        acc = avalanche(acc);
        for (int i = 8; i < rounds; i++) {
            acc += mix16(s, 16L * i, 16 * (i - 8) + 3, seed);
        }
        acc += mix16(s, len - 16, 136 - 17, seed);
        return avalanche(acc);
    }

    // ---------------------------------------------------------------------------------------------------------
    // 128-bit

    static long[] hash128(Xxh3Kernel k, MemorySegment s, long seed) {
        long len = s.byteSize();
        if (len <= MIDSIZE_MAX) {
            return hash128Short(s, seed);
        }
        MemorySegment secret = secretFor(seed);
        return finish128(longAcc(k, s, len, secret), secret, len);
    }

    /** One-shot XXH3-128 of an input of at most 240 bytes. */
    static long[] hash128Short(MemorySegment s, long seed) {
        int len = (int) s.byteSize();
        if (len <= 16) {
            return hash128Upto16(s, len, seed);
        }
        return len <= 128 ? hash128Upto128(s, len, seed) : hash128Upto240(s, len, seed);
    }

    private static long[] hash128Upto16(MemorySegment s, int len, long seed) {
        if (len > 8) {
            long bitflipl = (secret64(32) ^ secret64(40)) - seed;
            long bitfliph = (secret64(48) ^ secret64(56)) + seed;
            long inLo = s.get(LE64, 0);
            long inHi = s.get(LE64, len - 8);
            long x = inLo ^ inHi ^ bitflipl;
            long mLo = x * PRIME64_1;
            long mHi = Math.unsignedMultiplyHigh(x, PRIME64_1);
            mLo += (long) (len - 1) << 54;
            inHi ^= bitfliph;
            mHi += inHi + (inHi & 0xFFFFFFFFL) * (PRIME32_2 - 1);
            mLo ^= Long.reverseBytes(mHi);
            long hLo = mLo * PRIME64_2;
            long hHi = Math.unsignedMultiplyHigh(mLo, PRIME64_2) + mHi * PRIME64_2;
            return new long[] {avalanche(hLo), avalanche(hHi)};
        }
        if (len >= 4) {
            long sd = seed ^ ((long) Integer.reverseBytes((int) seed) << 32);
            long inLo = s.get(LE32, 0) & 0xFFFFFFFFL;
            long inHi = s.get(LE32, len - 4) & 0xFFFFFFFFL;
            long in64 = inLo + (inHi << 32);
            long bitflip = (secret64(16) ^ secret64(24)) + sd;
            long keyed = in64 ^ bitflip;
            long m = PRIME64_1 + ((long) len << 2);
            long lo = keyed * m;
            long hi = Math.unsignedMultiplyHigh(keyed, m);
            hi += lo << 1;
            lo ^= hi >>> 3;
            lo ^= lo >>> 35;
            lo *= PRIME_MX2;
            lo ^= lo >>> 28;
            return new long[] {lo, avalanche(hi)};
        }
        if (len > 0) {
            long c1 = s.get(ValueLayout.JAVA_BYTE, 0) & 0xFF;
            long c2 = s.get(ValueLayout.JAVA_BYTE, len >> 1) & 0xFF;
            long c3 = s.get(ValueLayout.JAVA_BYTE, len - 1) & 0xFF;
            int combinedL = (int) ((c1 << 16) | (c2 << 24) | c3 | ((long) len << 8));
            int combinedH = Integer.rotateLeft(Integer.reverseBytes(combinedL), 13);
            long bitflipL = (secret32(0) ^ secret32(4)) + seed;
            long bitflipH = (secret32(8) ^ secret32(12)) - seed;
            long lo = xxh64Avalanche((combinedL & 0xFFFFFFFFL) ^ bitflipL);
            long hi = xxh64Avalanche((combinedH & 0xFFFFFFFFL) ^ bitflipH);
            return new long[] {lo, hi};
        }
        long lo = xxh64Avalanche(seed ^ secret64(64) ^ secret64(72));
        long hi = xxh64Avalanche(seed ^ secret64(80) ^ secret64(88));
        return new long[] {lo, hi};
    }

    /** acc = {low, high}; mixes two 16-byte inputs. */
    private static void mix32(long[] acc, MemorySegment s, long off1, long off2, int secretOff, long seed) {
        acc[0] += mix16(s, off1, secretOff, seed);
        acc[0] ^= s.get(LE64, off2) + s.get(LE64, off2 + 8);
        acc[1] += mix16(s, off2, secretOff + 16, seed);
        acc[1] ^= s.get(LE64, off1) + s.get(LE64, off1 + 8);
    }

    private static long[] finishMid128(long[] acc, int len, long seed) {
        long lo = acc[0] + acc[1];
        long hi = acc[0] * PRIME64_1 + acc[1] * PRIME64_4 + (len - seed) * PRIME64_2;
        return new long[] {avalanche(lo), -avalanche(hi)};
    }

    private static long[] hash128Upto128(MemorySegment s, int len, long seed) {
        long[] acc = {len * PRIME64_1, 0};
        if (len > 32) {
            if (len > 64) {
                if (len > 96) {
                    mix32(acc, s, 48, len - 64, 96, seed);
                }
                mix32(acc, s, 32, len - 48, 64, seed);
            }
            mix32(acc, s, 16, len - 32, 32, seed);
        }
        mix32(acc, s, 0, len - 16, 0, seed);
        return finishMid128(acc, len, seed);
    }

    private static long[] hash128Upto240(MemorySegment s, int len, long seed) {
        long[] acc = {len * PRIME64_1, 0};
        int rounds = len / 32;
        for (int i = 0; i < 4; i++) {
            mix32(acc, s, 32L * i, 32L * i + 16, 32 * i, seed);
        }
        acc[0] = avalanche(acc[0]);
        acc[1] = avalanche(acc[1]);
        for (int i = 4; i < rounds; i++) {
            mix32(acc, s, 32L * i, 32L * i + 16, 3 + 32 * (i - 4), seed);
        }
        mix32(acc, s, len - 16, len - 32, 136 - 17 - 16, -seed);
        return finishMid128(acc, len, seed);
    }
}
