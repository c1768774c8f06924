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
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import java.util.zip.Checksum;

/**
 * Checksums and hashes of segments, tensors and files: CRC32, CRC32C, SHA-256, XXH64, XXH3-64 and XXH3-128
 * (seed 0 unless a seeded hasher is asked for). Digests are canonical big-endian bytes and print as
 * {@code xxhsum}, {@code sha256sum} and zlib users print them; {@code hex(SHA256, file)} is the Hub's LFS oid.
 *
 * <pre>{@code
 * try (SafetensorsFile f = SafetensorsFile.open(path)) {
 *     String whole = Checksums.hexOfFile(ChecksumAlgorithm.XXH3_64, path, 8);
 *     Map<String, String> perTensor = Checksums.hexOfTensors(ChecksumAlgorithm.XXH3_64, f.tensors(), 8);
 * }
 * }</pre>
 *
 * <p>Multi-threaded methods read the segments from helper threads, so segments of confined arenas are hashed
 * on the calling thread only.
 *
 * <p>Files are read by positional reads, never through a mapping; a tensor of an opened file is read chunk by
 * chunk into a private buffer, from its file where it is still the file mapped, and a bare segment that is a
 * memory mapping through the mapping (a segment knows no file). So a file truncated by another program while it
 * is hashed fails with a {@link dev.weightmap.WeightmapException} of reason {@code FILE_CHANGED} naming it (a
 * bare segment's message says "a memory-mapped file"; the CRC intrinsics and the
 * vector XXH3 kernel would crash the JVM over the vanished pages), and closing the reader while threads hash its
 * tensors returns at once and makes them fail with {@link dev.weightmap.WeightsClosedException}.
 */
public final class Checksums {
    private Checksums() {
    }

    /**
     * The canonical big-endian digest of all bytes of {@code data}.
     *
     * @param a the algorithm
     * @param data the bytes to hash, of any kind of segment and any size
     * @return the digest: 4 bytes for CRC32 and CRC32C, 8 for XXH64 and XXH3-64, 16 for XXH3-128, 32 for SHA-256
     */
    public static byte[] digest(ChecksumAlgorithm a, MemorySegment data) {
        return digest(a, data, 1);
    }

    private static byte[] digest(ChecksumAlgorithm a, MemorySegment data, int threads) {
        Objects.requireNonNull(a, "algorithm");
        Objects.requireNonNull(data, "data");
        return switch (a) {
            case CRC32 -> ByteBuffer.allocate(4).putInt(Crc.crc32(data, threads)).array();
            case CRC32C -> ByteBuffer.allocate(4).putInt(Crc.crc32c(data, threads)).array();
            case XXH64 -> ByteBuffer.allocate(8).putLong(Xxh64.hash(data, 0)).array();
            case XXH3_64 -> ByteBuffer.allocate(8).putLong(Xxh3.hash64(data)).array();
            case XXH3_128 -> {
                long[] h = Xxh3.hash128(data);
                yield ByteBuffer.allocate(16).putLong(h[1]).putLong(h[0]).array();
            }
            case SHA256 -> {
                Hasher h = new Sha256();
                h.update(data);
                yield h.digest();
            }
        };
    }

    /**
     * The digest of a slice of a mapped file whose region is known: read from that file by positional reads
     * where it is unchanged, and naming it when it was truncated (see {@link FileStreamer#readSegment}).
     */
    static byte[] digestMapped(ChecksumAlgorithm a, MemorySegment data, MappedRegion region, int threads) {
        if (a == ChecksumAlgorithm.CRC32 || a == ChecksumAlgorithm.CRC32C) {
            int crc = Crc.crc(data, region, Math.max(1, threads), a == ChecksumAlgorithm.CRC32C);
            return ByteBuffer.allocate(4).putInt(crc).array();
        }
        Hasher h = newHasher(a);
        FileStreamer.readSegment(data, region, h::update); // private-buffer chunks: hashed as they are
        return h.digest();
    }

    /**
     * {@link #digest(ChecksumAlgorithm, MemorySegment)} as lower-case hex.
     *
     * @param a the algorithm
     * @param data the bytes to hash
     * @return the digest in lower-case hex
     */
    public static String hex(ChecksumAlgorithm a, MemorySegment data) {
        return HexFormat.of().formatHex(digest(a, data, 1));
    }

    /**
     * Like {@link #hex(ChecksumAlgorithm, MemorySegment)} with up to {@code threads} threads where the algorithm
     * allows (CRC32 and CRC32C: chunks combined; the others are sequential by definition and use one thread).
     *
     * @param a the algorithm
     * @param data the bytes to hash
     * @param threads the most threads to use
     * @return the digest in lower-case hex, equal to the one-thread result
     */
    public static String hex(ChecksumAlgorithm a, MemorySegment data, int threads) {
        return HexFormat.of().formatHex(digest(a, data, Math.max(1, threads)));
    }

    /**
     * The hex digest of a tensor's logical bytes (row-major, as {@link Tensor#writeTo} streams them): the data
     * slice itself when the tensor is contiguous, else a streamed pass over the strided view.
     *
     * @param a the algorithm
     * @param t the tensor, contiguous or a strided view
     * @return the digest of the tensor's logical bytes in lower-case hex
     */
    public static String hexOfTensor(ChecksumAlgorithm a, Tensor t) {
        return hexOfTensor(a, t, 1);
    }

    private static String hexOfTensor(ChecksumAlgorithm a, Tensor t, int threads) {
        expect(a, t.byteLength());
        if (t.isContiguous()) {
            MemorySegment data = t.data();
            MappedRegion region = MappedTensors.regionOf(t);
            if (region == null || !FileStreamer.isMapped(data)) {
                return hex(a, data, threads);
            }
            return HexFormat.of().formatHex(digestMapped(a, data, region, threads));
        }
        Hasher h = newHasher(a);
        try {
            t.writeTo(h.asChannel());
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a hasher channel never fails
        }
        return h.hex();
    }

    /** Tells the XXH3 kernel choice that {@code length} bytes are about to be hashed as one stream. */
    private static void expect(ChecksumAlgorithm a, long length) {
        if (a == ChecksumAlgorithm.XXH3_64 || a == ChecksumAlgorithm.XXH3_128) {
            Xxh3.KernelChoice.PROCESS.expect(length);
        }
    }

    /**
     * The hex digest of a whole regular file, read by positional reads ({@code threads} as in hex: a CRC is
     * split into ranges read and checksummed by separate threads, then combined).
     *
     * @param a       the algorithm
     * @param file    the file
     * @param threads threads to use for a CRC, at least 1
     * @return the hex digest
     * @throws dev.weightmap.WeightmapException {@code NOT_A_REGULAR_FILE} for a FIFO, device, directory or
     *                                          {@code /proc} file; {@code FILE_CHANGED} when the file shrinks
     *                                          while it is read
     * @throws IOException                      when it cannot be read
     */
    public static String hexOfFile(ChecksumAlgorithm a, Path file, int threads) throws IOException {
        return hexOfFile(a, file, threads, null);
    }

    /** {@link #hexOfFile(ChecksumAlgorithm, Path, int)}, telling {@code progress} (if not null) each chunk read. */
    static String hexOfFile(ChecksumAlgorithm a, Path file, int threads, LongConsumer progress) throws IOException {
        Objects.requireNonNull(a, "algorithm");
        LongConsumer p = progress == null ? bytes -> { } : progress;
        String name = file.toString();
        try (FileChannel ch = FileStreamer.openRegular(file)) {
            long len = ch.size();
            if (a != ChecksumAlgorithm.CRC32 && a != ChecksumAlgorithm.CRC32C) {
                expect(a, len);
                Hasher h = newHasher(a);
                FileStreamer.streamAhead(ch, name, 0, len, chunk -> {
                    h.update(chunk);
                    p.accept(chunk.byteSize());
                });
                return h.hex();
            }
            boolean castagnoli = a == ChecksumAlgorithm.CRC32C;
            int ranges = (int) Math.max(1, Math.min(Math.max(1, threads), len / Crc.MIN_PARALLEL_CHUNK));
            long per = (len + ranges - 1) / ranges;
            per = (per + FileStreamer.CHUNK - 1) / FileStreamer.CHUNK * FileStreamer.CHUNK;
            int[] crcs = new int[ranges];
            long[] lens = new long[ranges];
            long step = per;
            try {
                Parallel.forEach(ranges, ranges, i -> {
                    long from = i * step;
                    long n = Math.max(0, Math.min(step, len - from));
                    Checksum c = castagnoli ? new CRC32C() : new CRC32();
                    try {
                        FileStreamer.Sink sink = chunk -> {
                            c.update(chunk.asByteBuffer());
                            p.accept(chunk.byteSize());
                        };
                        if (ranges == 1) {
                            FileStreamer.streamAhead(ch, name, from, n, sink);
                        } else {
                            FileStreamer.stream(ch, name, from, n, sink);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    crcs[i] = (int) c.getValue();
                    lens[i] = n;
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            int crc = crcs[0];
            for (int i = 1; i < ranges; i++) {
                crc = castagnoli ? Crc.combineCrc32c(crc, crcs[i], lens[i]) : Crc.combineCrc32(crc, crcs[i], lens[i]);
            }
            return String.format("%08x", crc);
        }
    }

    /**
     * The hex digest of every tensor's logical bytes, computed on up to {@code threads} threads (tensors are
     * spread over the threads; a lone big CRC tensor is chunked). The result keeps the map's iteration order.
     *
     * @param a the algorithm
     * @param tensors the tensors by name
     * @param threads the most threads to use
     * @return each tensor's digest in lower-case hex, by name, in the map's iteration order
     */
    public static Map<String, String> hexOfTensors(ChecksumAlgorithm a, Map<String, Tensor> tensors, int threads) {
        List<String> names = new ArrayList<>(tensors.keySet());
        List<Tensor> list = new ArrayList<>(tensors.values());
        String[] out = new String[names.size()];
        int n = Math.max(1, threads);
        boolean shareable = list.stream().allMatch(t -> Parallel.shareable(t.storage()));
        if (!shareable) {
            n = 1;
        }
        int inner = list.size() == 1 ? n : 1;
        Parallel.forEach(list.size(), n, i -> out[i] = hexOfTensor(a, list.get(i), inner));
        Map<String, String> result = new LinkedHashMap<>();
        for (int i = 0; i < out.length; i++) {
            result.put(names.get(i), out[i]);
        }
        return result;
    }

    /**
     * A new incremental hasher with seed 0.
     *
     * @param a the algorithm
     * @return a hasher that has seen no bytes yet
     */
    public static Hasher newHasher(ChecksumAlgorithm a) {
        return switch (a) {
            case CRC32, CRC32C -> new Crc.State(a);
            case SHA256 -> new Sha256();
            case XXH64 -> new Xxh64.State(0);
            case XXH3_64 -> new Xxh3Hasher(false, 0);
            case XXH3_128 -> new Xxh3Hasher(true, 0);
        };
    }

    /**
     * A new incremental hasher with a seed; only XXH64, XXH3-64 and XXH3-128 take one.
     *
     * @param a the algorithm
     * @param seed the seed (0 for the unseeded value)
     * @return a hasher that has seen no bytes yet
     * @throws IllegalArgumentException for CRC32, CRC32C and SHA-256 with a non-zero seed
     */
    public static Hasher newHasher(ChecksumAlgorithm a, long seed) {
        return switch (a) {
            case XXH64 -> new Xxh64.State(seed);
            case XXH3_64 -> new Xxh3Hasher(false, seed);
            case XXH3_128 -> new Xxh3Hasher(true, seed);
            default -> {
                if (seed != 0) {
                    throw new IllegalArgumentException(a.cliName() + " takes no seed");
                }
                yield newHasher(a);
            }
        };
    }

    /**
     * One-shot XXH64 with a seed (canonical value as a long).
     *
     * @param data the bytes to hash
     * @param seed the seed
     * @return the 64-bit hash
     */
    public static long xxh64(MemorySegment data, long seed) {
        return Xxh64.hash(data, seed);
    }
}
