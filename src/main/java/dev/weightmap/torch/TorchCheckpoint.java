// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.OpenOptions;
import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.PickleMachine.StorageRef;
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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
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

    private static final int MAX_DEPTH = 1000;

    /** The pickled legacy magic number: LONG1 ({@code 0x8a}), 10 bytes, 0x1950a86a20f9469cfc6c little-endian. */
    private static final byte[] LEGACY_MAGIC_PICKLE = {(byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46,
        (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

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
    private final Map<TensorRef, String> storageKeys = new IdentityHashMap<>();
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
            tensorPaths = walk(rawRoot, displayName);
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
            tensorPaths = walk(rawRoot, displayName);
            storages = l.storages();
        } else {
            throw new TorchCheckpointException(Reason.NOT_A_CHECKPOINT, displayName
                    + ": not a PyTorch checkpoint (neither a zip archive nor a pickle stream)");
        }
        resolveTensors();
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
        TorchCheckpoint[] out = new TorchCheckpoint[1];
        try {
            m.map(file, (ch, seg) -> out[0] = new TorchCheckpoint(m, seg, file.toString(), file, ch));
            return out[0];
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
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
        if (head.length < 2 || (head[0] & 0xFF) != 0x80 || head[1] < 2 || head[1] > 5) {
            return false;
        }
        int at = 2;
        if (head.length > at && (head[at] & 0xFF) == 0x95) {
            at += 9; // FRAME and its 8-byte length (protocol 4 and later)
        }
        if (head.length < at + LEGACY_MAGIC_PICKLE.length) {
            return false;
        }
        for (int i = 0; i < LEGACY_MAGIC_PICKLE.length; i++) {
            if (head[at + i] != LEGACY_MAGIC_PICKLE[i]) {
                return false;
            }
        }
        return true;
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

    /** {@code numel × element size} of a storage, refused when it overflows. */
    static long storageBytes(StorageRef s, String name, String displayName) {
        try {
            return Math.multiplyExact(s.numel, (long) s.type.dtype().elementSize());
        } catch (ArithmeticException ex) {
            throw new TorchCheckpointException(Reason.STORAGE_SIZE_MISMATCH, displayName + ": storage '" + name
                    + "' of " + s.numel + " elements overflows");
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
    /** Most objects the walk of the object graph may visit (paths through shared objects count every time). */
    static final long MAX_VISITS = 1L << 24;

    /**
     * Every tensor path of the object graph with its flattened name. Objects the memo shares are walked once per
     * path, so the walk is bounded by {@link #MAX_VISITS}, {@link #MAX_TENSOR_PATHS} and
     * {@link #MAX_TENSOR_NAME_CHARS} (nested dicts sharing their children reach 2^59 paths from a few kB).
     */
    static List<Map.Entry<String, TensorRef>> walk(Object rootValue, String displayName) {
        List<Map.Entry<String, TensorRef>> out = new ArrayList<>();
        walk(rootValue, new StringBuilder(), 0, Collections.newSetFromMap(new IdentityHashMap<>()), out, new long[2],
                displayName);
        return out;
    }

    private static void walk(Object v, StringBuilder path, int depth, Set<Object> onPath,
                             List<Map.Entry<String, TensorRef>> out, long[] work, String displayName) {
        if (++work[0] > MAX_VISITS) {
            throw new TorchCheckpointException(Reason.LIMIT_EXCEEDED, displayName
                    + ": the object graph has too many paths (more than " + MAX_VISITS + " visits)");
        }
        if (depth > MAX_DEPTH) {
            throw new TorchCheckpointException(Reason.LIMIT_EXCEEDED, displayName + ": objects nested deeper than "
                    + MAX_DEPTH);
        }
        if (v instanceof TensorRef t) {
            work[1] += path.length();
            if (out.size() >= MAX_TENSOR_PATHS || work[1] > MAX_TENSOR_NAME_CHARS) {
                throw new TorchCheckpointException(Reason.LIMIT_EXCEEDED, displayName + ": the object graph"
                        + " flattens to more than " + (out.size() >= MAX_TENSOR_PATHS ? MAX_TENSOR_PATHS
                        + " tensor paths" : MAX_TENSOR_NAME_CHARS + " characters of tensor names")
                        + " (objects shared through the pickle memo count once per path)");
            }
            out.add(Map.entry(path.toString(), t));
            return;
        }
        if (!(v instanceof Map<?, ?>) && !(v instanceof List<?>)) {
            return;
        }
        if (!onPath.add(v)) {
            return; // a cycle
        }
        int mark = path.length();
        if (v instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                appendPart(path, mark, e.getKey() == null ? "None" : e.getKey(), displayName);
                walk(e.getValue(), path, depth + 1, onPath, out, work, displayName);
                path.setLength(mark);
            }
        } else {
            List<?> l = (List<?>) v;
            for (int i = 0; i < l.size(); i++) {
                appendPart(path, mark, (long) i, displayName);
                walk(l.get(i), path, depth + 1, onPath, out, work, displayName);
                path.setLength(mark);
            }
        }
        onPath.remove(v);
    }

    /**
     * Appends one path component: {@code /} first unless the path is still empty, booleans as Python prints them,
     * anything else (tuple keys included) as {@link String#valueOf} prints it. The length is checked before the
     * text is built: a tuple key repeating one memo-shared long string is short in the file, not in the name.
     */
    private static void appendPart(StringBuilder path, int mark, Object o, String displayName) {
        if (mark > 0) {
            path.append('/');
        }
        if ((long) path.length() + partLength(o, 0) > MAX_TENSOR_NAME_CHARS) {
            throw new TorchCheckpointException(Reason.LIMIT_EXCEEDED, displayName + ": a tensor path longer than "
                    + MAX_TENSOR_NAME_CHARS + " characters");
        }
        path.append(o instanceof Boolean b ? (b ? "True" : "False") : String.valueOf(o));
    }

    /** The length of {@link #appendPart}'s text for {@code o}, saturating at {@code Long.MAX_VALUE / 2}. */
    private static long partLength(Object o, int depth) {
        if (o instanceof Boolean b) {
            return b ? 4 : 5; // "True"/"False" (in tuple keys Java prints "true"/"false": the same lengths)
        }
        if (o instanceof String s) {
            return s.length();
        }
        if (o instanceof List<?> l) {
            long n = 2;
            for (int i = 0; i < l.size(); i++) {
                n += partLength(l.get(i), depth + 1) + (i > 0 ? 2 : 0);
                if (n > Long.MAX_VALUE / 4) {
                    return Long.MAX_VALUE / 2;
                }
            }
            return n;
        }
        return String.valueOf(o).length(); // numbers, None: short
    }

    private void resolveTensors() {
        Map<TensorRef, String> names = new IdentityHashMap<>();
        for (Map.Entry<String, TensorRef> e : tensorPaths) {
            names.putIfAbsent(e.getValue(), e.getKey());
        }
        Map<String, MemorySegment> segs = new HashMap<>();
        for (Storage s : storages.values()) {
            segs.put(s.key(), s.segment());
        }
        for (Map.Entry<String, TensorRef> e : tensorPaths) {
            TensorRef t = e.getValue();
            if (t.tensor == null) {
                t.tensor = build(t, names.get(t), segs);
            }
        }
    }

    /**
     * Checks the view of {@code t} against a storage of {@code capacity} elements: ranks agree, sizes, strides
     * and the offset are not negative, nothing overflows, and the last element lies inside the storage.
     *
     * @return the number of elements
     */
    static long checkView(TensorRef t, long capacity, String where) {
        StorageRef s = t.storage;
        if (t.dtype.dtype() == null) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED_DTYPE, where + ": dtype torch." + t.dtype.name()
                    + " is not supported");
        }
        long[] size = t.size;
        long[] stride = t.stride;
        if (size.length != stride.length) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": size " + Arrays.toString(size)
                    + " and stride " + Arrays.toString(stride) + " differ in rank");
        }
        if (t.storageOffset < 0) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": negative storage offset "
                    + t.storageOffset);
        }
        long numel = 1;
        long last = t.storageOffset;
        try {
            for (int i = 0; i < size.length; i++) {
                if (size[i] < 0) {
                    throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": negative size in "
                            + Arrays.toString(size));
                }
                if (stride[i] < 0) {
                    throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": negative stride in "
                            + Arrays.toString(stride));
                }
                numel = Math.multiplyExact(numel, size[i]);
                if (size[i] > 0) {
                    last = Math.addExact(last, Math.multiplyExact(size[i] - 1, stride[i]));
                }
            }
        } catch (ArithmeticException ex) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": size " + Arrays.toString(size)
                    + " with stride " + Arrays.toString(stride) + " overflows");
        }
        if (numel > 0 && last >= capacity) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": view (offset " + t.storageOffset
                    + ", size " + Arrays.toString(size) + ", stride " + Arrays.toString(stride)
                    + ") reaches element " + last + " but storage '" + s.key + "' holds " + capacity + " elements of torch."
                    + t.dtype.name());
        }
        return numel;
    }

    private Tensor build(TensorRef t, String name, Map<String, MemorySegment> segs) {
        String where = displayName + ": tensor '" + name + "'";
        StorageRef s = t.storage;
        MemorySegment seg;
        String key = s.rootKey != null ? s.rootKey : s.key;
        MemorySegment rootSeg = segs.get(key);
        if (s.rootKey != null) {
            int es = s.type.dtype().elementSize();
            seg = rootSeg.asSlice(s.viewOffset * es, s.numel * es);
        } else {
            seg = rootSeg;
        }
        storageKeys.put(t, key);
        long numel = checkView(t, seg.byteSize() / t.dtype.elementSize(), where);
        long[] size = t.size;
        long[] stride = t.stride;
        try {
            if (t.dtype.fp4x2()) {
                if (numel > 0 && !Arrays.equals(stride, Tensor.contiguousStrides(size))) {
                    throw new TorchCheckpointException(Reason.UNSUPPORTED, where
                            + ": non-contiguous float4_e2m1fn_x2 tensors are not supported");
                }
                long[] f4 = size.length == 0 ? new long[] {2} : size.clone();
                if (size.length > 0) {
                    f4[f4.length - 1] = Math.multiplyExact(f4[f4.length - 1], 2L);
                }
                return dev.weightmap.internal.tensor.MappedTensors.mapped(Tensor.of(seg, DType.F4, f4,
                        Tensor.contiguousStrides(f4), Math.multiplyExact(t.storageOffset, 2L)), mapping.regionOf(seg));
            }
            return dev.weightmap.internal.tensor.MappedTensors.mapped(
                    Tensor.of(seg, t.dtype.dtype(), size, stride, t.storageOffset), mapping.regionOf(seg));
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": " + ex.getMessage(), ex);
        }
    }

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
            root = convert(rawRoot, new IdentityHashMap<>(), 0, displayName);
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
        return a == null ? Map.of() : (Map<Object, Object>) convert(a, new IdentityHashMap<>(), 0, displayName);
    }

    static Object convert(Object v, Map<Object, Object> done, int depth, String displayName) {
        if (depth > MAX_DEPTH) {
            throw new TorchCheckpointException(Reason.LIMIT_EXCEEDED, displayName + ": objects nested deeper than "
                    + MAX_DEPTH);
        }
        if (v instanceof TensorRef t) {
            return t.tensor;
        }
        if (v instanceof PickleMachine.StorageRef || v instanceof PickleMachine.Global) {
            return String.valueOf(v);
        }
        if (!(v instanceof Map<?, ?>) && !(v instanceof List<?>) && !(v instanceof Set<?>)) {
            return v;
        }
        Object d = done.get(v);
        if (d != null) {
            return d;
        }
        if (v instanceof PyDict m) {
            PyDict out = new PyDict(); // keys were checked once: same canonical keys, same order
            done.put(v, out);
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.putKey(e.getKey(), convert(e.getValue(), done, depth + 1, displayName));
            }
            return out;
        }
        if (v instanceof Set<?> s) {
            done.put(v, s); // a PySet: read-only, holding only scalars and tuples
            return s;
        }
        List<?> l = (List<?>) v;
        List<Object> out = new ArrayList<>(l.size());
        List<Object> view = Collections.unmodifiableList(out);
        done.put(v, view);
        for (Object o : l) {
            out.add(convert(o, done, depth + 1, displayName));
        }
        return view;
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
            Map<String, TensorEntry> out = new LinkedHashMap<>();
            for (Map.Entry<String, TensorRef> e : tensorPaths) {
                String name = e.getKey();
                TensorRef t = e.getValue();
                String key = storageKeys.get(t);
                Storage s = storages.get(key);
                long base = s.dataOffset() + (t.storage.rootKey != null ? t.storage.viewOffset * s.elementSize() : 0);
                TensorEntry te = new TensorEntry(name, t.tensor, "torch." + t.dtype.name(), key, t.parameter,
                        t.requiresGrad, base + t.tensor.dataStartByte());
                if (out.put(name, te) != null) {
                    throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName + ": two tensors flatten to the name '"
                            + name + "'");
                }
            }
            entries = Collections.unmodifiableMap(out);
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
                    .mapped(Tensor.of(rec, DType.U8, rec.byteSize()), mapping.regionOf(rec))), 1, null)[0];
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
        return new LazyList<>(es.size(), i -> location(es.get(i))); // one location at a time: 200,000 tensors fit
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

    /** An immutable random-access list whose elements are built on each {@code get}. */
    private static final class LazyList<T> extends java.util.AbstractList<T> implements java.util.RandomAccess {
        private final int size;
        private final java.util.function.IntFunction<T> element;

        LazyList(int size, java.util.function.IntFunction<T> element) {
            this.size = size;
            this.element = element;
        }

        @Override
        public T get(int index) {
            java.util.Objects.checkIndex(index, size);
            return element.apply(index);
        }

        @Override
        public int size() {
            return size;
        }
    }

    /**
     * {@inheritDoc}
     *
     * @return the file, or an empty list for a parsed image
     */
    @Override
    public List<Path> files() {
        return path == null ? List.of() : List.of(path);
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
