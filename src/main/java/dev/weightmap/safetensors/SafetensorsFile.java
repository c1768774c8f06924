// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.OpenOptions;
import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.Weights;
import dev.weightmap.internal.collect.LazyList;
import dev.weightmap.internal.collect.LazyMap;
import dev.weightmap.internal.io.MappedFile;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened zero-copy: the file is memory-mapped and only its header is parsed (and fully
 * validated); every tensor is a view over its own byte range of the mapping.
 *
 * <p>Instances from {@link #open(Path)} own the mapping: opening reads and validates the header by positional
 * reads and keeps the file's channel open; the file is mapped (into a shared arena, readable from any thread) when
 * tensor bytes are first asked for ({@link #tensor}, {@link #tensors()}, {@link #segment()}; a header over 256 KiB
 * is copied from the mapping, so such a file is mapped at open). {@link #close()}
 * marks the file closed (library methods then throw {@link dev.weightmap.WeightsClosedException}) and unmaps it
 * once every {@linkplain #retain() lease} is released, after which any access to a tensor obtained from this file,
 * from any thread, throws {@link IllegalStateException}; a file never mapped only closes its channel, without the
 * shared arena's handshake with every JVM thread. A file that shrank between opening and the first use of its
 * bytes is reported with {@link dev.weightmap.WeightmapException.Common#FILE_CHANGED}. Instances from {@link #parse(MemorySegment, String)} view a caller's segment and
 * unmap nothing. Instances are safe for concurrent readers.
 *
 * <p>As {@link Weights}: format {@code safetensors}; {@link #tensorNames()} in data (offset) order;
 * {@link #metadata()} the {@code __metadata__} strings; {@link #verify()} reports the structure checked on open
 * (the format records no checksums).
 */
public final class SafetensorsFile implements Weights {
    private final SharedMapping mapping;
    private final Path path;
    /** The bytes when mapped at open (a caller's arena) or parsed; null when {@link #lazy} maps them. */
    private final MemorySegment segment;
    /** The file when it is mapped on first use of its bytes (a mapping this file owns); else null. */
    private final SharedMapping.LazyFile lazy;
    /** The bytes of an image inside a larger file, obtained on first use; else null. */
    private final java.util.function.Supplier<MemorySegment> deferred;
    private final long byteSize;
    private final String displayName;
    private final HeaderParser.Header header;
    private final long dataStart;
    private final Tensor[] tensors;
    private volatile List<String> sortedNames;

    private SafetensorsFile(SharedMapping mapping, MemorySegment segment, String displayName, HeaderParser.Header header,
                            Path path) {
        this(mapping, segment, null, null, segment.byteSize(), displayName, header, path);
    }

    private SafetensorsFile(SharedMapping mapping, MemorySegment segment, SharedMapping.LazyFile lazy,
                            java.util.function.Supplier<MemorySegment> deferred, long byteSize, String displayName,
                            HeaderParser.Header header, Path path) {
        this.mapping = mapping;
        this.path = path;
        this.segment = segment;
        this.lazy = lazy;
        this.deferred = deferred;
        this.byteSize = byteSize;
        this.displayName = displayName;
        this.header = header;
        this.dataStart = 8 + header.headerLength();
        this.tensors = new Tensor[header.names().size()];
    }

    /**
     * Maps {@code file} read-only and validates its header (limit 100,000,000 bytes).
     *
     * @param file the file to open
     * @return the open file; close it to unmap
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws SafetensorsException              when the file is not valid safetensors
     */
    public static SafetensorsFile open(Path file) throws IOException {
        return open(file, HeaderParser.DEFAULT_MAX_HEADER);
    }

    /**
     * Like {@link #open(Path)} with a custom limit on the header length.
     *
     * @param file the file to open
     * @param maxHeaderLength the largest header length N accepted, in bytes
     * @return the open file; close it to unmap
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws SafetensorsException              when the file is not valid safetensors or its header is longer
     *                                           than {@code maxHeaderLength}
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static SafetensorsFile open(Path file, long maxHeaderLength) throws IOException {
        return open(file, SharedMapping.owned(file.toString()), maxHeaderLength);
    }

    /**
     * Opens {@code file} with {@link Weights#open(Path, OpenOptions)}'s options: the header limit and the arena
     * ({@link OpenOptions#arena()}, or a file-owned shared arena when null).
     *
     * @param file    the file
     * @param options the options
     * @return the opened file
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws SafetensorsException              when the file is not valid safetensors
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static SafetensorsFile open(Path file, OpenOptions options) throws IOException {
        String name = file.toString();
        SharedMapping m = options.arena() == null ? SharedMapping.owned(name)
                : SharedMapping.external(name, options.arena());
        return open(file, m, options.maxHeaderBytes());
    }

    /**
     * {@link #open(Path, OpenOptions)} of the file {@code probe} examined, with no arena given: takes the probe's
     * open channel, and its head holds the length and the start of the header, so the file is opened once and
     * only the rest of the header is read. The channel is closed with this file, or before this method throws.
     */
    static SafetensorsFile open(dev.weightmap.spi.Probe probe, OpenOptions options) throws IOException {
        Path file = probe.path();
        java.nio.channels.FileChannel ch = options.arena() == null ? probe.takeChannel() : null;
        if (ch == null) { // a caller's arena maps at open: the opener closes its channel
            return open(file, options);
        }
        String name = file.toString();
        SharedMapping m = SharedMapping.owned(name);
        byte[] head = probe.head();
        long max = options.maxHeaderBytes();
        HeaderRead header = new HeaderRead(name, head, max);
        try {
            SharedMapping.LazyFile lazy = m.adopt(file, probe.fileKey(), ch, probe.size(), header);
            return new SafetensorsFile(m, null, lazy, null, lazy.size(), name, header.header, file);
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    private static SafetensorsFile open(Path file, SharedMapping m, long maxHeaderLength) throws IOException {
        String name = file.toString();
        HeaderRead header = new HeaderRead(name, null, maxHeaderLength);
        try {
            if (m.owns()) { // mapped when the bytes are first asked for: a header-only use maps nothing
                SharedMapping.LazyFile lazy = m.open(file, header);
                return new SafetensorsFile(m, null, lazy, null, lazy.size(), name, header.header, file);
            }
            MemorySegment seg = m.map(file, header);
            return new SafetensorsFile(m, seg, name, header.header, file);
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * Reads the header while the file's channel is open, by positional reads (the mapping is taken only where the
     * parser needs it). One named class for both callbacks rather than lambdas: opening a file links no lambda
     * (see "Cold start" in {@code docs/ARCHITECTURE.md}).
     */
    private static final class HeaderRead implements SharedMapping.WhileOpenUnmapped, MappedFile.WhileOpen {
        private final String name;
        private final byte[] head; // the probe's first bytes, or null
        private final long max;
        HeaderParser.Header header;

        HeaderRead(String name, byte[] head, long max) {
            this.name = name;
            this.head = head;
            this.max = max;
        }

        @Override
        public void accept(SharedMapping.LazyFile f) throws IOException {
            header = head == null ? HeaderParser.parse(f.channel(), f.size(), f, name, max)
                    : HeaderParser.parse(f.channel(), f.size(), head, f, name, max);
        }

        @Override
        public void accept(java.nio.channels.FileChannel channel, MemorySegment mapping) throws IOException {
            header = HeaderParser.parse(mapping, channel, name, max);
        }
    }

    /**
     * Maps {@code file} into the caller's {@code arena} and validates its header: the mapping lives as long as the
     * arena, and {@link #close()} does not unmap it. A confined arena makes opening and unmapping several times
     * cheaper than the shared arena of {@link #open(Path)} (whose close is a handshake with every thread), at the
     * price of single-thread access; one arena can also hold the files of a whole model.
     *
     * @param file the file to open
     * @param arena the arena that owns the mapping
     * @return the open file
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws SafetensorsException              when the file is not valid safetensors
     */
    public static SafetensorsFile open(Path file, java.lang.foreign.Arena arena) throws IOException {
        return open(file, SharedMapping.external(file.toString(), arena), HeaderParser.DEFAULT_MAX_HEADER);
    }

    /**
     * Parses a safetensors image held in any segment (a DDUF entry, a heap array, …). Tensors are views of
     * {@code image}; closing the returned object does not close it.
     *
     * @param image       the safetensors bytes
     * @param displayName used in error messages (for example the archive entry's name)
     * @return the parsed file, a view of {@code image}
     */
    public static SafetensorsFile parse(MemorySegment image, String displayName) {
        return parse(image, displayName, HeaderParser.DEFAULT_MAX_HEADER);
    }

    /**
     * A safetensors view of the {@code size}-byte image stored at {@code offset} in the file open as
     * {@code channel} (an entry of an archive), reading nothing else: the header is read by positional reads (a
     * header over 256 KiB is copied from {@code image} instead) with the limit of 100,000,000 header bytes, after its
     * length is checked against {@code size}. {@code image} supplies the image's bytes when tensor bytes are first
     * asked for. The view owns neither the channel nor the bytes: it is valid while both are.
     *
     * @param channel     the open file holding the image, read with positional reads only
     * @param offset      the image's offset in that file
     * @param size        the image's length in bytes
     * @param image       supplies the image's bytes ({@code size} of them) on first use
     * @param displayName the name used in messages
     * @return the view
     * @throws SafetensorsException when the header is invalid
     * @throws IOException          when the file cannot be read
     */
    public static SafetensorsFile readAt(java.nio.channels.FileChannel channel, long offset, long size,
                                         java.util.function.Supplier<MemorySegment> image, String displayName)
            throws IOException {
        if (offset < 0 || size < 0) {
            throw new IllegalArgumentException("offset and size must not be negative");
        }
        HeaderParser.Header h = HeaderParser.parseAt(channel, offset, size, image, displayName,
                HeaderParser.DEFAULT_MAX_HEADER);
        return new SafetensorsFile(SharedMapping.none(displayName), null, null, image, size, displayName, h, null);
    }

    /**
     * Like {@link #parse(MemorySegment, String)} with a custom limit on the header length.
     *
     * @param image the safetensors bytes
     * @param displayName used in error messages
     * @param maxHeaderLength the largest header length N accepted, in bytes
     * @return the parsed file, a view of {@code image}
     */
    public static SafetensorsFile parse(MemorySegment image, String displayName, long maxHeaderLength) {
        return new SafetensorsFile(SharedMapping.none(displayName), image, displayName,
                HeaderParser.parse(image, displayName, maxHeaderLength), null);
    }

    /**
     * Parses and validates a safetensors header given only the file's first bytes and its size, with the limit of
     * 100,000,000 header bytes: the tensor data need not be present. Every check of opening the whole file is
     * made, offsets checked against the data section {@code fileSize} implies.
     *
     * @param headerPrefix the file's first bytes: at least {@code 8 + N} (more are ignored)
     * @param fileSize     the size of the whole file
     * @param displayName  used in error messages
     * @return the header
     * @throws SafetensorsException when the header is invalid, or {@code INVALID_HEADER_LENGTH} when the prefix
     *                              is shorter than {@code 8 + N}
     */
    public static SafetensorsHeader parseHeader(MemorySegment headerPrefix, long fileSize, String displayName) {
        return parseHeader(headerPrefix, fileSize, displayName, HeaderParser.DEFAULT_MAX_HEADER);
    }

    /**
     * {@link #parseHeader(MemorySegment, long, String)} with a custom limit on the header length.
     *
     * @param headerPrefix    the file's first bytes: at least {@code 8 + N}
     * @param fileSize        the size of the whole file
     * @param displayName     used in error messages
     * @param maxHeaderLength the largest N accepted
     * @return the header
     * @throws SafetensorsException when the header is invalid or too long
     */
    public static SafetensorsHeader parseHeader(MemorySegment headerPrefix, long fileSize, String displayName,
                                                long maxHeaderLength) {
        HeaderParser.Header h = HeaderParser.parsePrefix(headerPrefix, fileSize, displayName, maxHeaderLength);
        return new SafetensorsHeader(h, fileSize, displayName);
    }

    /**
     * This file's header on its own: entries, metadata and parameter counts.
     *
     * @return the header (built on each call)
     */
    public SafetensorsHeader header() {
        mapping.ensureOpen();
        return new SafetensorsHeader(header, byteSize, displayName);
    }

    /** The file path or display name used in messages. */
    public String displayName() {
        return displayName;
    }

    /** The mapped file, or {@code null} for {@link #parse parsed} images. */
    public Path path() {
        return path;
    }

    /**
     * The whole file's bytes.
     *
     * @return the mapping (or the parsed image), read-only
     */
    public MemorySegment segment() {
        mapping.ensureOpen();
        return bytes();
    }

    /** The file's bytes, mapping them now when this file maps on first use. */
    private MemorySegment bytes() {
        return lazy != null ? lazy.segment() : deferred != null ? deferred.get() : segment;
    }

    /**
     * The header length N (the first 8 bytes), padding included.
     *
     * @return N, in bytes
     */
    public long headerLength() {
        return header.headerLength();
    }

    /**
     * Offset of the data section: {@code 8 + N}.
     *
     * @return the offset of the first data byte
     */
    public long dataStart() {
        return dataStart;
    }

    /** The {@code __metadata__} strings (empty when absent). */
    @Override
    public Map<String, String> metadata() {
        mapping.ensureOpen();
        return header.metadata();
    }

    /**
     * Tensor names in data (offset) order, as an immutable list. Opening a file builds no name Strings (looking a
     * tensor up builds only the names it probes). When the header bytes are on the heap (a header up to 256 KiB
     * read from a file, or a heap image), the list is a view that builds each name when it is first read, and
     * answers {@code contains} and {@code indexOf} through the header's name index; otherwise the first call of
     * this method builds every name from the mapping. Either way the call must come before {@link #close()}, and
     * the list stays valid after closing.
     *
     * @return the names, in data order
     * @throws IllegalStateException when first called after the file was closed
     */
    public List<String> names() {
        mapping.ensureOpen();
        List<String> l = nameList;
        if (l == null) {
            TensorNames n = header.names();
            l = n.onHeap() ? new NameList(n) : List.of(n.toArray());
            nameList = l;
        }
        return l;
    }

    /** An immutable view of the names of a header held on the heap: Strings are built on first read. */
    private static final class NameList extends java.util.AbstractList<String> implements java.util.RandomAccess {
        private final TensorNames names;

        NameList(TensorNames names) {
            this.names = names;
        }

        @Override
        public String get(int i) {
            java.util.Objects.checkIndex(i, names.size());
            return names.get(i);
        }

        @Override
        public int size() {
            return names.size();
        }

        @Override
        public int indexOf(Object o) {
            return o instanceof String s ? names.indexOf(s) : -1;
        }

        @Override
        public int lastIndexOf(Object o) {
            return indexOf(o); // names are unique
        }

        @Override
        public boolean contains(Object o) {
            return indexOf(o) >= 0;
        }
    }

    private volatile List<String> nameList;

    /**
     * Tensor names sorted lexicographically (as Python's {@code keys()}).
     *
     * @return the names, sorted
     */
    public List<String> sortedNames() {
        List<String> s = sortedNames;
        if (s == null) {
            String[] copy = names().toArray(new String[0]);
            // Python sorts by code point; String.compareTo compares UTF-16 units, which puts U+1F600 before U+FF01
            Arrays.sort(copy, (a, b) -> java.util.Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray()));
            s = List.of(copy);
            sortedNames = s;
        }
        return s;
    }

    /**
     * Number of tensors.
     *
     * @return the tensor count
     */
    public int size() {
        return header.names().size();
    }

    /** Whether a tensor of that name exists. */
    @Override
    public boolean contains(String name) {
        mapping.ensureOpen();
        return name != null && header.names().indexOf(name) >= 0;
    }

    private int indexOf(String name) {
        mapping.ensureOpen();
        int i = name == null ? -1 : header.names().indexOf(name);
        if (i < 0) {
            throw new SafetensorsException(Reason.TENSOR_NOT_FOUND, displayName + ": tensor `" + name + "` not found")
                    .inFile(displayName);
        }
        return i;
    }

    /**
     * The header entry of a tensor.
     *
     * @param name the tensor name
     * @return the entry
     * @throws SafetensorsException with reason TENSOR_NOT_FOUND when there is no such tensor
     */
    public TensorInfo info(String name) {
        int i = indexOf(name);
        return info(i);
    }

    private TensorInfo info(int i) {
        return new TensorInfo(header.names().get(i), header.dtypes()[i], header.shape(i),
                header.begins()[i], header.ends()[i]);
    }

    /**
     * Every header entry, in data order.
     *
     * @return the entries, in data order
     */
    public List<TensorInfo> infos() {
        mapping.ensureOpen();
        List<TensorInfo> out = new ArrayList<>(size());
        for (int i = 0; i < size(); i++) {
            out.add(info(i));
        }
        return out;
    }

    /**
     * The tensor {@code name}: a zero-copy view whose storage is exactly its byte range in the file.
     *
     * @throws SafetensorsException with reason TENSOR_NOT_FOUND
     */
    @Override
    public Tensor tensor(String name) {
        return tensor(indexOf(name));
    }

    private Tensor tensor(int i) {
        Tensor t = tensors[i];
        if (t == null) {
            long b = header.begins()[i];
            long e = header.ends()[i];
            MemorySegment bytes = bytes().asSlice(dataStart + b, e - b);
            t = MappedTensors.mapped(Tensor.of(bytes, header.dtypes()[i], header.shape(i)),
                    lazy != null ? lazy.region() : mapping.regionOf(bytes));
            tensors[i] = t;
        }
        return t;
    }

    /** All tensors as an unmodifiable map in data order (tensors are created on first access). */
    @Override
    public Map<String, Tensor> tensors() {
        mapping.ensureOpen();
        TensorNames names = header.names();
        return new LazyMap.Indexed<>(names.size()) {
            @Override
            protected String name(int i) {
                return names.get(i);
            }

            @Override
            protected int indexOf(String name) {
                return names.indexOf(name);
            }

            @Override
            protected Tensor value(int i) {
                return tensor(i);
            }
        };
    }

    /**
     * A zero-copy strided view of part of a tensor, with NumPy basic indexing: integers (negative ones count
     * from the end; out of range is an error), ranges with negative bounds clamped as in NumPy, positive steps,
     * and one ellipsis. More permissive than the Python reference, which rejects negative range bounds and does
     * not clamp.
     *
     * @param name the tensor name
     * @param indexes one index per leading dimension, at most one of them {@link SliceIndex#ellipsis()}
     * @return the view, sharing the file's bytes
     * @throws SafetensorsException with reason INVALID_SLICE (or MISALIGNED_SUBBYTE for sub-byte dtypes)
     */
    public Tensor slice(String name, SliceIndex... indexes) {
        return Slicing.slice(tensor(name), name, displayName, indexes);
    }

    /** Whether the file is open ({@link #close()} not yet called). */
    @Override
    public boolean isOpen() {
        return mapping.isOpen();
    }

    /**
     * Marks the file closed and unmaps it once no lease is held (nothing is unmapped for parsed images or a
     * caller's arena). Idempotent.
     */
    @Override
    public void close() {
        mapping.close();
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "safetensors"}
     */
    @Override
    public String format() {
        return SAFETENSORS;
    }

    /**
     * {@inheritDoc} Data (offset) order, as {@link #names()}.
     *
     * @return the names
     */
    @Override
    public List<String> tensorNames() {
        return names();
    }

    /**
     * {@inheritDoc} A safetensors file records no checksums: the report lists the structural checks made when the
     * file was opened (the header, every tensor's range, no gaps or overlaps).
     *
     * @return the report ({@code checksums} 0)
     */
    @Override
    public VerifyReport verify() {
        mapping.ensureOpen();
        return new VerifyReport(SAFETENSORS, size(), 1, byteSize, 0,
                List.of("header valid", "tensor ranges cover the data section without gaps or overlaps"));
    }

    /**
     * {@inheritDoc} Offsets are absolute in the file (for a parsed image: in the image).
     *
     * @return one location per tensor, in data order
     */
    @Override
    public List<TensorLocation> locations() {
        return locations(path, 0);
    }

    /**
     * The locations of every tensor when this image starts at {@code base} in {@code file} (a DDUF entry). Each
     * location is built when asked for (a million tensors need no million locations at once), so the list is
     * read while this file is open.
     *
     * @param file the file holding the image
     * @param base the image's offset in that file
     * @return one location per tensor, in data order, with no extras
     */
    public List<TensorLocation> locations(Path file, long base) {
        mapping.ensureOpen();
        int n = size();
        return new LazyList<>(size(), i -> { // built one at a time on each get
            TensorInfo t = info(i);
            long off = base + t.absoluteOffset(dataStart);
            return new TensorLocation(t.name(), t.dtype(), t.shape(), file, off, t.length(),
                    TensorLocation.alignmentOf(off), Map.of());
        });
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

    @Override
    public String toString() {
        return "SafetensorsFile[" + displayName + ", " + size() + " tensors]";
    }

    static String describe(DType d, long[] shape) {
        return d + " " + Arrays.toString(shape);
    }
}
