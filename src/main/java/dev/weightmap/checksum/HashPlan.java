// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.exec.Parallel;
import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.tensor.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * Hashes tensors and whole files together on one set of threads, so that every core has work until the end.
 *
 * <p>The work is cut into jobs: one per tensor and one per file, except for the CRCs, whose tensors and files of at
 * least two {@link #PIECE}s are cut into up to {@code threads} equal pieces (hashed anywhere, joined with the CRC
 * combine math, so the value is the one-thread value; a lone file is read as one sequential range per thread). SHA-256 and the XXH family hash each tensor and each file as one sequential stream:
 * their state after a byte depends on every byte before it, so one stream never runs on more than one core, and
 * the parallelism comes from hashing several tensors and files at once. Jobs are started longest first, which
 * keeps a long file from being the last job left running alone.
 *
 * <p>Tensors whose storage only the calling thread may read (a confined arena) are hashed on the calling thread,
 * before the files.
 */
final class HashPlan {
    /** The shortest piece of a CRC job. */
    static final long PIECE = 16L << 20;

    private static final LongConsumer NONE = bytes -> { };

    /** What one plan produced: hex digests by tensor name and by file, in input order. */
    record Result(Map<String, String> tensors, Map<Path, String> files) {
    }

    /** One unit of work and its length in bytes (for the longest-first order). */
    private record Job(long length, Work work) {
    }

    @FunctionalInterface
    private interface Work {
        void run() throws IOException;
    }

    private HashPlan() {
    }

    /** Pieces a CRC input of {@code length} bytes is cut into; 1 for the other algorithms. */
    static int pieces(ChecksumAlgorithm a, long length, int threads) {
        long per = pieceLength(a, length, threads);
        return per == 0 ? 1 : (int) ((length + per - 1) / per);
    }

    /**
     * The length of each piece (the last one shorter) of a CRC input of {@code length} bytes, up to {@code threads}
     * pieces of at least {@link #PIECE} bytes, rounded up to whole read chunks; 0 when it is not cut.
     */
    static long pieceLength(ChecksumAlgorithm a, long length, int threads) {
        if (!a.splitsOneInput() || threads <= 1 || length < 2 * PIECE) {
            return 0;
        }
        long k = Math.min(threads, length / PIECE);
        long per = (length + k - 1) / k;
        return (per + FileStreamer.CHUNK - 1) / FileStreamer.CHUNK * FileStreamer.CHUNK;
    }

    static Result run(ChecksumAlgorithm a, Map<String, Tensor> tensors, List<Path> files, int threads,
                      LongConsumer tensorProgress, LongConsumer fileProgress) throws IOException {
        LongConsumer tp = tensorProgress == null ? NONE : tensorProgress;
        LongConsumer fp = fileProgress == null ? NONE : fileProgress;
        int n = Math.max(1, threads);
        List<String> names = new ArrayList<>(tensors.keySet());
        List<Tensor> list = new ArrayList<>(tensors.values());
        List<Path> distinct = new ArrayList<>(new LinkedHashSet<>(files));
        String[] tensorHex = new String[list.size()];
        int[][] tensorCrcs = new int[list.size()][];
        String[] fileHex = new String[distinct.size()];
        int[][] fileCrcs = new int[distinct.size()][];
        long[] fileLength = new long[distinct.size()];
        FileChannel[] channels = new FileChannel[distinct.size()];
        List<Job> jobs = new ArrayList<>();
        boolean shareable = list.stream().allMatch(t -> Parallel.shareable(t.storage()));
        try {
            for (int i = 0; i < list.size(); i++) {
                addTensor(a, list.get(i), i, n, tensorHex, tensorCrcs, tp, shareable ? jobs : null);
            }
            for (int j = 0; j < distinct.size(); j++) {
                addFile(a, distinct.get(j), j, n, fileHex, fileCrcs, fileLength, channels, fp, jobs);
            }
            jobs.sort(Comparator.comparingLong(Job::length).reversed());
            try {
                Parallel.forEach(jobs.size(), n, i -> {
                    try {
                        jobs.get(i).work().run();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
        } finally {
            for (FileChannel ch : channels) {
                if (ch != null) {
                    ch.close();
                }
            }
        }
        Map<String, String> t = new LinkedHashMap<>();
        for (int i = 0; i < tensorHex.length; i++) {
            long len = list.get(i).byteLength();
            t.put(names.get(i), tensorCrcs[i] == null ? tensorHex[i]
                    : crcHex(a, tensorCrcs[i], len, pieceLength(a, len, n)));
        }
        Map<Path, String> f = new LinkedHashMap<>();
        for (int j = 0; j < fileHex.length; j++) {
            f.put(distinct.get(j), fileCrcs[j] == null ? fileHex[j]
                    : crcHex(a, fileCrcs[j], fileLength[j], pieceLength(a, fileLength[j], n)));
        }
        return new Result(t, f);
    }

    /** Adds the jobs of one tensor; with {@code jobs} null (a confined storage) hashes it here and now. */
    private static void addTensor(ChecksumAlgorithm a, Tensor t, int i, int threads, String[] hex, int[][] crcs,
                                  LongConsumer progress, List<Job> jobs) {
        long len = t.byteLength();
        if (jobs == null) {
            hex[i] = Checksums.hexOfTensor(a, t);
            progress.accept(len);
            return;
        }
        int k = t.isContiguous() ? pieces(a, len, threads) : 1;
        if (k == 1) {
            jobs.add(new Job(len, () -> {
                hex[i] = Checksums.hexOfTensor(a, t);
                progress.accept(len);
            }));
            return;
        }
        MemorySegment data = t.data();
        MappedRegion region = MappedTensors.regionOf(t);
        crcs[i] = addPieces(jobs, len, pieceLength(a, len, threads), (from, m) -> {
            MemorySegment part = data.asSlice(from, m);
            int crc = Crc.crc(part, region, 1, a == ChecksumAlgorithm.CRC32C);
            progress.accept(m);
            return crc;
        });
    }

    /** The CRC of one piece: {@code length} bytes at {@code from}. */
    @FunctionalInterface
    private interface PieceCrc {
        int crc(long from, long length) throws IOException;
    }

    /** Adds one job per piece of {@code per} bytes; returns the array each job stores its piece's CRC in. */
    private static int[] addPieces(List<Job> jobs, long length, long per, PieceCrc crc) {
        int[] crcs = new int[(int) ((length + per - 1) / per)];
        for (int p = 0; p < crcs.length; p++) {
            int piece = p;
            long from = p * per;
            long m = Math.min(per, length - from);
            jobs.add(new Job(m, () -> crcs[piece] = crc.crc(from, m)));
        }
        return crcs;
    }

    /** Adds the jobs of one file: one stream, or (CRC, large enough) pieces read from one shared channel. */
    private static void addFile(ChecksumAlgorithm a, Path file, int j, int threads, String[] hex, int[][] crcs,
                                long[] lengths, FileChannel[] channels, LongConsumer progress, List<Job> jobs)
            throws IOException {
        if (pieces(a, sizeOrZero(file), threads) > 1) {
            FileChannel ch = FileStreamer.openRegular(file);
            channels[j] = ch;
            long len = ch.size();
            if (pieces(a, len, threads) > 1) {
                lengths[j] = len;
                String name = file.toString();
                crcs[j] = addPieces(jobs, len, pieceLength(a, len, threads), (from, m) -> {
                    Checksum c = a == ChecksumAlgorithm.CRC32C ? new CRC32C() : new CRC32();
                    FileStreamer.stream(ch, name, from, m, chunk -> {
                        c.update(chunk.asByteBuffer());
                        progress.accept(chunk.byteSize());
                    });
                    return (int) c.getValue();
                });
                return;
            }
        }
        jobs.add(new Job(sizeOrZero(file), () -> hex[j] = Checksums.hexOfFile(a, file, 1, progress)));
    }

    private static long sizeOrZero(Path file) {
        try {
            return Files.size(file);
        } catch (IOException | SecurityException e) {
            return 0; // hashing it reports the real error
        }
    }

    /** The hex of the CRC of {@code length} bytes from the CRCs of its pieces of {@code per} bytes. */
    private static String crcHex(ChecksumAlgorithm a, int[] crcs, long length, long per) {
        int crc = crcs[0];
        for (int p = 1; p < crcs.length; p++) {
            long m = Math.min(per, length - p * per);
            crc = a == ChecksumAlgorithm.CRC32C ? Crc.combineCrc32c(crc, crcs[p], m) : Crc.combineCrc32(crc, crcs[p], m);
        }
        return HexFormat.of().toHexDigits(crc);
    }
}
