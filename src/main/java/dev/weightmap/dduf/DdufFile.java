// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.OpenOptions;
import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.checksum.Crc;
import dev.weightmap.internal.io.MappedFile;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.internal.zip.ZipSource;
import dev.weightmap.safetensors.SafetensorsException;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;

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
 *
 * <p>As {@link Weights}: format {@code dduf}; the tensors are those of its {@code .safetensors} entries, named
 * {@code entry::tensor}, entries in central-directory order and each entry's tensors in data order (the entries'
 * safetensors headers are parsed on the first tensor access, so opening stays cheap; for {@link #open(Path)} they
 * are read by positional reads, so listing {@link #tensorNames()} or {@link #locations()} maps nothing, and the
 * archive is mapped when tensor bytes are first asked for); {@link #metadata()} is
 * {@code model_index.json}; {@link #verify()} recomputes the CRC-32 of every entry and parses every safetensors
 * entry header. {@link #close()} marks the archive closed at once and unmaps it when no
 * {@linkplain #retain() lease} is held.
 */
public final class DdufFile implements Weights {
    /** Separates the entry name from the tensor name in {@link #tensorNames()}. */
    public static final String SEPARATOR = "::";

    private final SharedMapping mapping;
    /** The archive's bytes: mapped on first use for an owned mapping, else given. */
    private final java.util.function.Supplier<MemorySegment> segment;
    private final String displayName;
    private final Path path;
    private final Map<String, DdufEntry> entries;
    private final Map<String, Object> modelIndex;
    private final boolean zip64;
    /** The archive's open channel when the mapping is made on first use (entry headers are read through it). */
    private final java.nio.channels.FileChannel channel;
    private volatile Parsed parsed;
    private volatile Map<String, Tensor> tensors;

    private DdufFile(SharedMapping mapping, java.util.function.Supplier<MemorySegment> segment, String displayName,
                     Path path, boolean allowGguf, ZipSource source, java.nio.channels.FileChannel channel)
            throws IOException {
        this.mapping = mapping;
        this.segment = segment;
        this.channel = channel;
        this.displayName = displayName;
        this.path = path;
        DdufDirectory d = DdufDirectory.read(source, displayName, allowGguf, segment);
        Map<String, DdufEntry> map = LinkedHashMap.newLinkedHashMap(d.entries().size());
        for (DdufDirectory.Entry e : d.entries()) {
            map.put(e.name(), new DdufEntry(this, e.name(), e.offset(), e.length(), e.crc32()));
        }
        this.entries = Collections.unmodifiableMap(map);
        this.modelIndex = d.modelIndex();
        this.zip64 = d.isZip64();
    }

    /**
     * Validates a DDUF archive and maps it when entry bytes are first asked for. The directory, the local headers
     * and {@code model_index.json} are read by positional reads, so an open that only lists entries maps nothing
     * and its close skips the shared arena's handshake with every JVM thread. The result owns the mapping and keeps
     * the file open until it is closed (a later mapping is of the same file, even if the path is replaced): close
     * it.
     *
     * @param file the archive to open
     * @return the open archive
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws DdufCorruptedFileException        when it is not a valid DDUF archive
     */
    public static DdufFile open(Path file) throws IOException {
        return open(file, SharedMapping.owned(file.toString()));
    }

    /**
     * Validates a DDUF archive with {@link Weights#open(Path, OpenOptions)}'s options: mapped into the caller's
     * arena at once, or, when {@link OpenOptions#arena()} is null, into a file-owned shared arena on first use of
     * entry bytes, as {@link #open(Path)} does.
     *
     * @param file    the archive
     * @param options the options
     * @return the opened archive
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws DdufCorruptedFileException        when it is not a valid DDUF archive
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static DdufFile open(Path file, OpenOptions options) throws IOException {
        return open(file, options.arena() == null ? SharedMapping.owned(file.toString())
                : SharedMapping.external(file.toString(), options.arena()), options.allowGguf());
    }

    /**
     * {@link #open(Path, OpenOptions)} of the archive {@code probe} examined, with no arena given: takes the
     * probe's open channel, so the file is opened once. The channel is closed with the archive, or before this
     * method throws.
     */
    static DdufFile open(dev.weightmap.spi.Probe probe, OpenOptions options) throws IOException {
        Path file = probe.path();
        java.nio.channels.FileChannel ch = options.arena() == null ? probe.takeChannel() : null;
        if (ch == null) { // a caller's arena maps at open: the opener closes its channel
            return open(file, options);
        }
        SharedMapping m = SharedMapping.owned(file.toString());
        boolean allowGguf = options.allowGguf();
        OpenRead out = new OpenRead(m, file, allowGguf);
        try {
            m.adopt(file, probe.fileKey(), ch, probe.size(), out);
            return out.opened;
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    private static DdufFile open(Path file, SharedMapping m) throws IOException {
        return open(file, m, false);
    }

    private static DdufFile open(Path file, SharedMapping m, boolean allowGguf) throws IOException {
        OpenRead out = new OpenRead(m, file, allowGguf);
        try {
            if (m.owns()) { // the directory is read by positional reads: map when entry bytes are first asked for
                m.open(file, out);
            } else {
                m.map(file, out);
            }
            return out.opened;
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * Reads the archive's directory while its channel is open: for a mapping made on first use by positional
     * reads through the channel, else from the mapping. A named class rather than lambdas (see "Cold start" in
     * {@code docs/ARCHITECTURE.md}).
     */
    private static final class OpenRead implements SharedMapping.WhileOpenUnmapped, MappedFile.WhileOpen {
        private final SharedMapping mapping;
        private final Path file;
        private final boolean allowGguf;
        DdufFile opened;

        OpenRead(SharedMapping mapping, Path file, boolean allowGguf) {
            this.mapping = mapping;
            this.file = file;
            this.allowGguf = allowGguf;
        }

        @Override
        public void accept(SharedMapping.LazyFile f) throws IOException {
            opened = new DdufFile(mapping, f, file.toString(), file, allowGguf, ZipSource.of(f.channel()),
                    f.channel());
        }

        @Override
        public void accept(java.nio.channels.FileChannel ch, MemorySegment seg) throws IOException {
            opened = new DdufFile(mapping, new Fixed(seg), file.toString(), file, allowGguf, ZipSource.of(ch), null);
        }
    }

    /** A segment already made, as the supplier the reader takes. */
    private record Fixed(MemorySegment segment) implements java.util.function.Supplier<MemorySegment> {
        @Override
        public MemorySegment get() {
            return segment;
        }
    }

    /** An entry's bytes on demand (the entry maps the archive on its first {@link DdufEntry#segment()}). */
    private record EntryBytes(DdufEntry entry) implements java.util.function.Supplier<MemorySegment> {
        @Override
        public MemorySegment get() {
            return entry.segment();
        }
    }

    /**
     * Maps and validates a DDUF archive into the caller's {@code arena}: the mapping lives as long as the arena and
     * closing the result does not unmap it. With {@link Arena#ofConfined()} only the calling thread may read the
     * entries (and {@link #verify()} runs on it), but opening and unmapping are several times cheaper than with the
     * shared arena {@link #open(Path)} uses; one arena can also hold many archives.
     *
     * @param file the archive to open
     * @param arena the arena that owns the mapping
     * @return the open archive
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws DdufCorruptedFileException        when it is not a valid DDUF archive
     */
    public static DdufFile open(Path file, Arena arena) throws IOException {
        return open(file, SharedMapping.external(file.toString(), arena));
    }

    /**
     * Validates a DDUF archive held in any segment (which the result does not own); {@code displayName} is used in
     * messages.
     *
     * @param image the archive's bytes
     * @param displayName the name used in messages
     * @return the archive view over {@code image}
     * @throws DdufCorruptedFileException when it is not a valid DDUF archive
     */
    public static DdufFile parse(MemorySegment image, String displayName) {
        try {
            return new DdufFile(SharedMapping.none(displayName), () -> image, displayName, null, false,
                    ZipSource.of(image), null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a segment source never fails
        }
    }

    /**
     * Every entry, by name, in central-directory order.
     *
     * @return an unmodifiable map from entry name to entry
     */
    public Map<String, DdufEntry> entries() {
        mapping.ensureOpen();
        return entries;
    }

    /**
     * The parsed {@code model_index.json} object.
     *
     * @return the object as maps, lists, strings, numbers and booleans
     */
    public Map<String, Object> modelIndex() {
        mapping.ensureOpen();
        return modelIndex;
    }

    /**
     * The archive's bytes (the whole mapping).
     *
     * @return the mapping, read-only
     */
    public MemorySegment segment() {
        mapping.ensureOpen();
        return segment.get();
    }

    /** The file, or null for {@link #parse(MemorySegment, String)}. */
    public Path path() {
        return path;
    }

    /** The name used in messages (the path for {@link #open}). */
    public String displayName() {
        return displayName;
    }

    /**
     * Whether the archive has ZIP64 end records.
     *
     * @return true when the archive uses ZIP64 records
     */
    public boolean isZip64() {
        return zip64;
    }

    /**
     * Full validation beyond what opening checks: recomputes every entry's CRC-32 (in parallel, large entries split
     * into pieces of at most 64 MiB whose CRCs are combined) and parses
     * the header of every {@code .safetensors} entry.
     *
     * @return the report: {@code bytes} the entry data bytes checked, {@code checksums} the number of entries
     * @throws DdufCorruptedFileException naming the first entry (in archive order) that fails
     */
    @Override
    public VerifyReport verify() {
        return verify(null);
    }

    /**
     * As {@link #verify()}, reporting the entry bytes checksummed as pieces complete.
     *
     * @param progress receives byte counts from the CRC workers, or null
     * @return what was checked
     * @throws DdufCorruptedFileException on a CRC mismatch or an invalid safetensors entry
     */
    @Override
    public VerifyReport verify(java.util.function.LongConsumer progress) {
        try {
            return verifyEntries(progress);
        } catch (WeightmapException e) {
            throw e.inFile(displayName);
        }
    }

    private VerifyReport verifyEntries(java.util.function.LongConsumer progress) {
        mapping.ensureOpen();
        List<DdufEntry> list = new ArrayList<>(entries.values());
        int[] computed = Crc.crc32OfTensors(list.stream().map(DdufEntry::bytes).toList(),
                Runtime.getRuntime().availableProcessors(), progress);
        long total = 0;
        for (int i = 0; i < list.size(); i++) {
            DdufEntry e = list.get(i);
            total += e.length();
            if (Integer.toUnsignedLong(computed[i]) != e.crc32()) {
                throw new DdufCorruptedFileException(displayName + ": entry '" + e.name() + "': CRC-32 mismatch: stored "
                        + hex8(e.crc32()) + ", computed " + hex8(Integer.toUnsignedLong(computed[i])));
            }
        }
        for (DdufEntry e : list) {
            if (e.name().endsWith(".safetensors")) {
                try {
                    SafetensorsFile.parse(e.segment(), displayName + "::" + e.name());
                } catch (InternalError x) {
                    throw dev.weightmap.internal.io.FileStreamer.faulted(displayName, x);
                } catch (SafetensorsException x) {
                    throw new DdufCorruptedFileException(displayName + ": entry '" + e.name()
                            + "': invalid safetensors: " + x.getMessage(), x);
                }
            }
        }
        return new VerifyReport(DDUF, tensorNames().size(), 1, total, list.size(),
                List.of("CRC-32 of every entry matches", "every safetensors entry header is valid"));
    }

    static String hex8(long v) {
        String s = Long.toHexString(v & 0xFFFFFFFFL);
        return "0".repeat(8 - s.length()) + s;
    }

    /**
     * Marks the archive closed (library methods then throw {@link dev.weightmap.WeightsClosedException}) and
     * unmaps it, when {@link #open(Path)} mapped it, once no lease is held (segments handed out then become
     * inaccessible); idempotent. Unmaps nothing for {@link #open(Path, Arena)} and
     * {@link #parse(MemorySegment, String)}.
     */
    @Override
    public void close() {
        mapping.close();
    }

    // ---------------------------------------------------------------- Weights

    /** The safetensors entries' headers, parsed on first use (their bytes are not needed for this). */
    private record Parsed(Map<String, SafetensorsFile> files, List<String> names) {
    }

    private Parsed parsed() {
        try {
            return parsedOrThrow();
        } catch (WeightmapException e) {
            throw e.inFile(displayName);
        }
    }

    private Parsed parsedOrThrow() {
        mapping.ensureOpen();
        Parsed p = parsed;
        if (p == null) {
            synchronized (this) {
                p = parsed;
                if (p == null) {
                    p = parse();
                    parsed = p;
                }
            }
        }
        return p;
    }

    /** The region of the archive's mapping that {@code entry} (a slice of it) lies in, or null. */
    MappedRegion regionOf(MemorySegment entry) {
        return mapping.regionOf(entry);
    }

    /**
     * Parses every safetensors entry's header: by positional reads from the archive's channel when the archive is
     * mapped on first use (so listing tensors maps nothing), else from the mapping.
     */
    private Parsed parse() {
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (DdufEntry e : entries.values()) {
            if (!e.name().endsWith(".safetensors")) {
                continue;
            }
            SafetensorsFile st;
            try {
                st = channel == null ? e.openSafetensors() : SafetensorsFile.readAt(channel, e.offset(), e.length(),
                        new EntryBytes(e), displayName + "::" + e.name());
            } catch (SafetensorsException x) {
                throw new DdufCorruptedFileException(displayName + ": entry '" + e.name() + "': invalid safetensors: "
                        + x.getMessage(), x);
            } catch (IOException x) {
                mapping.ensureOpen(); // a close while reading closed the channel
                throw new WeightmapException(WeightmapException.Common.IO_ERROR, displayName + ": entry '" + e.name()
                        + "': cannot read its safetensors header: " + x.getMessage(), x);
            }
            files.put(e.name(), st);
            for (String t : st.tensorNames()) {
                names.add(e.name() + SEPARATOR + t);
            }
        }
        return new Parsed(Collections.unmodifiableMap(files), List.copyOf(names));
    }

    /** Every tensor by {@code entry::tensor} name, built (and the archive mapped) on first use. */
    private Map<String, Tensor> tensorMap() {
        Parsed p = parsed();
        Map<String, Tensor> m = tensors;
        if (m == null) {
            synchronized (this) {
                m = tensors;
                if (m == null) {
                    m = buildTensors(p);
                    tensors = m;
                }
            }
        }
        return m;
    }

    private Map<String, Tensor> buildTensors(Parsed p) {
        Map<String, Tensor> out = LinkedHashMap.newLinkedHashMap(p.names().size());
        try {
            for (Map.Entry<String, SafetensorsFile> f : p.files().entrySet()) {
                MappedRegion region = regionOf(entries.get(f.getKey()).segment()); // entries are the mapping's slices
                for (Map.Entry<String, Tensor> t : f.getValue().tensors().entrySet()) {
                    out.put(f.getKey() + SEPARATOR + t.getKey(), MappedTensors.mapped(t.getValue(), region));
                }
            }
        } catch (WeightmapException e) {
            throw e.inFile(displayName);
        }
        return Collections.unmodifiableMap(out);
    }

    /** Whether the archive's own mapping was made yet (an open that only lists entries or tensors makes none). */
    boolean hasMapping() {
        return mapping.hasArena();
    }

    /**
     * The safetensors view of every {@code .safetensors} entry, in central-directory order (parsed on first use).
     *
     * @return entry name to view
     * @throws DdufCorruptedFileException when an entry's safetensors header is invalid
     */
    public Map<String, SafetensorsFile> safetensorsEntries() {
        return parsed().files();
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "dduf"}
     */
    @Override
    public String format() {
        return DDUF;
    }

    /**
     * {@inheritDoc} {@code entry::tensor}, entries in central-directory order, tensors in each entry's data order.
     *
     * @return the names
     * @throws DdufCorruptedFileException when an entry's safetensors header is invalid
     */
    @Override
    public List<String> tensorNames() {
        return parsed().names();
    }

    /**
     * {@inheritDoc}
     *
     * @param name {@code entry::tensor}
     * @return the tensor, a slice of the archive's mapping
     * @throws DdufException when there is no such tensor ({@code TENSOR_NOT_FOUND}) or an entry's safetensors
     *                       header is invalid ({@code DDUF_CORRUPTED})
     */
    @Override
    public Tensor tensor(String name) {
        Tensor t = tensorMap().get(name);
        if (t == null) {
            throw new DdufException(DdufException.Reason.TENSOR_NOT_FOUND, displayName + ": tensor `"
                    + name + "` not found (tensors are named entry" + SEPARATOR + "tensor)", null)
                    .inFile(displayName);
        }
        return t;
    }

    /**
     * {@inheritDoc}
     *
     * @return the tensors by {@code entry::tensor} name
     */
    @Override
    public Map<String, Tensor> tensors() {
        return tensorMap();
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code model_index.json}
     */
    @Override
    public Map<String, Object> metadata() {
        return modelIndex();
    }

    /**
     * {@inheritDoc} Offsets are absolute in the archive (entry offset plus the tensor's offset in the entry);
     * the extra {@code entry} names the entry.
     *
     * @return the locations
     */
    @Override
    public List<TensorLocation> locations() {
        Parsed p = parsed();
        List<TensorLocation> out = new ArrayList<>(p.names().size());
        p.files().forEach((entry, st) -> {
            for (TensorLocation l : st.locations(path, entries.get(entry).offset())) {
                Map<String, Object> extras = new LinkedHashMap<>();
                extras.put("entry", entry);
                out.add(new TensorLocation(entry + SEPARATOR + l.name(), l.dtype(), l.shape(), path, l.offset(),
                        l.length(), l.alignment(), extras));
            }
        });
        return List.copyOf(out);
    }


    /**
     * {@inheritDoc}
     *
     * @return the lease
     */
    @Override
    public Lease retain() {
        return mapping.retain();
    }

    /**
     * {@inheritDoc}
     *
     * @return true while open
     */
    @Override
    public boolean isOpen() {
        return mapping.isOpen();
    }

    @Override
    public String toString() {
        return "DdufFile(" + displayName + ", " + entries.size() + " entries)";
    }
}
