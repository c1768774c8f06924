// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.io.MappedFile;
import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipCrc;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.internal.zip.ZipFormatException;
import dev.weightmap.safetensors.SafetensorsException;
import dev.weightmap.safetensors.SafetensorsFile;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DDUF archive (hub's {@code read_dduf_file}), memory-mapped: opening parses only the ZIP structure and
 * {@code model_index.json}; entry data is never read until asked for.
 *
 * <pre>{@code
 * try (DdufFile dduf = DdufFile.open(Path.of("pipeline.dduf"))) {
 *     DdufEntry vae = dduf.entries().get("vae/diffusion_pytorch_model.safetensors");
 *     SafetensorsFile st = vae.openSafetensors();          // zero-copy view inside the archive
 *     Tensor w = st.tensor("decoder.conv_in.weight");
 * }
 * }</pre>
 *
 * <p>Checks on open: the ZIP structure (see the package notes), every entry STORED, not encrypted, compressed size
 * equal to size, names valid (hub's rules plus: no absolute names, no {@code .}/{@code ..}, no duplicates), a root
 * {@code model_index.json} holding a JSON object, every folder a key of it and holding a config file. Failures
 * raise {@link DdufCorruptedFileException} whose message names the file, the entry and the rule.
 */
public final class DdufFile implements AutoCloseable {
    private final MappedFile mapping;
    private final MemorySegment segment;
    private final String displayName;
    private final Path path;
    private final Map<String, DdufEntry> entries;
    private final Map<String, Object> modelIndex;
    private final ZipArchive zip;

    private DdufFile(MappedFile mapping, MemorySegment segment, String displayName, Path path) {
        this.mapping = mapping;
        this.segment = segment;
        this.displayName = displayName;
        this.path = path;
        String where = displayName + ": ";
        try {
            this.zip = ZipArchive.read(segment);
        } catch (ZipFormatException e) {
            throw new DdufCorruptedFileException(where + e.getMessage(), e);
        }
        Map<String, DdufEntry> map = LinkedHashMap.newLinkedHashMap(zip.entries().size());
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
                DdufRules.entryName(n);
            } catch (DdufInvalidEntryNameException e) {
                throw new DdufCorruptedFileException(where + "Invalid entry name in DDUF file: " + n + " ("
                        + e.getMessage() + ")", e);
            }
            if (map.putIfAbsent(n, new DdufEntry(this, n, z.dataOffset(), z.size(), z.crc32())) != null) {
                throw new DdufCorruptedFileException(where + "Duplicate entry name in DDUF file: " + n);
            }
        }
        this.entries = Collections.unmodifiableMap(map);
        DdufEntry index = map.get(DdufRules.MODEL_INDEX);
        if (index == null) {
            throw new DdufCorruptedFileException(where + DdufRules.MISSING_INDEX);
        }
        Object parsed;
        try {
            parsed = JsonReader.parse(index.segment());
        } catch (JsonException e) {
            throw new DdufCorruptedFileException(where + "entry 'model_index.json': Invalid 'model_index.json' content: "
                    + e.getMessage(), e);
        }
        DdufRules.structure(where, parsed, map.keySet());
        @SuppressWarnings("unchecked")
        Map<String, Object> idx = Collections.unmodifiableMap((Map<String, Object>) parsed);
        this.modelIndex = idx;
    }

    /**
     * Maps and validates a DDUF archive. The result owns the mapping: close it.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws DdufCorruptedFileException        when it is not a valid DDUF archive
     */
    public static DdufFile open(Path file) throws IOException {
        MappedFile m = MappedFile.open(file);
        try {
            return new DdufFile(m, m.segment(), file.toString(), file);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Maps and validates a DDUF archive into the caller's {@code arena}: the mapping lives as long as the arena and
     * closing the result does not unmap it. With {@link Arena#ofConfined()} only the calling thread may read the
     * entries (and {@link #verify()} runs on it), but opening and unmapping are several times cheaper than with the
     * shared arena {@link #open(Path)} uses; one arena can also hold many archives.
     *
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws DdufCorruptedFileException        when it is not a valid DDUF archive
     */
    public static DdufFile open(Path file, Arena arena) throws IOException {
        return new DdufFile(null, MappedFile.map(file, arena), file.toString(), file);
    }

    /**
     * Validates a DDUF archive held in any segment (which the result does not own); {@code displayName} is used in
     * messages.
     *
     * @throws DdufCorruptedFileException when it is not a valid DDUF archive
     */
    public static DdufFile parse(MemorySegment image, String displayName) {
        return new DdufFile(null, image, displayName, null);
    }

    /** Every entry, by name, in central-directory order. */
    public Map<String, DdufEntry> entries() {
        return entries;
    }

    /** The parsed {@code model_index.json} object. */
    public Map<String, Object> modelIndex() {
        return modelIndex;
    }

    /** The archive's bytes (the whole mapping). */
    public MemorySegment segment() {
        return segment;
    }

    /** The file, or null for {@link #parse(MemorySegment, String)}. */
    public Path path() {
        return path;
    }

    /** The name used in messages (the path for {@link #open}). */
    public String displayName() {
        return displayName;
    }

    /** Whether the archive has ZIP64 end records. */
    public boolean isZip64() {
        return zip.isZip64();
    }

    /**
     * Full validation beyond what opening checks: recomputes every entry's CRC-32 (in parallel, large entries split
     * into 64 MiB pieces whose CRCs are combined) and parses
     * the header of every {@code .safetensors} entry.
     *
     * @return the number of data bytes checked
     * @throws DdufCorruptedFileException naming the first entry (in archive order) that fails
     */
    public long verify() {
        List<DdufEntry> list = new ArrayList<>(entries.values());
        long[] computed = ZipCrc.crc32Parallel(list.stream().map(DdufEntry::segment).toList());
        long total = 0;
        for (int i = 0; i < list.size(); i++) {
            DdufEntry e = list.get(i);
            total += e.length();
            if (computed[i] != e.crc32()) {
                throw new DdufCorruptedFileException(displayName + ": entry '" + e.name() + "': CRC-32 mismatch: stored "
                        + hex8(e.crc32()) + ", computed " + hex8(computed[i]));
            }
        }
        for (DdufEntry e : list) {
            if (e.name().endsWith(".safetensors")) {
                try {
                    SafetensorsFile.parse(e.segment(), displayName + "::" + e.name());
                } catch (SafetensorsException x) {
                    throw new DdufCorruptedFileException(displayName + ": entry '" + e.name()
                            + "': invalid safetensors: " + x.getMessage(), x);
                }
            }
        }
        return total;
    }

    private static String at(String where, String entry) {
        return where + "entry '" + entry + "': ";
    }

    static String hex8(long v) {
        String s = Long.toHexString(v & 0xFFFFFFFFL);
        return "0".repeat(8 - s.length()) + s;
    }

    /**
     * Unmaps the archive when {@link #open(Path)} mapped it (segments handed out become inaccessible); idempotent.
     * Does nothing for {@link #open(Path, Arena)} and {@link #parse(MemorySegment, String)}.
     */
    @Override
    public void close() {
        if (mapping != null) {
            mapping.close();
        }
    }

    @Override
    public String toString() {
        return "DdufFile(" + displayName + ", " + entries.size() + " entries)";
    }
}
