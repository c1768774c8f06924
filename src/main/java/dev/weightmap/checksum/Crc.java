// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.exec.Parallel;
import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * CRC32 (zlib, reflected polynomial 0xEDB88320) and CRC32C (Castagnoli, 0x82F63B78) over any
 * {@link MemorySegment}, also larger than 2 GB. The bytes go through the JDK's intrinsified
 * {@link CRC32}/{@link CRC32C} in slices of at most 1 GiB; the parallel variants hash chunks on several threads
 * and join them with {@link #combineCrc32}/{@link #combineCrc32c}, giving exactly the single-threaded value.
 *
 * <pre>{@code
 * int c = Crc.crc32c(segment, Runtime.getRuntime().availableProcessors());
 * int whole = Crc.combineCrc32c(Crc.crc32c(a), Crc.crc32c(b), b.byteSize()); // == crc32c(a ++ b)
 * }</pre>
 */
public final class Crc {
    static final int POLY_CRC32 = 0xEDB88320;
    static final int POLY_CRC32C = 0x82F63B78;
    /** Largest slice handed to the JDK as one ByteBuffer. */
    static final long SLICE = 1L << 30;
    /** Largest slice of native memory handed to the JDK at once (it keeps the arena acquired meanwhile). */
    static final long NATIVE_SLICE = 4L << 20;
    /** Smallest chunk worth a thread of its own. */
    static final long MIN_PARALLEL_CHUNK = 8L << 20;
    /** Largest chunk of one task: a few large segments still spread over every thread. */
    static final long MAX_PARALLEL_CHUNK = 64L << 20;

    /** x^(2^k) mod P for k = 0..66, per polynomial (66 = enough for any byte count times 8). */
    private static final int[] X2N_CRC32 = powers(POLY_CRC32);
    private static final int[] X2N_CRC32C = powers(POLY_CRC32C);

    private Crc() {
    }

    /**
     * CRC32 of the whole segment on the calling thread.
     *
     * @param s the bytes, of any size
     * @return the CRC32 value
     */
    public static int crc32(MemorySegment s) {
        CRC32 c = new CRC32();
        update(c, s);
        return (int) c.getValue();
    }

    /**
     * CRC32C of the whole segment on the calling thread.
     *
     * @param s the bytes, of any size
     * @return the CRC32C value
     */
    public static int crc32c(MemorySegment s) {
        CRC32C c = new CRC32C();
        update(c, s);
        return (int) c.getValue();
    }

    /**
     * CRC32 of the segment using up to {@code threads} threads; equal to {@link #crc32(MemorySegment)}.
     *
     * @param s the bytes, of any size
     * @param threads the most threads to use
     * @return the CRC32 value
     */
    public static int crc32(MemorySegment s, int threads) {
        return parallel(s, threads, false);
    }

    /**
     * CRC32C of the segment using up to {@code threads} threads; equal to {@link #crc32c(MemorySegment)}.
     *
     * @param s the bytes, of any size
     * @param threads the most threads to use
     * @return the CRC32C value
     */
    public static int crc32c(MemorySegment s, int threads) {
        return parallel(s, threads, true);
    }

    /**
     * The CRC32 of {@code A ++ B} from {@code crc32(A)}, {@code crc32(B)} and the length of B in bytes.
     *
     * @param crcA the CRC32 of the first part A
     * @param crcB the CRC32 of the second part B
     * @param lengthB the length of B in bytes
     * @return the CRC32 of A followed by B
     */
    public static int combineCrc32(int crcA, int crcB, long lengthB) {
        return combine(X2N_CRC32, POLY_CRC32, crcA, crcB, lengthB);
    }

    /**
     * The CRC32C of {@code A ++ B} from {@code crc32c(A)}, {@code crc32c(B)} and the length of B in bytes.
     *
     * @param crcA the CRC32C of the first part A
     * @param crcB the CRC32C of the second part B
     * @param lengthB the length of B in bytes
     * @return the CRC32C of A followed by B
     */
    public static int combineCrc32c(int crcA, int crcB, long lengthB) {
        return combine(X2N_CRC32C, POLY_CRC32C, crcA, crcB, lengthB);
    }

    // ---------------------------------------------------------------------------------------------------------

    /** Feeds a segment of any size and kind into a JDK checksum. */
    static void update(Checksum c, MemorySegment s) {
        update(c, s, null);
    }

    /** As {@link #update(Checksum, MemorySegment)}; {@code region}: the mapping {@code s} is a slice of, or null. */
    static void update(Checksum c, MemorySegment s, MappedRegion region) {
        if (FileStreamer.isMapped(s)) {
            // the CRC intrinsics crash the JVM on a truncated mapping and keep its arena acquired for the whole
            // call: feed them chunks read into a private buffer instead (see FileStreamer)
            FileStreamer.readSegment(s, region, chunk -> c.update(chunk.asByteBuffer()));
            return;
        }
        long len = s.byteSize();
        // native memory of a shared arena stays acquired while the intrinsic runs: small slices let its close in
        long slice = s.isNative() ? NATIVE_SLICE : SLICE;
        for (long off = 0; off < len; off += slice) {
            MemorySegment part = s.asSlice(off, Math.min(slice, len - off));
            ByteBuffer bb;
            try {
                bb = part.asByteBuffer();
            } catch (UnsupportedOperationException notBytes) {
                copyThrough(c, part);
                continue;
            }
            c.update(bb);
        }
    }

    private static void copyThrough(Checksum c, MemorySegment s) {
        byte[] tmp = new byte[(int) Math.min(1 << 16, s.byteSize())];
        long len = s.byteSize();
        for (long off = 0; off < len; off += tmp.length) {
            int n = (int) Math.min(tmp.length, len - off);
            MemorySegment.copy(s, off, MemorySegment.ofArray(tmp), 0, n);
            c.update(tmp, 0, n);
        }
    }

    private static int parallel(MemorySegment s, int threads, boolean castagnoli) {
        return parallel(List.of(s), null, threads, castagnoli, null)[0];
    }

    /**
     * The CRC32 or CRC32C of a slice of a mapped file whose region is known, using up to {@code threads} threads:
     * read from the file by positional reads where it is unchanged (see {@link FileStreamer#readSegment}).
     */
    static int crc(MemorySegment s, MappedRegion region, int threads, boolean castagnoli) {
        if (threads <= 1) {
            Checksum c = castagnoli ? new CRC32C() : new CRC32();
            update(c, s, region);
            return (int) c.getValue();
        }
        return parallel(List.of(s), java.util.Collections.singletonList(region), threads, castagnoli, null)[0];
    }

    /**
     * CRC32 of every segment, using up to {@code threads} threads: the segments are cut into chunks of 8 to 64
     * MiB, hashed in parallel and joined in order, so one huge segment uses every thread as well as many small
     * ones do. Segments of confined arenas are hashed on the calling thread.
     *
     * @param segments the segments
     * @param threads the most threads to use
     * @return the CRC32 of each segment, in order; equal to {@link #crc32(MemorySegment)} of each
     */
    public static int[] crc32(List<MemorySegment> segments, int threads) {
        return parallel(segments, null, threads, false, null);
    }

    /**
     * As {@link #crc32(List, int)}, reporting progress: {@code progress} receives the size of each piece once it
     * is checksummed (from the worker threads, so it must be thread-safe).
     *
     * @param segments the segments
     * @param threads  the most threads to use
     * @param progress receives byte counts as pieces complete, or null
     * @return the CRC-32 of each segment, in order
     */
    public static int[] crc32(List<MemorySegment> segments, int threads, java.util.function.LongConsumer progress) {
        return parallel(segments, null, threads, false, progress);
    }

    /**
     * As {@link #crc32(List, int, java.util.function.LongConsumer)} over the bytes of contiguous tensors: a tensor
     * of a file this library mapped is read from that file by positional reads while the file is the one mapped,
     * and a file truncated meanwhile is named in the {@code FILE_CHANGED} failure.
     *
     * @param tensors  contiguous tensors
     * @param threads  the most threads to use
     * @param progress receives byte counts as pieces complete, or null
     * @return the CRC-32 of each tensor's bytes, in order
     * @throws IllegalStateException when a tensor is not contiguous
     */
    public static int[] crc32OfTensors(List<Tensor> tensors, int threads, java.util.function.LongConsumer progress) {
        List<MemorySegment> segments = new ArrayList<>(tensors.size());
        List<MappedRegion> regions = new ArrayList<>(tensors.size());
        for (Tensor t : tensors) {
            segments.add(t.data());
            regions.add(MappedTensors.regionOf(t));
        }
        return parallel(segments, regions, threads, false, progress);
    }

    /** {@code regions}: the region of each segment's mapping (entries or the whole list may be null). */
    private static int[] parallel(List<MemorySegment> segments, List<MappedRegion> regions, int threads,
                                  boolean castagnoli, java.util.function.LongConsumer progress) {
        record Chunk(int seg, long off, long len) {
        }
        int t = Math.max(1, threads);
        long total = 0;
        for (MemorySegment s : segments) {
            total += s.byteSize();
        }
        long per = Math.min(MAX_PARALLEL_CHUNK, Math.max(MIN_PARALLEL_CHUNK, (total + t - 1) / t));
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            long len = segments.get(i).byteSize();
            int n = (int) Math.max(1, (len + per - 1) / per); // equal parts of at most `per` bytes
            long part = (len + n - 1) / n;
            for (int k = 0; k < n; k++) {
                chunks.add(new Chunk(i, k * part, Math.max(0, Math.min(part, len - k * part))));
            }
        }
        int[] crcs = new int[chunks.size()];
        boolean shareable = segments.stream().allMatch(Parallel::shareable);
        Parallel.forEach(chunks.size(), t > 1 && shareable ? t : 1, k -> {
            Chunk c = chunks.get(k);
            MemorySegment part = segments.get(c.seg()).asSlice(c.off(), c.len());
            Checksum sum = castagnoli ? new CRC32C() : new CRC32();
            update(sum, part, regions == null ? null : regions.get(c.seg()));
            crcs[k] = (int) sum.getValue();
            if (progress != null) {
                progress.accept(c.len());
            }
        });
        int[] out = new int[segments.size()];
        boolean[] started = new boolean[segments.size()];
        for (int k = 0; k < chunks.size(); k++) {
            Chunk c = chunks.get(k);
            int i = c.seg();
            out[i] = !started[i] ? crcs[k]
                    : castagnoli ? combineCrc32c(out[i], crcs[k], c.len()) : combineCrc32(out[i], crcs[k], c.len());
            started[i] = true;
        }
        return out;
    }

    /*
     * GF(2) polynomial arithmetic modulo P in the reflected representation: bit 31 holds the coefficient of
     * x^0 and bit 0 that of x^31. Appending n zero bytes to a message multiplies its (un-conditioned) CRC
     * register by x^(8n) mod P; the init/xor-out constants cancel in crc(A ++ B) = crc(A)*x^(8|B|) ^ crc(B).
     */

    /** a * b mod P. */
    static int multModP(int a, int b, int poly) {
        int product = 0;
        for (int bit = 0x80000000; bit != 0; bit >>>= 1) {
            if ((a & bit) != 0) {
                product ^= b;
            }
            b = (b & 1) != 0 ? (b >>> 1) ^ poly : b >>> 1;
        }
        return product;
    }

    private static int[] powers(int poly) {
        int[] t = new int[67];
        t[0] = 0x40000000; // x^1
        for (int k = 1; k < t.length; k++) {
            t[k] = multModP(t[k - 1], t[k - 1], poly);
        }
        return t;
    }

    /** x^(8 n) mod P. */
    private static int xPow8n(int[] x2n, int poly, long n) {
        int p = 0x80000000; // x^0
        int k = 3;
        while (n != 0) {
            if ((n & 1) != 0) {
                p = multModP(x2n[k], p, poly);
            }
            n >>>= 1;
            k++;
        }
        return p;
    }

    private static int combine(int[] x2n, int poly, int crcA, int crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("negative length " + lengthB);
        }
        return multModP(xPow8n(x2n, poly, lengthB), crcA, poly) ^ crcB;
    }

    /** Incremental CRC32 / CRC32C over the JDK implementation. */
    static final class State implements Hasher {
        private final Checksum c;
        private final ChecksumAlgorithm algo;

        State(ChecksumAlgorithm algo) {
            this.algo = algo;
            this.c = algo == ChecksumAlgorithm.CRC32C ? new CRC32C() : new CRC32();
        }

        @Override
        public ChecksumAlgorithm algorithm() {
            return algo;
        }

        @Override
        public void update(MemorySegment s) {
            Crc.update(c, s);
        }

        @Override
        public void update(byte[] b, int off, int len) {
            c.update(b, off, len);
        }

        @Override
        public byte[] digest() {
            return ByteBuffer.allocate(4).putInt((int) c.getValue()).array();
        }
    }
}
