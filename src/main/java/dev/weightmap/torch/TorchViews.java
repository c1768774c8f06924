// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.PickleMachine.StorageRef;
import dev.weightmap.torch.PickleMachine.TensorRef;
import dev.weightmap.torch.TorchCheckpoint.Storage;
import dev.weightmap.torch.TorchCheckpoint.TensorEntry;
import dev.weightmap.torch.TorchCheckpointException.Reason;

import static dev.weightmap.torch.TorchCheckpoint.MAX_TENSOR_NAME_CHARS;
import static dev.weightmap.torch.TorchCheckpoint.MAX_TENSOR_PATHS;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Building the views of a checkpoint from its unpickled object graph: the tensor paths and their flattened names
 * ({@link #walk}), each tensor's strided view over its storage, checked against it ({@link #checkView},
 * {@link #resolve}), the tensor entries with their file offsets ({@link #entries}), and the object graph as plain
 * Java values ({@link #convert}). The containers ({@link TorchZipContainer}, {@link TorchLegacyContainer}) supply
 * the storages; {@link TorchCheckpoint} holds the result.
 */
final class TorchViews {
    /** Deepest nesting of objects walked or converted. */
    static final int MAX_DEPTH = 1000;

    /** Most objects the walk of the object graph may visit (paths through shared objects count every time). */
    static final long MAX_VISITS = 1L << 24;

    /**
     * Every tensor path of the object graph with its flattened name. Objects the memo shares are walked once per
     * path, so the walk is bounded by {@link #MAX_VISITS}, {@link TorchCheckpoint#MAX_TENSOR_PATHS} and
     * {@link TorchCheckpoint#MAX_TENSOR_NAME_CHARS} (nested dicts sharing their children reach 2^59 paths from a few kB).
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

    /** {@code numel × element size} of a storage, refused when it overflows. */
    static long storageBytes(StorageRef s, String name, String displayName) {
        try {
            return Math.multiplyExact(s.numel, (long) s.type.dtype().elementSize());
        } catch (ArithmeticException ex) {
            throw new TorchCheckpointException(Reason.STORAGE_SIZE_MISMATCH, displayName + ": storage '" + name
                    + "' of " + s.numel + " elements overflows");
        }
    }

    /**
     * Builds the view of every tensor reached by {@code tensorPaths} over the segments of {@code storages} (a
     * tensor reached by several paths is built once, named after its first path in messages).
     *
     * @param regionOf the file region of a storage segment (null when it is no file's mapping)
     * @return the key of the storage each tensor views (the root storage of a storage view)
     */
    static Map<TensorRef, String> resolve(List<Map.Entry<String, TensorRef>> tensorPaths,
                                          Map<String, Storage> storages, String displayName,
                                          Function<MemorySegment, MappedRegion> regionOf) {
        Map<TensorRef, String> names = new IdentityHashMap<>();
        for (Map.Entry<String, TensorRef> e : tensorPaths) {
            names.putIfAbsent(e.getValue(), e.getKey());
        }
        Map<String, MemorySegment> segs = new HashMap<>();
        for (Storage s : storages.values()) {
            segs.put(s.key(), s.segment());
        }
        Map<TensorRef, String> storageKeys = new IdentityHashMap<>();
        for (Map.Entry<String, TensorRef> e : tensorPaths) {
            TensorRef t = e.getValue();
            if (t.tensor == null) {
                t.tensor = build(t, displayName + ": tensor '" + names.get(t) + "'", segs, storageKeys, regionOf);
            }
        }
        return storageKeys;
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

    private static Tensor build(TensorRef t, String where, Map<String, MemorySegment> segs,
                                Map<TensorRef, String> storageKeys, Function<MemorySegment, MappedRegion> regionOf) {
        Tensor view = view(t, where, segs, storageKeys);
        return MappedTensors.mapped(view, regionOf.apply(view.storage()));
    }

    private static Tensor view(TensorRef t, String where, Map<String, MemorySegment> segs,
                                Map<TensorRef, String> storageKeys) {
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
                return Tensor.of(seg, DType.F4, f4, Tensor.contiguousStrides(f4), Math.multiplyExact(t.storageOffset, 2L));
            }
            return Tensor.of(seg, t.dtype.dtype(), size, stride, t.storageOffset);
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": " + ex.getMessage(), ex);
        }
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
     * The tensor entries by flattened name, in path order, each with the absolute file offset of its first element.
     *
     * @throws TorchCheckpointException (UNSUPPORTED) when two paths flatten to the same name
     */
    static Map<String, TensorEntry> entries(List<Map.Entry<String, TensorRef>> tensorPaths,
                                            Map<TensorRef, String> storageKeys, Map<String, Storage> storages,
                                            String displayName) {
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
        return Collections.unmodifiableMap(out);
    }

    private TorchViews() {
    }
}
