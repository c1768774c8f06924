// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.TorchCheckpointException.Reason;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal read-only ZIP reader over a mapped file: end record (and ZIP64 end record), central directory,
 * local header data offsets. Sizes come from the central directory (torch writes data descriptors and zeros in
 * local headers); CRCs are not checked (torch may write zeros). Only STORED, unencrypted records are accepted,
 * so every record is a zero-copy slice.
 *
 * <p>Deliberately not folded into the shared {@code dev.weightmap.internal.zip.ZipArchive} (the writer was: see
 * {@code ZipWriter.torch}). Which archives this reader accepts, the reason it gives and its messages are what
 * {@link TorchCheckpoint} users see, and {@code ZipArchive}, whose rules serve DDUF, differs in all three: it
 * rejects archives this reader accepts (non-zero disk numbers in ZIP64 records and entries, per-disk entry counts,
 * overlapping entries, local headers or data at or after the central directory, bytes after the last central
 * record, end records whose comment runs past the end of the file), accepts some it rejects, decodes names
 * without flag bit 11 as CP437 rather than UTF-8, finds structural errors before per-record ones (compression,
 * encryption), words every message differently and reads local headers through the mapping rather than
 * {@code headers}. Matching this reader would take a second set of rules inside {@code ZipArchive}.
 */
final class ZipReader {
    private static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** One record. */
    record Entry(String name, long localHeaderOffset, long dataOffset, long size, int flags, int crc) {
    }

    private ZipReader() {
    }

    private static int u16(MemorySegment s, long off) {
        return s.get(U16, off) & 0xFFFF;
    }

    private static long u32(MemorySegment s, long off) {
        return s.get(U32, off) & 0xFFFFFFFFL;
    }

    private static TorchCheckpointException corrupt(String file, String msg) {
        return new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, file + ": " + msg);
    }

    /**
     * Reads the central directory; records in central-directory order.
     *
     * @param headers when not null, local headers are read through this channel (positional reads) instead of
     *                the mapping: touching one page per record of a multi-GB mapping costs a page fault and page
     *                tables each, which made open time grow with file size
     */
    static Map<String, Entry> read(MemorySegment f, String file, FileChannel headers) throws IOException {
        long size = f.byteSize();
        if (size < 22) {
            throw corrupt(file, "truncated zip: " + size + " bytes is too small for an end of central directory record");
        }
        long eocd = -1;
        long stop = Math.max(0, size - 22 - 65535);
        for (long p = size - 22; p >= stop; p--) {
            if (f.get(U32, p) == 0x06054b50) {
                eocd = p;
                break;
            }
        }
        if (eocd < 0) {
            throw corrupt(file, "no end of central directory record (truncated or not a zip)");
        }
        long entries = u16(f, eocd + 10);
        long cdSize = u32(f, eocd + 12);
        long cdOffset = u32(f, eocd + 16);
        if (u16(f, eocd + 4) != 0 || u16(f, eocd + 6) != 0) {
            throw corrupt(file, "multi-disk zip archives are not supported");
        }
        if (eocd >= 20 && f.get(U32, eocd - 20) == 0x07064b50) {
            long z64 = f.get(U64, eocd - 20 + 8);
            if (z64 < 0 || z64 > eocd - 20 - 56 || f.get(U32, z64) != 0x06064b50) {
                throw corrupt(file, "bad zip64 end of central directory record at " + z64);
            }
            entries = f.get(U64, z64 + 32);
            cdSize = f.get(U64, z64 + 40);
            cdOffset = f.get(U64, z64 + 48);
        } else if (entries == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            throw corrupt(file, "zip64 values without a zip64 end of central directory locator");
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset > eocd || cdSize > eocd - cdOffset) {
            throw corrupt(file, "central directory [" + cdOffset + ", +" + cdSize + ") lies outside the file");
        }
        if (entries < 0 || entries > cdSize / 46) {
            throw corrupt(file, "central directory of " + cdSize + " bytes cannot hold " + entries + " entries");
        }
        Map<String, Entry> out = new LinkedHashMap<>();
        long p = cdOffset;
        long cdEnd = cdOffset + cdSize;
        for (long i = 0; i < entries; i++) {
            if (cdEnd - p < 46 || f.get(U32, p) != 0x02014b50) {
                throw corrupt(file, "bad central directory entry " + i + " at " + p);
            }
            int flags = u16(f, p + 8);
            int method = u16(f, p + 10);
            int crc = f.get(U32, p + 16);
            long csize = u32(f, p + 20);
            long usize = u32(f, p + 24);
            int nameLen = u16(f, p + 28);
            int extraLen = u16(f, p + 30);
            int commentLen = u16(f, p + 32);
            long lho = u32(f, p + 42);
            long next = p + 46 + nameLen + extraLen + commentLen;
            if (next > cdEnd) {
                throw corrupt(file, "central directory entry " + i + " is truncated");
            }
            byte[] nameBytes = new byte[nameLen];
            MemorySegment.copy(f, ValueLayout.JAVA_BYTE, p + 46, nameBytes, 0, nameLen);
            String name = decode(nameBytes, file);
            // zip64 extra in the central directory
            long e = p + 46 + nameLen;
            long eEnd = e + extraLen;
            while (eEnd - e >= 4) {
                int id = u16(f, e);
                int len = u16(f, e + 2);
                if (e + 4 + len > eEnd) {
                    throw corrupt(file, "record '" + name + "': extra field overruns the central directory entry");
                }
                if (id == 1) {
                    long q = e + 4;
                    long qEnd = q + len;
                    if (usize == 0xFFFFFFFFL) {
                        usize = need8(f, q, qEnd, file, name);
                        q += 8;
                    }
                    if (csize == 0xFFFFFFFFL) {
                        csize = need8(f, q, qEnd, file, name);
                        q += 8;
                    }
                    if (lho == 0xFFFFFFFFL) {
                        lho = need8(f, q, qEnd, file, name);
                    }
                }
                e += 4 + len;
            }
            if ((flags & 1) != 0) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, file + ": record '" + name + "' is encrypted");
            }
            if (method != 0) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, file + ": record '" + name
                        + "' is compressed (method " + method + "); only stored records can be mapped");
            }
            if (csize != usize) {
                throw corrupt(file, "record '" + name + "': stored size " + csize + " differs from size " + usize);
            }
            if (lho < 0 || lho > size - 30 - nameLen) {
                throw corrupt(file, "record '" + name + "': no local header at " + lho);
            }
            MemorySegment local;
            if (headers == null) {
                local = f.asSlice(lho, 30 + nameLen);
            } else {
                ByteBuffer lb = ByteBuffer.allocate(30 + nameLen);
                while (lb.hasRemaining()) {
                    if (headers.read(lb, lho + lb.position()) < 0) {
                        throw corrupt(file, "record '" + name + "': truncated local header at " + lho);
                    }
                }
                local = MemorySegment.ofArray(lb.array());
            }
            if (local.get(U32, 0) != 0x04034b50) {
                throw corrupt(file, "record '" + name + "': no local header at " + lho);
            }
            int lNameLen = u16(local, 26);
            int lExtraLen = u16(local, 28);
            long data = lho + 30 + lNameLen + lExtraLen;
            if (lNameLen != nameLen || data > size
                    || MemorySegment.mismatch(local, 30, 30 + nameLen, f, p + 46, p + 46 + nameLen) != -1) {
                throw corrupt(file, "record '" + name + "': local header name differs from the central directory");
            }
            if (usize < 0 || usize > size - data) {
                throw corrupt(file, "record '" + name + "' [" + data + ", +" + usize + ") lies outside the file of "
                        + size + " bytes (truncated?)");
            }
            if (out.put(name, new Entry(name, lho, data, usize, flags, crc)) != null) {
                throw corrupt(file, "duplicate record '" + name + "'");
            }
            p = next;
        }
        return out;
    }

    private static long need8(MemorySegment f, long q, long end, String file, String name) {
        if (end - q < 8) {
            throw corrupt(file, "record '" + name + "': zip64 extra field too short");
        }
        long v = f.get(U64, q);
        if (v < 0) {
            throw corrupt(file, "record '" + name + "': zip64 value out of range");
        }
        return v;
    }

    private static String decode(byte[] b, String file) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw corrupt(file, "record name is not valid UTF-8");
        }
    }
}
