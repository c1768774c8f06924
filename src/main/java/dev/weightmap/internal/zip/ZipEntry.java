// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

/**
 * One central-directory record of a ZIP archive, with its sizes resolved through ZIP64 extra fields and its
 * data offset computed from the LOCAL header (whose extra field length may differ from the central one).
 *
 * @param index              position in the central directory (0-based)
 * @param name               decoded name: UTF-8 when flag bit 11 is set, otherwise CP437 (Python's rule)
 * @param utf8               whether flag bit 11 (UTF-8 name) is set
 * @param flags              general-purpose bit flags of the central record
 * @param method             compression method (0 = STORED, 8 = DEFLATED)
 * @param crc32              CRC-32 from the central directory (unsigned)
 * @param compressedSize     compressed size (ZIP64-resolved)
 * @param size               uncompressed size (ZIP64-resolved)
 * @param localHeaderOffset  absolute offset of the local file header
 * @param dataOffset         absolute offset of the entry data ({@code localHeaderOffset + 30 + n + m})
 * @param localExtraLength   length of the local header's extra field
 * @param centralExtraLength length of the central record's extra field
 * @param dosTime            MS-DOS time field
 * @param dosDate            MS-DOS date field
 * @param versionMadeBy      version-made-by field
 * @param externalAttributes external file attributes
 * @param comment            entry comment (decoded like the name; empty when absent)
 * @param diskStart          the disk the entry starts on (ZIP64-resolved; 0 in a single-disk archive)
 * @param rawName            the name's bytes as stored (do not modify)
 */
public record ZipEntry(int index, String name, boolean utf8, int flags, int method, long crc32,
                       long compressedSize, long size, long localHeaderOffset, long dataOffset,
                       int localExtraLength, int centralExtraLength, int dosTime, int dosDate,
                       int versionMadeBy, long externalAttributes, String comment, long diskStart,
                       byte[] rawName) {
    /** Compression method STORED. */
    public static final int STORED = 0;
    /** Compression method DEFLATED. */
    public static final int DEFLATED = 8;
    /** Flag bit 0: the entry is encrypted. */
    public static final int FLAG_ENCRYPTED = 0x0001;
    /** Flag bit 3: sizes and CRC follow the data in a data descriptor. */
    public static final int FLAG_DATA_DESCRIPTOR = 0x0008;
    /** Flag bit 6: strong encryption. */
    public static final int FLAG_STRONG_ENCRYPTION = 0x0040;
    /** Flag bit 11: the name and comment are UTF-8. */
    public static final int FLAG_UTF8 = 0x0800;

    /** End (exclusive) of the stored data: {@code dataOffset + compressedSize}. */
    public long dataEnd() {
        return dataOffset + compressedSize;
    }

    /**
     * The stored bytes in {@code archive}: a zero-copy slice {@code [dataOffset, dataOffset + compressedSize)}.
     *
     * @param archive the archive's bytes
     * @return the slice
     */
    public java.lang.foreign.MemorySegment data(java.lang.foreign.MemorySegment archive) {
        return archive.asSlice(dataOffset, compressedSize);
    }

    /** Whether the local header and the data lie before {@code limit} (the central directory's offset). */
    public boolean endsBefore(long limit) {
        return localHeaderOffset <= limit && dataOffset <= limit && compressedSize <= limit - dataOffset;
    }

    /** Whether the entry is a directory entry (name ends with '/'). */
    public boolean isDirectory() {
        return name.endsWith("/");
    }
}
