// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.OpenOptions;
import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.internal.collect.LazyList;
import dev.weightmap.internal.io.MappedFile;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.PickleMachine.TensorRef;
import dev.weightmap.torch.TorchCheckpointException.Reason;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A PyTorch checkpoint ({@code torch.save} output: {@code .bin}, {@code .pt}, {@code .pth}, {@code .ckpt}) read
 * safely and zero-copy.
 *
 * <p>Both the zip format (torch ≥ 1.6) and the legacy pre-1.6 pickle stream are read. The pickle is run by a
 * restricted machine that knows only the data opcodes and torch's {@code weights_only} allowlist of globals;
 * nothing from the file is ever executed, and anything else is refused with
 * {@link TorchCheckpointException.Reason#FORBIDDEN_GLOBAL} before any object is built. Every tensor is a strided
 * view over the slice of the mapping holding its storage; tensors on one storage share one storage segment, so
 * {@link dev.weightmap.tensor.StorageAliasing} sees tied weights.
 *
 * <p>Checks torch skips when memory-mapping are made here: a storage record holds exactly
 * {@code numel × element size} bytes, every view lies inside its storage, strides and offsets are non-negative
 * and shape and stride have the same rank. Big-endian checkpoints are refused (no silent copy).
 *
 * <pre>{@code
 * try (TorchCheckpoint ckpt = TorchCheckpoint.open(Path.of("pytorch_model.bin"))) {
 *     Tensor w = ckpt.stateDict().get("embed.weight");
 * }
 * }</pre>
 *
 * <p>As {@link Weights}: format {@code torch}; {@link #tensorNames()} as {@link #entries()} (pickle order);
 * {@link #metadata()} the root dict's attributes ({@link #rootAttributes()}, keys as strings); {@link #verify()}
 * checks the record CRC-32s. {@link #close()} marks the checkpoint closed at once and unmaps it when no
 * {@linkplain #retain() lease} is held.
 */
public final class TorchCheckpoint implements Weights {

    /** The container format. */
    public enum Format {
        /** The zip format of torch ≥ 1.6 ({@code <prefix>/data.pkl}, {@code <prefix>/data/<key>}). */
        ZIP,
        /** The pre-1.6 raw pickle stream ({@code _use_new_zipfile_serialization=False}). */
        LEGACY
    }

    /**
     * One storage.
     *
     * @param key         the storage key (the record {@code data/<key>} in the zip format)
     * @param storageType the pickled storage class, e.g. {@code torch.FloatStorage}, {@code torch.storage.UntypedStorage}
     * @param location    the device it was saved from ({@code cpu}, {@code cuda:0}; informational)
     * @param numel       elements of the storage class (bytes for an untyped storage)
     * @param elementSize bytes per element of the storage class
     * @param record      the zip record name, or {@code null} for the legacy format
     * @param dataOffset  absolute file offset of the storage's first byte
     * @param segment     the zero-copy slice of the mapping holding the storage
     */
    public record Storage(String key, String storageType, String location, long numel, int elementSize,
                          String record, long dataOffset, MemorySegment segment) {
    }

    /**
     * One tensor of the checkpoint.
     *
     * @param name         its path in the object graph, keys and indices joined with {@code /}
     * @param tensor       the zero-copy view
     * @param torchDtype   torch's dtype name, e.g. {@code torch.float8_e4m3fn}
     * @param storageKey   the storage it views
     * @param parameter    whether it was pickled as an {@code nn.Parameter}
     * @param requiresGrad the pickled {@code requires_grad} flag
     * @param fileOffset   absolute file offset of the tensor's first element
     */
    public record TensorEntry(String name, Tensor tensor, String torchDtype, String storageKey, boolean parameter,
                              boolean requiresGrad, long fileOffset) {
    }

    /**
     * One zip record.
     *
     * @param name       the full record name, prefix included
     * @param dataOffset absolute file offset of its data
     * @param length     bytes
     * @param crc32      the CRC-32 the central directory records (0 when torch wrote none)
     */
    public record Record(String name, long dataOffset, long length, int crc32) {
    }

    private final SharedMapping mapping;
    private final MemorySegment image;
    private final String displayName;
    private final Path path;
    private final Format format;
    private final String prefix;
    private final int version;
    private final List<Record> records;
    private final Map<String, Storage> storages;
    private final Object rawRoot;
    private final Map<Object, Object> attributes;
    private final List<Map.Entry<String, TensorRef>> tensorPaths;
    private final Map<TensorRef, String> storageKeys;
    private Object root;
    private Map<String, TensorEntry> entries;
    private volatile List<String> names;
    private volatile Map<String, Tensor> stateDict;

    private TorchCheckpoint(SharedMapping mapping, MemorySegment image, String displayName, Path path,
                            FileChannel headers) throws IOException {
        this.mapping = mapping;
        this.image = image;
        this.displayName = displayName;
        this.path = path;
        long size = image.byteSize();
        if (size >= 8 && image.asSlice(0, 8).mismatch(MemorySegment.ofArray("PYTORCH1".getBytes(StandardCharsets.US_ASCII))) == -1) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName
                    + ": PYTORCH1 preview archive format is not supported");
        }
        if (size >= 4 && image.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0) == 0x04034b50) {
            format = Format.ZIP;
            TorchZipContainer.Zip z = new TorchZipContainer(image, displayName).readZip(headers);
            prefix = z.prefix();
            version = z.version();
            records = z.records();
            rawRoot = z.result().value();
            attributes = z.result().attributes();
            tensorPaths = TorchViews.walk(rawRoot, displayName);
            storages = new TorchZipContainer(image, displayName).resolveStorages(z.result(), z.recordMap(), prefix);
        } else if (size >= 262 && image.asSlice(257, 5).mismatch(MemorySegment.ofArray("ustar".getBytes(StandardCharsets.US_ASCII))) == -1) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName
                    + ": the pre-0.4 tar checkpoint format is not supported");
        } else if (size >= 2 && (image.get(ValueLayout.JAVA_BYTE, 0) & 0xFF) == 0x80) {
            format = Format.LEGACY;
            prefix = null;
            version = 1001;
            records = List.of();
            TorchLegacyContainer.Legacy l = new TorchLegacyContainer(image, displayName).readLegacy();
            rawRoot = l.main().value();
            attributes = l.main().attributes();
            tensorPaths = TorchViews.walk(rawRoot, displayName);
            storages = l.storages();
        } else {
            throw new TorchCheckpointException(Reason.NOT_A_CHECKPOINT, displayName
                    + ": not a PyTorch checkpoint (neither a zip archive nor a pickle stream)");
        }
        storageKeys = TorchViews.resolve(tensorPaths, storages, displayName, new Regions(mapping));
    }

    /**
     * Maps and reads a checkpoint; the returned object owns the mapping.
     *
     * @param file the checkpoint file
     * @return the checkpoint; close it to unmap
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws TorchCheckpointException          when the file is invalid, unsafe or unsupported
     */
    public static TorchCheckpoint open(Path file) throws IOException {
        return open(file, SharedMapping.owned(file.toString()));
    }

    /**
     * Maps and reads a checkpoint into the caller's {@code arena}: the mapping lives as long as the arena, and
     * {@link #close()} does not unmap it (it only marks the checkpoint closed).
     *
     * @param file  the checkpoint
     * @param arena the caller's arena
     * @return the checkpoint
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws TorchCheckpointException          when the file is invalid, unsafe or unsupported
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static TorchCheckpoint open(Path file, Arena arena) throws IOException {
        return open(file, SharedMapping.external(file.toString(), arena));
    }

    /**
     * Maps and reads a checkpoint with {@link Weights#open(Path, OpenOptions)}'s options (the arena; a
     * checkpoint-owned shared arena when {@link OpenOptions#arena()} is null).
     *
     * @param file    the checkpoint
     * @param options the options
     * @return the checkpoint
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws TorchCheckpointException          when the file is invalid, unsafe or unsupported
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static TorchCheckpoint open(Path file, OpenOptions options) throws IOException {
        return options.arena() == null ? open(file) : open(file, options.arena());
    }

    private static TorchCheckpoint open(Path file, SharedMapping m) throws IOException {
        OpenRead out = new OpenRead(m, file);
        try {
            m.map(file, out);
            return out.opened;
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * Reads the checkpoint while the file's channel is open. Named classes here and in {@link Regions} rather than
     * lambdas: opening a file links none (see "Cold start" in {@code docs/ARCHITECTURE.md}).
     */
    private static final class OpenRead implements MappedFile.WhileOpen {
        private final SharedMapping mapping;
        private final Path file;
        TorchCheckpoint opened;

        OpenRead(SharedMapping mapping, Path file) {
            this.mapping = mapping;
            this.file = file;
        }

        @Override
        public void accept(FileChannel ch, MemorySegment seg) throws IOException {
            opened = new TorchCheckpoint(mapping, seg, file.toString(), file, ch);
        }
    }

    /** The file region of a segment of this checkpoint's mapping. */
    private record Regions(SharedMapping mapping) implements java.util.function.Function<MemorySegment, MappedRegion> {
        @Override
        public MappedRegion apply(MemorySegment segment) {
            return mapping.regionOf(segment);
        }
    }

    /**
     * Whether {@code head} (a file's first bytes) starts like a legacy checkpoint: a pickle protocol opcode
     * (2 to 5, with an optional FRAME) and the pickled legacy magic number.
     *
     * @param head the first bytes (at least 14 are needed)
     * @return true when they match
     */
    public static boolean looksLegacy(byte[] head) {
        return TorchLegacyContainer.looksLegacy(head);
    }

    /**
     * Reads a checkpoint held in {@code image} (not owned: closing does not release it).
     *
     * @param image the checkpoint's bytes
     * @param displayName the name used in messages
     * @return the checkpoint, a view of {@code image}
     */
    public static TorchCheckpoint parse(MemorySegment image, String displayName) {
        try {
            return new TorchCheckpoint(SharedMapping.none(displayName), image, displayName, null, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no channel: cannot happen
        }
    }


    // ---------------------------------------------------------------- tensors

    /** Most tensor paths a checkpoint may flatten to (tied weights count once per path). */
    public static final int MAX_TENSOR_PATHS = 1 << 21;
    /**
     * Most characters all flattened tensor names may hold together (the names are built while walking, so this
     * bounds their memory; a state dict of 200,000 tensors with 100-character names needs 60 % of it).
     */
    public static final long MAX_TENSOR_NAME_CHARS = 1L << 25;


    // ---------------------------------------------------------------- accessors

    /**
     * The container format (zip or legacy). Named {@code format()} before {@link Weights#format()} took the name.
     *
     * @return the container
     */
    public Format container() {
        return format;
    }

    /**
     * The byte order of the tensor data (always little-endian: big-endian checkpoints are refused).
     *
     * @return {@link ByteOrder#LITTLE_ENDIAN}
     */
    public ByteOrder byteOrder() {
        return ByteOrder.LITTLE_ENDIAN;
    }

    /**
     * The zip archive's top folder ({@code archive} or the saved file's stem), or null for the legacy format.
     *
     * @return the folder name, or null
     */
    public String zipPrefix() {
        return prefix;
    }

    /**
     * The {@code version} record (3 for {@code torch.save}), or 1001 (the protocol version) for the legacy format.
     *
     * @return the version
     */
    public int version() {
        return version;
    }

    /**
     * The zip records in central-directory order (empty for the legacy format).
     *
     * @return the records
     */
    public List<Record> records() {
        mapping.ensureOpen();
        return records;
    }

    /**
     * Storages by key, in the order the pickle first names them.
     *
     * @return the storages
     */
    public Map<String, Storage> storages() {
        mapping.ensureOpen();
        return storages;
    }

    /** The name used in messages (the path for {@link #open}). */
    public String displayName() {
        return displayName;
    }

    /** The file, or null for {@link #parse}. */
    public Path path() {
        return path;
    }

    /**
     * The whole file image.
     *
     * @return the image, read-only
     */
    public MemorySegment segment() {
        mapping.ensureOpen();
        return image;
    }

    /**
     * The unpickled object as plain Java values: {@link Map} (dict/OrderedDict, insertion order), {@link List}
     * (lists mutable copies aside, tuples unmodifiable), {@link Long} or {@link java.math.BigInteger}, {@link Double},
     * {@link String}, {@code byte[]}, {@link Boolean}, {@link Set}, null and {@link Tensor}. Objects the pickle
     * shares stay shared.
     *
     * @return the root object
     */
    public synchronized Object root() {
        mapping.ensureOpen();
        if (root == null && rawRoot != null) {
            root = TorchViews.convert(rawRoot, new IdentityHashMap<>(), 0, displayName);
        }
        return root;
    }

    /**
     * Attributes set by a pickle BUILD on the root dict (e.g. {@code _metadata} of {@code state_dict()}), or an
     * empty map.
     *
     * @return the attributes
     */
    @SuppressWarnings("unchecked")
    public Map<Object, Object> rootAttributes() {
        mapping.ensureOpen();
        Object a = attributes.get(rawRoot);
        return a == null ? Map.of() : (Map<Object, Object>) TorchViews.convert(a, new IdentityHashMap<>(), 0, displayName);
    }


    /**
     * Every tensor of the object graph by name, in pickle order: the keys of the root dict, or paths of keys and
     * indices joined with {@code /} for nested checkpoints ({@code optimizer/state/0/exp_avg}). A tensor reached
     * by several paths (tied weights) appears under each of them.
     *
     * @return the tensor entries by name
     * @throws TorchCheckpointException (UNSUPPORTED) when two paths flatten to the same name
     */
    public synchronized Map<String, TensorEntry> entries() {
        mapping.ensureOpen();
        if (entries == null) {
            entries = TorchViews.entries(tensorPaths, storageKeys, storages, displayName);
        }
        return entries;
    }

    /**
     * The tensors by name (see {@link #entries()} for the naming rule).
     *
     * @return the tensors by name
     */
    public Map<String, Tensor> stateDict() {
        mapping.ensureOpen();
        Map<String, Tensor> sd = stateDict;
        if (sd == null) {
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (TensorEntry e : entries().values()) {
                out.put(e.name(), e.tensor());
            }
            sd = Collections.unmodifiableMap(out);
            stateDict = sd;
        }
        return sd;
    }

    /**
     * One tensor by name.
     *
     * @throws TorchCheckpointException (TENSOR_NOT_FOUND) when there is none
     */
    @Override
    public Tensor tensor(String name) {
        Tensor t = stateDict().get(name);
        if (t != null) {
            return t;
        }
        TensorEntry e = entries().get(name);
        if (e == null) {
            throw new TorchCheckpointException(Reason.TENSOR_NOT_FOUND, displayName + ": no tensor named '" + name + "'")
                    .inFile(displayName);
        }
        return e.tensor();
    }

    /**
     * Full validation beyond what {@link #open} checks: the CRC-32 of every zip record that records one (torch can
     * write zeros, which are skipped; CRCs are never enforced on open).
     *
     * @return the report; {@code checksums} is the number of records whose CRC-32 was checked
     * @throws TorchCheckpointException (CORRUPT_ARCHIVE) naming the first record whose bytes do not match
     */
    @Override
    public VerifyReport verify() {
        return verify(null);
    }

    /**
     * As {@link #verify()}, reporting the record bytes checksummed, one record at a time.
     *
     * @param progress receives byte counts, or null
     * @return what was checked
     * @throws TorchCheckpointException {@code CORRUPT_ARCHIVE} on a CRC mismatch
     */
    @Override
    public VerifyReport verify(java.util.function.LongConsumer progress) {
        try {
            return verifyRecords(progress);
        } catch (WeightmapException e) {
            throw e.inFile(displayName);
        }
    }

    private VerifyReport verifyRecords(java.util.function.LongConsumer progress) {
        mapping.ensureOpen();
        int checked = 0;
        for (Record r : records) {
            if (r.crc32() == 0) {
                continue;
            }
            // Crc reads a mapping chunk by chunk into a private buffer: a truncated file fails FILE_CHANGED
            MemorySegment rec = image.asSlice(r.dataOffset(), r.length());
            int crc = dev.weightmap.checksum.Crc.crc32OfTensors(List.of(dev.weightmap.internal.tensor.MappedTensors
                    .mapped(Tensor.of(rec, dev.weightmap.tensor.DType.U8, rec.byteSize()), mapping.regionOf(rec))), 1, null)[0];
            if (crc != r.crc32()) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": record '" + r.name()
                        + "': CRC-32 " + String.format("%08x", crc) + " does not match the recorded "
                        + String.format("%08x", r.crc32()));
            }
            if (progress != null) {
                progress.accept(r.length());
            }
            checked++;
        }
        List<String> checks = format == Format.ZIP
                ? List.of("pickle and storages valid", "CRC-32 of every record that records one matches")
                : List.of("pickle and storages valid (the legacy format records no checksums)");
        return new VerifyReport(TORCH, entries().size(), 1, image.byteSize(), checked, checks);
    }

    /**
     * Marks the checkpoint closed (library methods then throw {@link dev.weightmap.WeightsClosedException}) and,
     * when {@link #open(Path)} mapped it, unmaps it once no lease is held; afterwards tensor accesses throw
     * IllegalStateException. Idempotent.
     */
    @Override
    public void close() {
        mapping.close();
    }

    // ---------------------------------------------------------------- Weights

    /**
     * {@inheritDoc}
     *
     * @return {@code "torch"}
     */
    @Override
    public String format() {
        return TORCH;
    }

    /**
     * {@inheritDoc} Pickle order, as {@link #entries()}.
     *
     * @return the names
     */
    @Override
    public List<String> tensorNames() {
        mapping.ensureOpen();
        List<String> n = names;
        if (n == null) {
            n = List.copyOf(entries().keySet());
            names = n;
        }
        return n;
    }

    /**
     * {@inheritDoc}
     *
     * @return {@link #stateDict()}
     */
    @Override
    public Map<String, Tensor> tensors() {
        return stateDict();
    }

    /**
     * {@inheritDoc} The root dict's attributes ({@link #rootAttributes()}, for example {@code _metadata}), keys
     * turned into strings.
     *
     * @return the attributes (empty when the pickle set none)
     */
    @Override
    public Map<String, Object> metadata() {
        Map<String, Object> out = new LinkedHashMap<>();
        rootAttributes().forEach((k, v) -> out.put(String.valueOf(k), v));
        return Collections.unmodifiableMap(out);
    }

    /**
     * {@inheritDoc} Offsets are absolute in the file ({@link TensorEntry#fileOffset()}); extras
     * {@code torch_dtype}, {@code stride}, {@code storage_offset}, {@code storage}, {@code contiguous} and
     * {@code parameter} (only when true).
     *
     * @return the locations
     */
    @Override
    public List<TensorLocation> locations() {
        List<TensorEntry> es = List.copyOf(entries().values());
        return new LazyList<>(es.size(), i -> location(es.get(i))); // one at a time: 200,000 tensors fit
    }

    private TensorLocation location(TensorEntry t) {
        Tensor x = t.tensor();
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("torch_dtype", t.torchDtype());
        extras.put("stride", x.strides());
        extras.put("storage_offset", x.storageOffset());
        extras.put("storage", t.storageKey());
        extras.put("contiguous", x.isContiguous());
        if (t.parameter()) {
            extras.put("parameter", true);
        }
        return new TensorLocation(t.name(), x.dtype(), x.shape(), path, t.fileOffset(), x.byteLength(),
                TensorLocation.alignmentOf(t.fileOffset()), extras);
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
}
