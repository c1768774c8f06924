// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonException;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;

/**
 * Parses and validates a safetensors header straight from the segment, in the order of the Rust reference
 * ({@code formats.md} A.2–A.5), with weightmap's stricter rules (duplicate keys, unknown dtypes): reads the length
 * and the header bytes, runs {@link HeaderScanner} over them and applies {@link HeaderRules}.
 */
final class HeaderParser {
    /** The reference's limit on the header length N: 100,000,000 bytes. */
    static final long DEFAULT_MAX_HEADER = 100_000_000L;

    /** The parsed, validated header. Arrays are indexed by data order; they may be longer than names().size(). */
    record Header(long headerLength, Map<String, String> metadata, TensorNames names, DType[] dtypes,
                  long[] dims, int[] shapeAt, int[] ranks, long[] begins, long[] ends) {
        /** A fresh array of entry i's shape. */
        long[] shape(int i) {
            return Arrays.copyOfRange(dims, shapeAt[i], shapeAt[i] + ranks[i]);
        }
    }

    private HeaderParser() {
    }

    static Header parse(MemorySegment seg, String file, long maxHeader) {
        long size = seg.byteSize();
        HeaderRules.checkSize(size, file);
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        HeaderRules.checkLength(n, size, file, maxHeader);
        // One bulk copy of the header bytes (bounded by maxHeader) lets the scanner below run on plain array
        // indexing; tensor data is never copied and no String of the header is built.
        byte[] h = scratch((int) n + HeaderScanner.PAD);
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 8, h, 0, (int) n);
        return parseHeader(seg, h, n, file, size);
    }

    /**
     * Parses the header of a file of {@code fileSize} bytes given only its first bytes ({@code prefix}, at least
     * the 8-byte length and the N header bytes): every check of {@link #parse(MemorySegment, String, long)},
     * offsets against the data section the file size implies.
     */
    static Header parsePrefix(MemorySegment prefix, long fileSize, String file, long maxHeader) {
        HeaderRules.checkSize(fileSize, file);
        if (prefix.byteSize() < 8) {
            throw HeaderRules.error(Reason.HEADER_TOO_SMALL, file, "header too small: " + prefix.byteSize()
                    + " bytes given, the 8-byte header length is missing");
        }
        long n = prefix.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        HeaderRules.checkLength(n, fileSize, file, maxHeader);
        if (n > prefix.byteSize() - 8) {
            throw HeaderRules.error(Reason.INVALID_HEADER_LENGTH, file, "invalid header length: " + n
                    + " header bytes announced but only " + (prefix.byteSize() - 8) + " given after the length");
        }
        MemorySegment seg = prefix.asSlice(0, 8 + n);
        byte[] h = scratch((int) n + HeaderScanner.PAD);
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 8, h, 0, (int) n);
        return parseHeader(seg, h, n, file, fileSize);
    }

    /**
     * {@link #parse(MemorySegment, String, long)} of a file mapped as {@code seg} whose open channel is {@code ch}:
     * the length and header are read with positional reads, so opening touches none of the mapped pages (faulting
     * them in, and tearing them down again at unmap, costs more than the read).
     */
    static Header parse(MemorySegment seg, FileChannel ch, String file, long maxHeader) throws IOException {
        long size = seg.byteSize();
        HeaderRules.checkSize(size, file);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0, file);
        long n = len.getLong(0);
        HeaderRules.checkLength(n, size, file, maxHeader);
        byte[] h = scratch((int) n + HeaderScanner.PAD);
        if (n <= PREAD_MAX) {
            readFully(ch, ByteBuffer.wrap(h, 0, (int) n), 8, file);
        } else { // a read into the heap goes through a temporary native buffer: copying the mapping is cheaper
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, 8, h, 0, (int) n);
        }
        return parseHeader(seg, h, n, file, size);
    }

    /**
     * Parses the header of the {@code size}-byte file open as {@code ch} without mapping it when the header is at
     * most {@link #PREAD_MAX} bytes: the length and the header are read with positional reads into an array the
     * returned header keeps for its names. A longer header is copied from {@code mapping} (mapping the file then),
     * as {@link #parse(MemorySegment, FileChannel, String, long)} does: a read into the heap goes through a
     * temporary native buffer, and a fresh multi-megabyte array per open costs more than the copy.
     */
    static Header parse(FileChannel ch, long size, java.util.function.Supplier<MemorySegment> mapping, String file,
                        long maxHeader) throws IOException {
        HeaderRules.checkSize(size, file);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, 0, file);
        long n = len.getLong(0);
        HeaderRules.checkLength(n, size, file, maxHeader);
        if (n > PREAD_MAX) {
            return parse(mapping.get(), ch, file, maxHeader);
        }
        byte[] h = new byte[(int) n + HeaderScanner.PAD]; // kept by the names: not the thread's scratch array
        readFully(ch, ByteBuffer.wrap(h, 0, (int) n), 8, file);
        return parseHeader(MemorySegment.ofArray(h), 0, h, n, file, size);
    }

    /**
     * Parses the header of the {@code size}-byte image stored at {@code base} in the file open as {@code ch} (an
     * archive entry) without touching {@code image} when the header is at most {@link #PREAD_MAX} bytes: the length
     * is checked against {@code size} before anything is allocated, then the header is read with a positional read
     * into an array the returned header keeps for its names. A longer header is copied from {@code image}.
     */
    static Header parseAt(FileChannel ch, long base, long size, java.util.function.Supplier<MemorySegment> image,
                          String file, long maxHeader) throws IOException {
        HeaderRules.checkSize(size, file);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, len, base, file);
        long n = len.getLong(0);
        HeaderRules.checkLength(n, size, file, maxHeader);
        if (n > PREAD_MAX) {
            return parse(image.get(), file, maxHeader);
        }
        byte[] h = new byte[(int) n + HeaderScanner.PAD]; // kept by the names: not the thread's scratch array
        readFully(ch, ByteBuffer.wrap(h, 0, (int) n), base + 8, file);
        return parseHeader(MemorySegment.ofArray(h), 0, h, n, file, size);
    }

    /**
     * {@link #parse(FileChannel, long, java.util.function.Supplier, String, long)} given the file's first bytes
     * ({@code head}, read through {@code ch} just before, possibly fewer than the header): the length and as much
     * of the header as the head holds are taken from it, and only the rest is read.
     */
    static Header parse(FileChannel ch, long size, byte[] head, java.util.function.Supplier<MemorySegment> mapping,
                        String file, long maxHeader) throws IOException {
        if (head.length < 8) {
            return parse(ch, size, mapping, file, maxHeader); // reports the short file as that path does
        }
        HeaderRules.checkSize(size, file);
        long n = ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        HeaderRules.checkLength(n, size, file, maxHeader);
        if (n > PREAD_MAX) {
            return parse(mapping.get(), ch, file, maxHeader);
        }
        byte[] h = new byte[(int) n + HeaderScanner.PAD]; // kept by the names: not the thread's scratch array
        int have = (int) Math.min(n, head.length - 8);
        System.arraycopy(head, 8, h, 0, have);
        if (have < n) {
            readFully(ch, ByteBuffer.wrap(h, have, (int) n - have), 8 + have, file);
        }
        return parseHeader(MemorySegment.ofArray(h), 0, h, n, file, size);
    }

    /** Headers up to this length are read with a positional read, longer ones copied from the mapping. */
    private static final long PREAD_MAX = 256 << 10;

    /** Reads until {@code b} is full. */
    private static void readFully(FileChannel ch, ByteBuffer b, long at, String file) throws IOException {
        long pos = at;
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) {
                throw new IOException(file + ": the file shrank while it was being opened");
            }
            pos += r;
        }
    }

    /** Parses the n header bytes copied to the start of {@code h} (of at least n + PAD bytes) of the image seg. */
    private static Header parseHeader(MemorySegment seg, byte[] h, long n, String file, long size) {
        return parseHeader(seg, 8, h, n, file, size);
    }

    /**
     * Parses the n header bytes copied to the start of {@code h} (of at least n + PAD bytes); names not decoded
     * yet are read from {@code namesSeg} where the header starts at {@code namesBase}.
     */
    private static Header parseHeader(MemorySegment namesSeg, long namesBase, byte[] h, long n, String file,
                                      long size) {
        Arrays.fill(h, (int) n, (int) n + HeaderScanner.PAD, (byte) 0); // the fast paths read words past the end
        HeaderScanner sc = scan(h, (int) n, file);
        HeaderRules.sortByData(sc);
        // ASCII names stay positions in the image (or the header's own copy) until asked for
        TensorNames names = new TensorNames(namesSeg, namesBase, sc.starts, sc.lengths, sc.strings, sc.index, sc.count);
        HeaderRules.checkOffsets(sc, names, file, size - 8 - n);
        Map<String, String> md = sc.metadata == null ? Map.of() : Collections.unmodifiableMap(sc.metadata);
        return new Header(n, md, names, sc.dtypes, sc.dims, sc.shapeAt, sc.ranks, sc.begins, sc.ends);
    }

    /**
     * Scans the header, turning its syntax errors into {@link SafetensorsException}s. UTF-8 is validated before
     * anything else is reported: the scanner's own paths only accept ASCII, and whatever they do not accept goes
     * through JsonReader (which marks the scan slow), so a fast, successful scan has seen an all-ASCII header and
     * every other outcome checks the whole header first.
     */
    private static HeaderScanner scan(byte[] h, int n, String file) {
        HeaderScanner sc = new HeaderScanner(h, n, file);
        try {
            sc.parse();
        } catch (JsonException e) {
            HeaderRules.checkUtf8(h, n, file);
            String current = sc.currentName();
            String where = current == null ? "" : " (tensor `" + current + "`)";
            if (e.isOverflow()) {
                // formats.md A.3: values beyond Long.MAX_VALUE are overflow errors (the reference's u64 overflows later)
                throw new SafetensorsException(Reason.OVERFLOW, file + ": overflow in header" + where + ": "
                        + e.getMessage(), e);
            }
            throw new SafetensorsException(e.isUtf8Error() ? Reason.INVALID_UTF8 : Reason.INVALID_JSON,
                    file + ": invalid JSON in header" + where + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            HeaderRules.checkUtf8(h, n, file);
            throw e;
        }
        if (sc.slow) {
            HeaderRules.checkUtf8(h, n, file);
        }
        return sc;
    }

    /** Per-thread buffer for headers up to 4 MiB (fresh memory costs more than the parse of small headers). */
    private static final ThreadLocal<byte[]> SCRATCH = new ThreadLocal<>();
    private static final int SCRATCH_MAX = 4 << 20;

    private static byte[] scratch(int n) {
        if (n > SCRATCH_MAX) {
            return new byte[n];
        }
        byte[] b = SCRATCH.get();
        if (b == null || b.length < n) {
            b = new byte[Math.max(n, 64 << 10)];
            SCRATCH.set(b);
        }
        return b;
    }
}
