// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.internal.zip.ZipFormatException;
import dev.weightmap.internal.zip.ZipSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a DDUF archive holds, checked by every rule {@link DdufFile#open} applies, read without mapping it: from
 * any channel (a remote archive, a file) by reads of the end records, the central directory, the local headers
 * and {@code model_index.json} only. Entry data is not read.
 */
public final class DdufDirectory {
    /** {@code model_index.json} up to this size is read from the source; a larger one from the mapping. */
    static final int INDEX_READ_LIMIT = 1 << 20;
    /** Without a mapping, a larger {@code model_index.json} is refused. */
    static final int INDEX_LIMIT = 16 << 20;

    /**
     * One entry.
     *
     * @param name   the entry name
     * @param offset the absolute offset of its data in the archive
     * @param length its length in bytes
     * @param crc32  the CRC-32 the central directory records (unsigned)
     */
    public record Entry(String name, long offset, long length, long crc32) {
    }

    private final List<Entry> entries;
    private final Map<String, Object> modelIndex;
    private final boolean zip64;

    private DdufDirectory(List<Entry> entries, Map<String, Object> modelIndex, boolean zip64) {
        this.entries = entries;
        this.modelIndex = modelIndex;
        this.zip64 = zip64;
    }

    /**
     * Reads and checks the directory of the archive in {@code archive} (its position is changed).
     *
     * @param archive     the archive's bytes
     * @param displayName the name used in messages
     * @param allowGguf   whether {@code .gguf} entries are accepted
     * @return the entries and {@code model_index.json}
     * @throws DdufCorruptedFileException when it is not a valid DDUF archive
     * @throws IOException                when the channel fails
     */
    public static DdufDirectory read(SeekableByteChannel archive, String displayName, boolean allowGguf)
            throws IOException {
        ZipSource source = ZipSource.of(archive, 4096, displayName);
        return read(source, displayName, allowGguf, null);
    }

    /**
     * The checks of {@link DdufFile#open}: the ZIP structure, every entry STORED, unencrypted, named by the rules,
     * unique; {@code model_index.json} present, a JSON object naming every folder.
     *
     * @param image the mapping (asked for only for a {@code model_index.json} larger than
     *              {@link #INDEX_READ_LIMIT}); or null
     */
    static DdufDirectory read(ZipSource source, String displayName, boolean allowGguf,
                              java.util.function.Supplier<MemorySegment> image)
            throws IOException {
        String where = displayName + ": ";
        ZipArchive zip;
        try {
            zip = DdufZip.read(source);
        } catch (ZipFormatException e) {
            throw new DdufCorruptedFileException(where + e.getMessage(), e);
        }
        List<Entry> list = new ArrayList<>(zip.entries().size());
        Set<String> names = new LinkedHashSet<>();
        Entry index = null;
        for (ZipEntry z : zip.entries()) {
            String n = z.name();
            if (z.method() != ZipEntry.STORED) {
                throw new DdufCorruptedFileException(at(where, n) + "Data must not be compressed in DDUF file. (compression method "
                        + z.method() + ")");
            }
            if ((z.flags() & (ZipEntry.FLAG_ENCRYPTED | ZipEntry.FLAG_STRONG_ENCRYPTION)) != 0) {
                throw new DdufCorruptedFileException(at(where, n) + "encrypted entries are not supported (flags 0x"
                        + Integer.toHexString(z.flags()) + ")");
            }
            if (z.compressedSize() != z.size()) {
                throw new DdufCorruptedFileException(at(where, n) + "stored entry has compressed size " + z.compressedSize()
                        + " but size " + z.size());
            }
            try {
                DdufRules.entryName(n, allowGguf);
            } catch (DdufInvalidEntryNameException e) {
                throw new DdufCorruptedFileException(where + "Invalid entry name in DDUF file: " + n + " ("
                        + e.getMessage() + ")" + (!allowGguf && DdufRules.isGguf(n) ? DdufRules.GGUF_HINT : ""), e);
            }
            if (!names.add(n)) {
                throw new DdufCorruptedFileException(where + "Duplicate entry name in DDUF file: " + n);
            }
            Entry e = new Entry(n, z.dataOffset(), z.size(), z.crc32());
            list.add(e);
            if (n.equals(DdufRules.MODEL_INDEX)) {
                index = e;
            }
        }
        if (index == null) {
            throw new DdufCorruptedFileException(where + DdufRules.MISSING_INDEX);
        }
        Object parsed;
        try {
            parsed = JsonReader.parse(indexBytes(index, source, image, where));
        } catch (JsonException e) {
            throw new DdufCorruptedFileException(where + "entry 'model_index.json': Invalid 'model_index.json' content: "
                    + e.getMessage(), e);
        }
        DdufRules.structure(where, parsed, names);
        @SuppressWarnings("unchecked")
        Map<String, Object> idx = Collections.unmodifiableMap((Map<String, Object>) parsed);
        return new DdufDirectory(Collections.unmodifiableList(list), idx, zip.isZip64());
    }

    /**
     * The bytes of {@code model_index.json}: read from the source when small (a mapping stays untouched), copied
     * out of the mapping when larger (the entry is stored, so its length is bytes the file really holds).
     */
    private static byte[] indexBytes(Entry index, ZipSource source,
                                     java.util.function.Supplier<MemorySegment> image, String where)
            throws IOException {
        if (index.length() > INDEX_READ_LIMIT && image != null) {
            if (index.length() > Integer.MAX_VALUE - 8) {
                throw new DdufCorruptedFileException(at(where, DdufRules.MODEL_INDEX) + index.length()
                        + " bytes is more than a JSON document can hold here (2 GiB)");
            }
            return image.get().asSlice(index.offset(), index.length()).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
        if (index.length() > INDEX_LIMIT) {
            throw new DdufCorruptedFileException(at(where, DdufRules.MODEL_INDEX) + index.length()
                    + " bytes is more than the " + INDEX_LIMIT + " read without a mapping");
        }
        ByteBuffer b = ByteBuffer.allocate((int) index.length());
        source.read(index.offset(), b);
        return b.array();
    }

    private static String at(String where, String entry) {
        return where + "entry '" + entry + "': ";
    }

    /**
     * Every entry, in central-directory order.
     *
     * @return the entries
     */
    public List<Entry> entries() {
        return entries;
    }

    /**
     * The parsed {@code model_index.json}.
     *
     * @return the object as maps, lists, strings, numbers and booleans
     */
    public Map<String, Object> modelIndex() {
        return modelIndex;
    }

    /**
     * Whether the archive has ZIP64 end records.
     *
     * @return true when it does
     */
    public boolean isZip64() {
        return zip64;
    }
}
