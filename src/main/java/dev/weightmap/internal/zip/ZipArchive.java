// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The structure of a ZIP archive, read by positional reads from a {@link ZipSource}: the end records, the central
 * directory and every local header (entry data is never read). It reports facts; each format applies its own
 * rules to them.
 *
 * <p>Read: the end-of-central-directory record (backwards search over at most 64 KiB of comment, preferring a
 * record whose comment ends exactly at the end of the data), the ZIP64 locator and end record, ZIP64 extra fields
 * of the central directory, archive and entry comments, UTF-8 (flag bit 11) or CP437 names, every local header
 * (its signature, its name equal to the central one, its extra length giving the data offset). Sizes come from
 * the central directory, so data descriptors need no reading.
 *
 * <p>Rejected with {@link ZipFormatException}, because nothing past them can be read: no end record, a ZIP64
 * end record out of bounds or without its signature, a central directory out of bounds or too small for its
 * count, a truncated or unsigned central record, a malformed extra field, a name flagged UTF-8 that is not, a
 * local header outside the data, unsigned, or naming another entry.
 *
 * <p>Reported, not rejected (formats decide): disk numbers ({@link #multiDisk()}), the per-disk entry count,
 * whether the chosen end record's comment fits the data ({@link #endCommentFits()}), bytes left after the last
 * central record ({@link #trailingCentralDirectoryBytes()}), overlapping entries ({@link #overlap()}), local
 * headers or data lying at or past the central directory or the end of the data (from each entry's offsets),
 * compression, encryption, duplicate names.
 */
public final class ZipArchive {
    /** Local file header signature. */
    public static final int LOC_SIG = 0x04034b50;
    /** Central directory header signature. */
    public static final int CEN_SIG = 0x02014b50;
    /** End of central directory signature. */
    public static final int END_SIG = 0x06054b50;
    /** ZIP64 end of central directory signature. */
    public static final int ZIP64_END_SIG = 0x06064b50;
    /** ZIP64 end of central directory locator signature. */
    public static final int ZIP64_LOC_SIG = 0x07064b50;
    /** Fixed length of a local header. */
    public static final int LOC_LEN = 30;
    /** Fixed length of a central directory record. */
    public static final int CEN_LEN = 46;
    /** Fixed length of the end of central directory record. */
    public static final int END_LEN = 22;
    /** Fixed length of the ZIP64 end record. */
    public static final int ZIP64_END_LEN = 56;
    /** Length of the ZIP64 locator. */
    public static final int ZIP64_LOC_LEN = 20;
    /** Extra field id of the ZIP64 sizes and offset. */
    public static final int ZIP64_EXTRA_ID = 0x0001;
    /** A saturated 32-bit field. */
    public static final long U32 = 0xFFFFFFFFL;
    /** A saturated 16-bit field. */
    public static final int U16 = 0xFFFF;
    /** The most bytes the end record search looks at: a record with a 64 KiB comment, and the ZIP64 locator. */
    static final int MAX_TAIL = END_LEN + U16 + ZIP64_LOC_LEN;
    /** Central directories are read in windows of at most this many bytes. */
    static final int CD_WINDOW = 8 << 20;
    /**
     * A local header of an entry with at most half a window of data bytes is read with the bytes after it, so that
     * the headers of the small entries that follow come with the same read. The first window is this many bytes;
     * each window that served another header doubles the next, up to {@link #LOC_WINDOW_MAX}, and one that served
     * none sets it back.
     */
    static final int LOC_WINDOW_MIN = 4 << 10;
    /** See {@link #LOC_WINDOW_MIN}. */
    static final int LOC_WINDOW_MAX = 64 << 10;

    /** CP437 code points of the bytes 0x80..0xFF (0x00..0x7F map to ASCII, as in Python's codec). */
    private static final String CP437_HIGH =
            "\u00c7\u00fc\u00e9\u00e2\u00e4\u00e0\u00e5\u00e7\u00ea\u00eb\u00e8\u00ef\u00ee\u00ec\u00c4\u00c5"
            + "\u00c9\u00e6\u00c6\u00f4\u00f6\u00f2\u00fb\u00f9\u00ff\u00d6\u00dc\u00a2\u00a3\u00a5\u20a7\u0192"
            + "\u00e1\u00ed\u00f3\u00fa\u00f1\u00d1\u00aa\u00ba\u00bf\u2310\u00ac\u00bd\u00bc\u00a1\u00ab\u00bb"
            + "\u2591\u2592\u2593\u2502\u2524\u2561\u2562\u2556\u2555\u2563\u2551\u2557\u255d\u255c\u255b\u2510"
            + "\u2514\u2534\u252c\u251c\u2500\u253c\u255e\u255f\u255a\u2554\u2569\u2566\u2560\u2550\u256c\u2567"
            + "\u2568\u2564\u2565\u2559\u2558\u2552\u2553\u256b\u256a\u2518\u250c\u2588\u2584\u258c\u2590\u2580"
            + "\u03b1\u00df\u0393\u03c0\u03a3\u03c3\u00b5\u03c4\u03a6\u0398\u03a9\u03b4\u221e\u03c6\u03b5\u2229"
            + "\u2261\u00b1\u2265\u2264\u2320\u2321\u00f7\u2248\u00b0\u2219\u00b7\u221a\u207f\u00b2\u25a0\u00a0";

    /**
     * Disk numbers found in the end records and the entries; all zero in a single-disk archive.
     *
     * @param endDisk              the end record's disk number (the ZIP64 end record's when there is one)
     * @param endCentralDirectoryDisk the disk of the central directory, as the same record says
     * @param locatorDisk          the disk of the ZIP64 end record, as the locator says (0 without ZIP64)
     * @param locatorDisks         the total number of disks, as the locator says (1 without ZIP64)
     * @param entriesOnThisDisk    the entry count of this disk
     * @param plainEndDisk         the plain end record's disk number
     * @param plainEndCentralDirectoryDisk the plain end record's central directory disk
     */
    public record Disks(long endDisk, long endCentralDirectoryDisk, long locatorDisk, long locatorDisks,
                        long entriesOnThisDisk, int plainEndDisk, int plainEndCentralDirectoryDisk) {
    }

    /**
     * Two entries whose bytes overlap, ordered by local header offset.
     *
     * @param earlier the entry whose data runs past the next local header
     * @param later   the entry whose local header lies inside it
     */
    public record Overlap(ZipEntry earlier, ZipEntry later) {
    }

    private final long size;
    private final List<ZipEntry> entries;
    private final long endOffset;
    private final boolean endCommentFits;
    private final int searched;
    private final boolean zip64;
    private final long centralDirectoryOffset;
    private final long centralDirectorySize;
    private final long trailing;
    private final String comment;
    private final Disks disks;

    private ZipArchive(Parser p, List<ZipEntry> entries, long trailing) {
        this.size = p.size;
        this.entries = entries;
        this.endOffset = p.end;
        this.endCommentFits = p.endCommentFits;
        this.searched = p.searched;
        this.zip64 = p.zip64;
        this.centralDirectoryOffset = p.cdOffset;
        this.centralDirectorySize = p.cdSize;
        this.trailing = trailing;
        this.comment = p.comment;
        this.disks = p.disks;
    }

    /**
     * Reads the structure of the archive in {@code source}.
     *
     * @param source the archive
     * @return what it holds
     * @throws ZipFormatException when the structure cannot be read
     * @throws IOException        when the source fails
     */
    public static ZipArchive read(ZipSource source) throws IOException {
        return new Parser(source).parse();
    }

    /**
     * Reads the structure of the archive held in {@code segment}.
     *
     * @param segment the archive's bytes
     * @return what it holds
     * @throws ZipFormatException when the structure cannot be read
     */
    public static ZipArchive read(MemorySegment segment) {
        try {
            return read(ZipSource.of(segment));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a segment source never fails
        }
    }

    /** Every central-directory record, in central-directory order (duplicates kept). */
    public List<ZipEntry> entries() {
        return entries;
    }

    /** The archive's size in bytes. */
    public long size() {
        return size;
    }

    /** Offset of the end-of-central-directory record. */
    public long endOffset() {
        return endOffset;
    }

    /**
     * Whether the end record's comment ends within the data. When no candidate's does, the last record
     * signature found is taken.
     */
    public boolean endCommentFits() {
        return endCommentFits;
    }

    /** How many bytes at the end of the archive the end record search looked at. */
    public int endSearchLength() {
        return searched;
    }

    /** Whether the archive has a ZIP64 end record (and locator). */
    public boolean isZip64() {
        return zip64;
    }

    /** The disk numbers and per-disk count the end records hold. */
    public Disks disks() {
        return disks;
    }

    /** Whether any disk number differs from a single-disk archive's (entries' start disks are in each entry). */
    public boolean multiDisk() {
        return disks.endDisk != 0 || disks.endCentralDirectoryDisk != 0 || disks.locatorDisk != 0
                || disks.locatorDisks > 1;
    }

    /** Absolute offset of the central directory. */
    public long centralDirectoryOffset() {
        return centralDirectoryOffset;
    }

    /** Size of the central directory in bytes. */
    public long centralDirectorySize() {
        return centralDirectorySize;
    }

    /** Bytes of the central directory after its last record (0 when the count matches the size). */
    public long trailingCentralDirectoryBytes() {
        return trailing;
    }

    /** The archive comment (UTF-8, malformed bytes replaced), empty when absent. */
    public String comment() {
        return comment;
    }

    /** Entries by local header offset (a class, not a lambda: an archive's open links none). */
    private static final java.util.Comparator<ZipEntry> BY_OFFSET = new java.util.Comparator<>() {
        @Override
        public int compare(ZipEntry a, ZipEntry b) {
            return Long.compare(a.localHeaderOffset(), b.localHeaderOffset());
        }
    };

    /**
     * The first pair of entries, by local header offset, whose data runs past the next local header.
     *
     * @return the pair, or null when no entries overlap
     */
    public Overlap overlap() {
        if (entries.size() < 2) {
            return null;
        }
        ZipEntry[] byOffset = entries.toArray(new ZipEntry[0]);
        Arrays.sort(byOffset, BY_OFFSET);
        for (int i = 1; i < byOffset.length; i++) {
            if (byOffset[i - 1].dataEnd() > byOffset[i].localHeaderOffset()) {
                return new Overlap(byOffset[i - 1], byOffset[i]);
            }
        }
        return null;
    }

    /** Decodes a ZIP name: UTF-8 (strict) when {@code utf8}, else CP437. Null when the UTF-8 is invalid. */
    static String decodeName(byte[] b, boolean utf8) {
        boolean allAscii = true;
        for (byte x : b) {
            if (x < 0) {
                allAscii = false;
                break;
            }
        }
        if (allAscii) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
        if (utf8) {
            return strictUtf8(b);
        }
        char[] c = new char[b.length];
        for (int i = 0; i < b.length; i++) {
            int v = b[i] & 0xFF;
            c[i] = v >= 0x80 ? CP437_HIGH.charAt(v - 0x80) : (char) v;
        }
        return new String(c);
    }

    /**
     * Decodes {@code b} as UTF-8, refusing malformed input.
     *
     * @param b the bytes
     * @return the text, or null when the bytes are not valid UTF-8
     */
    public static String strictUtf8(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** Bytes read from the source, at an absolute offset. */
    private static final class Chunk {
        final long base;
        final ByteBuffer b;

        Chunk(long base, ByteBuffer b) {
            this.base = base;
            this.b = b;
        }

        boolean holds(long off, long len) {
            return off >= base && len <= b.capacity() && off - base <= b.capacity() - len;
        }

        int u16(long off) {
            return b.getShort((int) (off - base)) & 0xFFFF;
        }

        long u32(long off) {
            return b.getInt((int) (off - base)) & U32;
        }

        int i32(long off) {
            return b.getInt((int) (off - base));
        }

        long i64(long off) {
            return b.getLong((int) (off - base));
        }

        byte[] bytes(long off, int len) {
            byte[] out = new byte[len];
            b.get((int) (off - base), out);
            return out;
        }
    }

    private static final class Parser {
        private final ZipSource src;
        private final long size;
        private Chunk tail;
        /** The last local-header window read, whether it served a header besides its first, the next's size. */
        private Chunk loc;
        private boolean locServed;
        private int locWindow = LOC_WINDOW_MIN;
        private long end;
        private boolean endCommentFits;
        private int searched;
        private boolean zip64;
        private long cdOffset;
        private long cdSize;
        private String comment;
        private Disks disks;

        Parser(ZipSource src) throws IOException {
            this.src = src;
            this.size = src.size();
        }

        private Chunk load(long off, int len) throws IOException {
            ByteBuffer v = src.view(off, len);
            if (v != null) {
                return new Chunk(off, v.order(ByteOrder.LITTLE_ENDIAN));
            }
            ByteBuffer b = ByteBuffer.allocate(len).order(ByteOrder.LITTLE_ENDIAN);
            src.read(off, b);
            return new Chunk(off, b);
        }

        /** The bytes {@code [off, off + len)}: from the tail when it holds them, else read. */
        private Chunk at(long off, int len) throws IOException {
            return tail.holds(off, len) ? tail : load(off, len);
        }

        private static long u64(Chunk c, long off, String entry, String what) {
            long v = c.i64(off);
            if (v < 0) {
                throw new ZipFormatException(entry, what + " does not fit in a signed 64-bit integer");
            }
            return v;
        }

        ZipArchive parse() throws IOException {
            findEnd();
            Chunk e = tail;
            int disk = e.u16(end + 4);
            int cdDisk = e.u16(end + 6);
            long entriesHere = e.u16(end + 8);
            long total = e.u16(end + 10);
            cdSize = e.u32(end + 12);
            cdOffset = e.u32(end + 16);
            int commentLen = (int) Math.min(e.u16(end + 20), size - end - END_LEN);
            comment = commentLen <= 0 ? ""
                    : new String(e.bytes(end + END_LEN, commentLen), StandardCharsets.UTF_8);
            long limit = end; // the central directory must end before the end records
            long endDisk = disk;
            long endCdDisk = cdDisk;
            long locDisk = 0;
            long locDisks = 1;
            long loc = end - ZIP64_LOC_LEN;
            if (loc >= 0 && at(loc, ZIP64_LOC_LEN).i32(loc) == ZIP64_LOC_SIG) {
                zip64 = true;
                Chunk l = at(loc, ZIP64_LOC_LEN);
                locDisk = l.u32(loc + 4);
                long z64Off = u64(l, loc + 8, null, "ZIP64 end record offset");
                locDisks = l.u32(loc + 16);
                if (z64Off > loc - ZIP64_END_LEN) {
                    throw new ZipFormatException("ZIP64 end of central directory record at offset " + z64Off
                            + " is out of bounds (locator at " + loc + ")");
                }
                Chunk z = at(z64Off, ZIP64_END_LEN);
                if (z.i32(z64Off) != ZIP64_END_SIG) {
                    throw new ZipFormatException("bad ZIP64 end of central directory signature at offset " + z64Off);
                }
                endDisk = z.u32(z64Off + 16);
                endCdDisk = z.u32(z64Off + 20);
                entriesHere = u64(z, z64Off + 24, null, "ZIP64 entry count");
                total = u64(z, z64Off + 32, null, "ZIP64 entry count");
                cdSize = u64(z, z64Off + 40, null, "ZIP64 central directory size");
                cdOffset = u64(z, z64Off + 48, null, "ZIP64 central directory offset");
                limit = z64Off;
            }
            disks = new Disks(endDisk, endCdDisk, locDisk, locDisks, entriesHere, disk, cdDisk);
            if (cdOffset > limit || cdSize > limit - cdOffset) {
                throw new ZipFormatException("central directory out of bounds: offset " + cdOffset + " + size "
                        + cdSize + " runs past the end records at offset " + limit);
            }
            if (total > Integer.MAX_VALUE - 8) {
                throw new ZipFormatException("too many entries: " + total);
            }
            if (total > cdSize / CEN_LEN) {
                throw new ZipFormatException("central directory of " + cdSize + " bytes cannot hold the " + total
                        + " entries the end record announces");
            }
            List<ZipEntry> list = new ArrayList<>((int) total);
            long trailing = readCentralDirectory(list, (int) total);
            return new ZipArchive(this, Collections.unmodifiableList(list), trailing);
        }

        /** The end record: in a short tail first, in the whole 64 KiB window when that holds no exact fit. */
        private void findEnd() throws IOException {
            if (size < END_LEN) {
                throw new ZipFormatException("not a zip archive: " + size
                        + " bytes is shorter than an end of central directory record");
            }
            int first = (int) Math.min(size, Math.max(END_LEN + ZIP64_LOC_LEN, src.firstTail()));
            tail = load(size - first, first);
            if (search(first, true)) {
                return;
            }
            int whole = (int) Math.min(size, MAX_TAIL);
            if (whole > first) {
                tail = load(size - whole, whole);
            }
            if (!search(whole, false)) {
                throw new ZipFormatException("not a zip archive: no end of central directory record in the last "
                        + Math.min(size, END_LEN + U16) + " bytes");
            }
        }

        /**
         * Searches the last {@code len} bytes backwards (records at most 64 KiB + 22 from the end): the first
         * record whose comment ends exactly at the end wins; else, unless {@code exactOnly}, the first whose
         * comment fits, else the first found.
         */
        private boolean search(int len, boolean exactOnly) {
            searched = len;
            long last = size - END_LEN;
            long lowest = Math.max(size - len, Math.max(0, last - U16));
            long fits = -1;
            long any = -1;
            for (long p = last; p >= lowest; p--) {
                if (tail.b.get((int) (p - tail.base)) == 0x50 && tail.i32(p) == END_SIG) {
                    long commentEnd = p + END_LEN + tail.u16(p + 20);
                    if (commentEnd == size) {
                        end = p;
                        endCommentFits = true;
                        return true;
                    }
                    if (commentEnd < size && fits < 0) {
                        fits = p;
                    }
                    if (any < 0) {
                        any = p;
                    }
                }
            }
            if (exactOnly || any < 0) {
                return false;
            }
            end = fits >= 0 ? fits : any;
            endCommentFits = fits >= 0;
            return true;
        }

        /** Reads {@code count} records into {@code list}; returns the bytes left after the last one. */
        private long readCentralDirectory(List<ZipEntry> list, int count) throws IOException {
            long cdEnd = cdOffset + cdSize;
            Chunk w = tail.holds(cdOffset, cdSize) ? tail : null;
            long p = cdOffset;
            for (int i = 0; i < count; i++) {
                if (cdEnd - p < CEN_LEN) {
                    throw new ZipFormatException("central directory truncated: record " + i + " of " + count
                            + " at offset " + p + " runs past its end at " + cdEnd);
                }
                if (w == null || !w.holds(p, CEN_LEN)) {
                    w = load(p, (int) Math.min(cdEnd - p, CD_WINDOW));
                }
                if (w.i32(p) != CEN_SIG) {
                    throw new ZipFormatException("bad central directory header signature for record " + i
                            + " at offset " + p);
                }
                int nameLen = w.u16(p + 28);
                int extraLen = w.u16(p + 30);
                int commentLen = w.u16(p + 32);
                long varLen = (long) nameLen + extraLen + commentLen;
                if (varLen > cdEnd - p - CEN_LEN) {
                    throw new ZipFormatException("central directory truncated: the name, extra field and comment of record "
                            + i + " at offset " + p + " run past its end at " + cdEnd);
                }
                if (!w.holds(p, CEN_LEN + varLen)) {
                    w = load(p, (int) Math.min(cdEnd - p, Math.max(CD_WINDOW, CEN_LEN + varLen)));
                }
                list.add(record(w, p, i, nameLen, extraLen, commentLen));
                p += CEN_LEN + varLen;
            }
            return cdEnd - p;
        }

        private ZipEntry record(Chunk w, long p, int i, int nameLen, int extraLen, int commentLen) throws IOException {
            int madeBy = w.u16(p + 4);
            int flags = w.u16(p + 8);
            int method = w.u16(p + 10);
            int time = w.u16(p + 12);
            int date = w.u16(p + 14);
            long crc = w.u32(p + 16);
            long csize = w.u32(p + 20);
            long usize = w.u32(p + 24);
            long diskStart = w.u16(p + 34);
            long extAttr = w.u32(p + 38);
            long lho = w.u32(p + 42);
            boolean utf8 = (flags & ZipEntry.FLAG_UTF8) != 0;
            byte[] raw = w.bytes(p + CEN_LEN, nameLen);
            String name = decodeName(raw, utf8);
            if (name == null) {
                throw new ZipFormatException("central directory record " + i
                        + " has flag bit 11 (UTF-8) set but its name is not valid UTF-8");
            }
            long extraEnd = p + CEN_LEN + nameLen + extraLen;
            long[] sizes = {usize, csize, lho, diskStart};
            zip64(w, p + CEN_LEN + nameLen, extraEnd, name, sizes);
            usize = sizes[0];
            csize = sizes[1];
            lho = sizes[2];
            diskStart = sizes[3];
            String entryComment = "";
            if (commentLen > 0) {
                byte[] c = w.bytes(extraEnd, commentLen);
                entryComment = decodeName(c, utf8);
                if (entryComment == null) {
                    entryComment = new String(c, StandardCharsets.UTF_8);
                }
            }
            int locExtraLen = localExtraLength(lho, nameLen, raw, name, csize);
            long dataOffset = lho + LOC_LEN + nameLen + locExtraLen;
            return new ZipEntry(i, name, utf8, flags, method, crc, csize, usize, lho, dataOffset,
                    locExtraLen, extraLen, time, date, madeBy, extAttr, entryComment, diskStart, raw);
        }

        /**
         * Reads the ZIP64 extra block of the central extra field {@code [q, extraEnd)} into {@code sizes}
         * ({uncompressed size, compressed size, local header offset, disk start}): only the saturated fields are
         * present, in this order.
         */
        private static void zip64(Chunk w, long q, long extraEnd, String name, long[] sizes) throws IOException {
            while (extraEnd - q >= 4) {
                int id = w.u16(q);
                int len = w.u16(q + 2);
                if (len > extraEnd - q - 4) {
                    throw new ZipFormatException(name, "malformed central extra field: block 0x"
                            + hex4(id) + " of " + len + " bytes runs past the extra field");
                }
                if (id == ZIP64_EXTRA_ID) {
                    long z = q + 4;
                    long zEnd = z + len;
                    if (sizes[0] == U32) {
                        sizes[0] = need8(w, z, zEnd, name, len, "ZIP64 uncompressed size");
                        z += 8;
                    }
                    if (sizes[1] == U32) {
                        sizes[1] = need8(w, z, zEnd, name, len, "ZIP64 compressed size");
                        z += 8;
                    }
                    if (sizes[2] == U32) {
                        sizes[2] = need8(w, z, zEnd, name, len, "ZIP64 local header offset");
                        z += 8;
                    }
                    if (sizes[3] == U16) {
                        if (zEnd - z < 4) {
                            throw zip64Short(name, len);
                        }
                        sizes[3] = w.u32(z);
                    }
                }
                q += 4 + len;
            }
        }

        /**
         * The local header at {@code lho}: its signature and the same name as the central record; returns its
         * extra field length (the data offset comes from the local lengths).
         */
        private int localExtraLength(long lho, int nameLen, byte[] raw, String name, long csize) throws IOException {
            if (lho > size - LOC_LEN) {
                throw new ZipFormatException(name, "Incomplete local file header. Fewer than " + LOC_LEN
                        + " bytes at offset " + lho + " before the end of the archive.");
            }
            if (lho > size - LOC_LEN - nameLen) {
                throw new ZipFormatException(name, "local header at offset " + lho
                        + " has no room for the name before the end of the archive");
            }
            Chunk l = local(lho, LOC_LEN + nameLen, csize);
            if (l.i32(lho) != LOC_SIG) {
                throw new ZipFormatException(name, "bad local file header signature at offset " + lho);
            }
            int locNameLen = l.u16(lho + 26);
            if (locNameLen != nameLen || !Arrays.equals(l.bytes(lho + LOC_LEN, nameLen), raw)) {
                throw new ZipFormatException(name, "local header name at offset " + lho
                        + " differs from the central directory name");
            }
            return l.u16(lho + 28);
        }

        /**
         * The {@code len} bytes of the local header at {@code lho}: from the tail or the last local-header window
         * when either holds them, else read, alone for a large entry, with a window of the bytes after it for a
         * small one (see {@link #LOC_WINDOW_MIN}): one read per header costs a system call, or a round trip, per
         * entry.
         */
        private Chunk local(long lho, int len, long csize) throws IOException {
            if (tail.holds(lho, len)) {
                return tail;
            }
            if (loc != null && loc.holds(lho, len)) {
                locServed = true;
                return loc;
            }
            if (csize > locWindow / 2) {
                return load(lho, len);
            }
            if (loc != null) {
                locWindow = locServed ? Math.min(2 * locWindow, LOC_WINDOW_MAX) : LOC_WINDOW_MIN;
            }
            loc = load(lho, (int) Math.min(size - lho, Math.max(len, locWindow)));
            locServed = false;
            return loc;
        }

        private static long need8(Chunk w, long z, long zEnd, String name, int len, String what) {
            if (zEnd - z < 8) {
                throw zip64Short(name, len);
            }
            return u64(w, z, name, what);
        }

        private static ZipFormatException zip64Short(String name, int len) {
            return new ZipFormatException(name, "ZIP64 extra field of " + len
                    + " bytes is too short for the saturated size/offset fields");
        }
    }

    static String hex4(int v) {
        String s = Integer.toHexString(v);
        return "0".repeat(4 - s.length()) + s;
    }
}
