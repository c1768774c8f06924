// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * A read-only view of a ZIP archive held in a {@link MemorySegment} (usually a file mapping). Parsing reads only
 * the end records, the central directory and every local header; entry data is never touched.
 *
 * <p>Handled: the end-of-central-directory record (bounded backwards search over at most 64 KiB of comment),
 * ZIP64 end record and locator, ZIP64 extra fields in the central directory, archive and entry comments, UTF-8
 * (flag bit 11) or CP437 names, data descriptors (sizes come from the central directory). Data offsets are
 * computed from the local header, whose signature and name are checked. Rejected with
 * {@link ZipFormatException}: not a zip, truncation, multi-disk archives, a central directory out of bounds or
 * with a count that does not match its size, malformed extra fields, entries running past the central directory
 * or overlapping each other. Compression and encryption are reported, not rejected: callers decide.
 */
public final class ZipArchive {
    static final int LOC_SIG = 0x04034b50;
    static final int CEN_SIG = 0x02014b50;
    static final int END_SIG = 0x06054b50;
    static final int ZIP64_END_SIG = 0x06064b50;
    static final int ZIP64_LOC_SIG = 0x07064b50;
    static final int LOC_LEN = 30;
    static final int CEN_LEN = 46;
    static final int END_LEN = 22;
    static final int ZIP64_END_LEN = 56;
    static final int ZIP64_LOC_LEN = 20;
    static final int ZIP64_EXTRA_ID = 0x0001;
    static final long U32 = 0xFFFFFFFFL;
    static final int U16 = 0xFFFF;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

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

    private final MemorySegment segment;
    private final List<ZipEntry> entries;
    private final long endOffset;
    private final boolean zip64;
    private final long centralDirectoryOffset;
    private final long centralDirectorySize;
    private final String comment;

    private ZipArchive(MemorySegment segment, List<ZipEntry> entries, long endOffset, boolean zip64,
                       long cdOffset, long cdSize, String comment) {
        this.segment = segment;
        this.entries = entries;
        this.endOffset = endOffset;
        this.zip64 = zip64;
        this.centralDirectoryOffset = cdOffset;
        this.centralDirectorySize = cdSize;
        this.comment = comment;
    }

    /**
     * Parses the archive structure of {@code seg}.
     *
     * @throws ZipFormatException when the bytes are not a well-formed ZIP archive
     */
    public static ZipArchive read(MemorySegment seg) {
        try {
            return new Parser(seg).parse();
        } catch (IndexOutOfBoundsException e) {
            // every access is bounds-checked before it happens; this is a safety net only
            throw new ZipFormatException(null, "truncated archive: a structure runs past the end of the data", e);
        }
    }

    /** The bytes of the whole archive. */
    public MemorySegment segment() {
        return segment;
    }

    /** Every central-directory record, in central-directory order (duplicates kept). */
    public List<ZipEntry> entries() {
        return entries;
    }

    /** The entry's stored bytes: a zero-copy slice {@code [dataOffset, dataOffset + compressedSize)}. */
    public MemorySegment data(ZipEntry e) {
        return segment.asSlice(e.dataOffset(), e.compressedSize());
    }

    /** Offset of the end-of-central-directory record. */
    public long endOffset() {
        return endOffset;
    }

    /** Whether the archive has a ZIP64 end record (and locator). */
    public boolean isZip64() {
        return zip64;
    }

    /** Absolute offset of the central directory. */
    public long centralDirectoryOffset() {
        return centralDirectoryOffset;
    }

    /** Size of the central directory in bytes. */
    public long centralDirectorySize() {
        return centralDirectorySize;
    }

    /** The archive comment (UTF-8, malformed bytes replaced), empty when absent. */
    public String comment() {
        return comment;
    }

    /** Decodes a ZIP name: UTF-8 (strict) when {@code utf8}, else CP437. Null when the UTF-8 is invalid. */
    static String decodeName(MemorySegment seg, long off, int len, boolean utf8) {
        byte[] b = new byte[len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, off, b, 0, len);
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
            try {
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(b)).toString();
            } catch (CharacterCodingException e) {
                return null;
            }
        }
        char[] c = new char[len];
        for (int i = 0; i < len; i++) {
            int v = b[i] & 0xFF;
            c[i] = v >= 0x80 ? CP437_HIGH.charAt(v - 0x80) : (char) v;
        }
        return new String(c);
    }

    private static final class Parser {
        private final MemorySegment seg;
        private final long size;

        Parser(MemorySegment seg) {
            this.seg = seg;
            this.size = seg.byteSize();
        }

        int u16(long off) {
            return seg.get(SHORT, off) & 0xFFFF;
        }

        long u32(long off) {
            return seg.get(INT, off) & U32;
        }

        int i32(long off) {
            return seg.get(INT, off);
        }

        long u64(long off, String entry, String what) {
            long v = seg.get(LONG, off);
            if (v < 0) {
                throw new ZipFormatException(entry, what + " does not fit in a signed 64-bit integer");
            }
            return v;
        }

        ZipArchive parse() {
            long end = findEnd();
            int disk = u16(end + 4);
            int cdDisk = u16(end + 6);
            long entriesHere = u16(end + 8);
            long total = u16(end + 10);
            long cdSize = u32(end + 12);
            long cdOffset = u32(end + 16);
            int commentLen = u16(end + 20);
            String comment = commentLen == 0 ? ""
                    : new String(seg.asSlice(end + END_LEN, commentLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            long limit = end; // the central directory must end before the end records
            boolean zip64 = false;
            long loc = end - ZIP64_LOC_LEN;
            if (loc >= 0 && i32(loc) == ZIP64_LOC_SIG) {
                zip64 = true;
                long z64DiskIdx = u32(loc + 4);
                long z64Off = u64(loc + 8, null, "ZIP64 end record offset");
                long disks = u32(loc + 16);
                if (z64DiskIdx != 0 || disks > 1) {
                    throw new ZipFormatException("multi-disk archives are not supported (ZIP64 locator names disk "
                            + z64DiskIdx + " of " + disks + ")");
                }
                if (z64Off > loc - ZIP64_END_LEN) {
                    throw new ZipFormatException("ZIP64 end of central directory record at offset " + z64Off
                            + " is out of bounds (locator at " + loc + ")");
                }
                if (i32(z64Off) != ZIP64_END_SIG) {
                    throw new ZipFormatException("bad ZIP64 end of central directory signature at offset " + z64Off);
                }
                long d = u32(z64Off + 16);
                long cd = u32(z64Off + 20);
                if (d != 0 || cd != 0) {
                    throw new ZipFormatException("multi-disk archives are not supported (ZIP64 end record disk "
                            + d + ", central directory disk " + cd + ")");
                }
                entriesHere = u64(z64Off + 24, null, "ZIP64 entry count");
                total = u64(z64Off + 32, null, "ZIP64 entry count");
                cdSize = u64(z64Off + 40, null, "ZIP64 central directory size");
                cdOffset = u64(z64Off + 48, null, "ZIP64 central directory offset");
                limit = z64Off;
            } else if (disk != 0 || cdDisk != 0) {
                throw new ZipFormatException("multi-disk archives are not supported (end record disk " + disk
                        + ", central directory disk " + cdDisk + ")");
            }
            if (entriesHere != total) {
                throw new ZipFormatException("multi-disk archives are not supported (" + entriesHere
                        + " entries on this disk, " + total + " in total)");
            }
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
            List<ZipEntry> list = readCentralDirectory(cdOffset, cdSize, (int) total);
            checkOverlaps(list, cdOffset);
            return new ZipArchive(seg, Collections.unmodifiableList(list), end, zip64, cdOffset, cdSize, comment);
        }

        private long findEnd() {
            if (size < END_LEN) {
                throw new ZipFormatException("not a zip archive: " + size + " bytes is shorter than an end of central directory record");
            }
            long last = size - END_LEN;
            long first = Math.max(0, last - U16);
            long fallback = -1;
            for (long p = last; p >= first; p--) {
                if (seg.get(ValueLayout.JAVA_BYTE, p) == 0x50 && i32(p) == END_SIG) {
                    long commentEnd = p + END_LEN + u16(p + 20);
                    if (commentEnd == size) {
                        return p;
                    }
                    if (commentEnd < size && fallback < 0) {
                        fallback = p;
                    }
                }
            }
            if (fallback >= 0) {
                return fallback;
            }
            throw new ZipFormatException("not a zip archive: no end of central directory record in the last "
                    + (size - first) + " bytes");
        }

        private List<ZipEntry> readCentralDirectory(long cdOffset, long cdSize, int count) {
            List<ZipEntry> list = new ArrayList<>(count);
            long p = cdOffset;
            long cdEnd = cdOffset + cdSize;
            for (int i = 0; i < count; i++) {
                if (cdEnd - p < CEN_LEN) {
                    throw new ZipFormatException("central directory truncated: record " + i + " of " + count
                            + " at offset " + p + " runs past its end at " + cdEnd);
                }
                if (i32(p) != CEN_SIG) {
                    throw new ZipFormatException("bad central directory header signature for record " + i
                            + " at offset " + p);
                }
                int madeBy = u16(p + 4);
                int flags = u16(p + 8);
                int method = u16(p + 10);
                int time = u16(p + 12);
                int date = u16(p + 14);
                long crc = u32(p + 16);
                long csize = u32(p + 20);
                long usize = u32(p + 24);
                int nameLen = u16(p + 28);
                int extraLen = u16(p + 30);
                int commentLen = u16(p + 32);
                long diskStart = u16(p + 34);
                long extAttr = u32(p + 38);
                long lho = u32(p + 42);
                long varLen = (long) nameLen + extraLen + commentLen;
                if (varLen > cdEnd - p - CEN_LEN) {
                    throw new ZipFormatException("central directory truncated: the name, extra field and comment of record "
                            + i + " at offset " + p + " run past its end at " + cdEnd);
                }
                boolean utf8 = (flags & ZipEntry.FLAG_UTF8) != 0;
                String name = decodeName(seg, p + CEN_LEN, nameLen, utf8);
                if (name == null) {
                    throw new ZipFormatException("central directory record " + i
                            + " has flag bit 11 (UTF-8) set but its name is not valid UTF-8");
                }
                // ZIP64 extra: only the saturated fields are present, in this order
                long extra = p + CEN_LEN + nameLen;
                long extraEnd = extra + extraLen;
                long q = extra;
                while (extraEnd - q >= 4) {
                    int id = u16(q);
                    int len = u16(q + 2);
                    if (len > extraEnd - q - 4) {
                        throw new ZipFormatException(name, "malformed central extra field: block 0x"
                                + hex4(id) + " of " + len + " bytes runs past the extra field");
                    }
                    if (id == ZIP64_EXTRA_ID) {
                        long z = q + 4;
                        long zEnd = z + len;
                        if (usize == U32) {
                            if (zEnd - z < 8) {
                                throw zip64Short(name, len);
                            }
                            usize = u64(z, name, "ZIP64 uncompressed size");
                            z += 8;
                        }
                        if (csize == U32) {
                            if (zEnd - z < 8) {
                                throw zip64Short(name, len);
                            }
                            csize = u64(z, name, "ZIP64 compressed size");
                            z += 8;
                        }
                        if (lho == U32) {
                            if (zEnd - z < 8) {
                                throw zip64Short(name, len);
                            }
                            lho = u64(z, name, "ZIP64 local header offset");
                            z += 8;
                        }
                        if (diskStart == U16) {
                            if (zEnd - z < 4) {
                                throw zip64Short(name, len);
                            }
                            diskStart = u32(z);
                        }
                    }
                    q += 4 + len;
                }
                if (diskStart != 0) {
                    throw new ZipFormatException(name, "multi-disk archives are not supported (entry starts on disk "
                            + diskStart + ")");
                }
                String comment = commentLen == 0 ? "" : decodeName(seg, extraEnd, commentLen, utf8);
                if (comment == null) {
                    comment = new String(seg.asSlice(extraEnd, commentLen).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
                }
                // the local header: signature, same name, data offset from ITS lengths
                if (lho > cdOffset || cdOffset - lho < LOC_LEN) {
                    if (lho >= size || size - lho < LOC_LEN) {
                        throw new ZipFormatException(name, "Incomplete local file header. Fewer than " + LOC_LEN
                                + " bytes at offset " + lho + " before the end of the archive.");
                    }
                    throw new ZipFormatException(name, "local header at offset " + lho
                            + " does not lie before the central directory at " + cdOffset);
                }
                if (i32(lho) != LOC_SIG) {
                    throw new ZipFormatException(name, "bad local file header signature at offset " + lho);
                }
                int locNameLen = u16(lho + 26);
                int locExtraLen = u16(lho + 28);
                long dataOffset = lho + LOC_LEN + locNameLen + locExtraLen;
                if (dataOffset > cdOffset) {
                    throw new ZipFormatException(name, "local header at offset " + lho
                            + " runs into the central directory at " + cdOffset);
                }
                if (locNameLen != nameLen
                        || seg.asSlice(lho + LOC_LEN, nameLen).mismatch(seg.asSlice(p + CEN_LEN, nameLen)) != -1) {
                    throw new ZipFormatException(name, "local header name at offset " + lho
                            + " differs from the central directory name");
                }
                if (csize > cdOffset - dataOffset) {
                    throw new ZipFormatException(name, "data of " + csize + " bytes at offset " + dataOffset
                            + " runs past the start of the central directory at " + cdOffset);
                }
                list.add(new ZipEntry(i, name, utf8, flags, method, crc, csize, usize, lho, dataOffset,
                        locExtraLen, extraLen, time, date, madeBy, extAttr, comment));
                p += CEN_LEN + varLen;
            }
            if (p != cdEnd) {
                throw new ZipFormatException("central directory has " + (cdEnd - p)
                        + " bytes after its last record: the end record's count of " + count + " entries is wrong");
            }
            return list;
        }

        private static ZipFormatException zip64Short(String name, int len) {
            return new ZipFormatException(name, "ZIP64 extra field of " + len
                    + " bytes is too short for the saturated size/offset fields");
        }

        private static void checkOverlaps(List<ZipEntry> list, long cdOffset) {
            if (list.size() < 2) {
                return;
            }
            ZipEntry[] byOffset = list.toArray(new ZipEntry[0]);
            Arrays.sort(byOffset, (a, b) -> Long.compare(a.localHeaderOffset(), b.localHeaderOffset()));
            for (int i = 1; i < byOffset.length; i++) {
                ZipEntry a = byOffset[i - 1];
                ZipEntry b = byOffset[i];
                if (a.dataEnd() > b.localHeaderOffset()) {
                    throw new ZipFormatException(b.name(), "overlaps entry '" + a.name() + "' (its data ends at "
                            + a.dataEnd() + ", this local header starts at " + b.localHeaderOffset() + ")");
                }
            }
        }
    }

    static String hex4(int v) {
        String s = Integer.toHexString(v);
        return "0".repeat(4 - s.length()) + s;
    }
}
