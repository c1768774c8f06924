// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.TorchCheckpointException.Reason;
import dev.weightmap.torch.TorchTypes.StorageClass;
import dev.weightmap.torch.TorchTypes.TorchDtype;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
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
 * A restricted pickle machine: the data-only opcodes of protocols 2 to 4 (what torch's {@code weights_only}
 * unpickler accepts, plus FRAME/MEMOIZE/STACK_GLOBAL/SHORT_BINUNICODE and friends of protocol 4) and a symbolic
 * allowlist of globals. Globals resolve to descriptors, never to behaviour: nothing from the stream is ever
 * executed. Everything is bounded (stack, memo, strings, object count), so hostile bytes end in a
 * {@link TorchCheckpointException}, never in an unchecked exception or an out-of-memory error.
 *
 * <p>Values: {@link PyDict} (dict, OrderedDict), {@link ArrayList} (list), unmodifiable list (tuple),
 * {@link Long}/{@link BigInteger}, {@link Double}, {@link String}, {@code byte[]}, {@link Boolean}, null,
 * {@link PyDict.PySet} (set) and {@link TensorRef} (a tensor to be resolved against its storage later). Dict
 * keys and set items are hashed through {@link PyDict.Key}: bounded in size (memo-shared tuples counted with
 * every repetition) and immune to hash flooding.
 */
final class PickleMachine {

    /** Bounds; the defaults are far above what real checkpoints need. */
    record Limits(int maxStack, int maxMarks, int maxMemo, long maxObjects, int maxString) {
        static final Limits DEFAULT = new Limits(1 << 20, 1 << 16, 1 << 22, 1L << 23, 1 << 26);
    }

    /** A global the allowlist knows. */
    enum Kind {
        ORDERED_DICT, COUNTER, REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3, REBUILD_PARAMETER,
        REBUILD_PARAMETER_WITH_STATE, REBUILD_FROM_TYPE_V2, STORAGE, DTYPE, SIZE, DEVICE, CODECS_ENCODE, SET,
        BYTEARRAY, TENSOR_CLASS, PARAMETER_CLASS, OTHER
    }

    /** A resolved global: a descriptor, never code. */
    record Global(String module, String name, Kind kind, Object payload) {
        String qualified() {
            return module + "." + name;
        }

        @Override
        public String toString() {
            return qualified();
        }
    }

    /** A storage named by a persistent id. */
    static final class StorageRef {
        final String key;
        final StorageClass type;
        final String location;
        /** In elements of {@code type}. */
        final long numel;
        /** Legacy view: the root storage key and offset (elements); null/0 for a root storage. */
        final String rootKey;
        final long viewOffset;

        StorageRef(String key, StorageClass type, String location, long numel, String rootKey, long viewOffset) {
            this.key = key;
            this.type = type;
            this.location = location;
            this.numel = numel;
            this.rootKey = rootKey;
            this.viewOffset = viewOffset;
        }
    }

    /** A tensor described by a rebuild call, resolved to a {@code Tensor} once storages are located. */
    static final class TensorRef {
        final StorageRef storage;
        final TorchDtype dtype;
        final long storageOffset;
        final long[] size;
        final long[] stride;
        final boolean requiresGrad;
        final boolean parameter;
        final String rebuild;
        dev.weightmap.tensor.Tensor tensor;

        TensorRef(StorageRef storage, TorchDtype dtype, long storageOffset, long[] size, long[] stride,
                  boolean requiresGrad, boolean parameter, String rebuild) {
            this.storage = storage;
            this.dtype = dtype;
            this.storageOffset = storageOffset;
            this.size = size;
            this.stride = stride;
            this.requiresGrad = requiresGrad;
            this.parameter = parameter;
            this.rebuild = rebuild;
        }

        TensorRef asParameter(boolean grad) {
            return new TensorRef(storage, dtype, storageOffset, size, stride, grad, true, rebuild);
        }
    }

    /** The outcome of one pickle. */
    record Result(Object value, long end, List<TensorRef> tensors, Map<String, StorageRef> storages,
                  Map<Object, Object> attributes) {
    }

    private static final Object MARK = new Object() {
        @Override
        public String toString() {
            return "MARK";
        }
    };

    private static final Map<String, Global> ALLOWED = new HashMap<>();

    private static void allow(String qualified, Kind kind, Object payload) {
        int dot = qualified.lastIndexOf('.');
        ALLOWED.put(qualified, new Global(qualified.substring(0, dot), qualified.substring(dot + 1), kind, payload));
    }

    static {
        allow("collections.OrderedDict", Kind.ORDERED_DICT, null);
        allow("collections.Counter", Kind.COUNTER, null);
        allow("torch._utils._rebuild_tensor", Kind.REBUILD_TENSOR, null);
        allow("torch._utils._rebuild_tensor_v2", Kind.REBUILD_TENSOR_V2, null);
        allow("torch._utils._rebuild_tensor_v3", Kind.REBUILD_TENSOR_V3, null);
        allow("torch._utils._rebuild_parameter", Kind.REBUILD_PARAMETER, null);
        allow("torch._utils._rebuild_parameter_with_state", Kind.REBUILD_PARAMETER_WITH_STATE, null);
        allow("torch._tensor._rebuild_from_type_v2", Kind.REBUILD_FROM_TYPE_V2, null);
        for (String other : List.of("_rebuild_qtensor", "_rebuild_sparse_tensor", "_rebuild_nested_tensor",
                "_rebuild_meta_tensor_no_storage", "_rebuild_wrapper_subclass",
                "_rebuild_device_tensor_from_cpu_tensor", "_rebuild_device_tensor_from_numpy",
                "_rebuild_sparse_csr_tensor")) {
            allow("torch._utils." + other, Kind.OTHER, null);
        }
        for (Map.Entry<String, StorageClass> e : TorchTypes.STORAGES.entrySet()) {
            allow(e.getKey(), Kind.STORAGE, e.getValue());
        }
        allow("torch.storage.TypedStorage", Kind.OTHER, null);
        for (Map.Entry<String, TorchDtype> e : TorchTypes.DTYPES.entrySet()) {
            allow("torch." + e.getKey(), Kind.DTYPE, e.getValue());
        }
        allow("torch.Size", Kind.SIZE, null);
        allow("torch.device", Kind.DEVICE, null);
        allow("torch.Tensor", Kind.TENSOR_CLASS, null);
        allow("torch.nn.parameter.Parameter", Kind.PARAMETER_CLASS, null);
        allow("torch.serialization._get_layout", Kind.OTHER, null);
        allow("_codecs.encode", Kind.CODECS_ENCODE, null);
        allow("builtins.set", Kind.SET, null);
        allow("builtins.bytearray", Kind.BYTEARRAY, null);
        allow("builtins.complex", Kind.OTHER, null);
        for (String q : List.of("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                "per_channel_symmetric", "per_channel_affine_float_qparams")) {
            allow("torch." + q, Kind.OTHER, null);
        }
        for (String t : List.of("Double", "Float", "Half", "BFloat16", "Long", "Int", "Short", "Char", "Byte",
                "Bool")) {
            allow("torch." + t + "Tensor", Kind.OTHER, null);
            allow("torch.cuda." + t + "Tensor", Kind.OTHER, null);
        }
    }

    private final MemorySegment in;
    private final long limit;
    private final String where;
    private final Limits limits;
    private long pos;
    private long opStart;

    private Object[] stack = new Object[64];
    private int sp;
    private int[] marks = new int[16];
    private int mp;
    private final Memo memo = new Memo();
    private long objects;
    private final List<TensorRef> tensors = new ArrayList<>();
    private final Map<String, StorageRef> storages = new LinkedHashMap<>();
    private final Map<Object, Object> attributes = new IdentityHashMap<>();

    private PickleMachine(MemorySegment in, long start, long limit, String where, Limits limits) {
        this.in = in;
        this.pos = start;
        this.limit = limit;
        this.where = where;
        this.limits = limits;
    }

    /**
     * Runs one pickle from {@code start} (at most up to {@code limit}) until its STOP opcode.
     *
     * @param where names the file and record for messages, e.g. {@code "model.pt: archive/data.pkl"}
     */
    static Result run(MemorySegment in, long start, long limit, String where, Limits limits) {
        PickleMachine m = new PickleMachine(in, start, Math.min(limit, in.byteSize()), where, limits);
        Object v = m.loop();
        return new Result(v, m.pos, m.tensors, m.storages, m.attributes);
    }

    static Result run(MemorySegment in, String where) {
        return run(in, 0, in.byteSize(), where, Limits.DEFAULT);
    }

    // ---------------------------------------------------------------- errors

    private TorchCheckpointException invalid(String msg) {
        return new TorchCheckpointException(Reason.INVALID_PICKLE, where + ": " + msg + " (opcode at byte " + opStart + ")");
    }

    private TorchCheckpointException limit(String msg) {
        return new TorchCheckpointException(Reason.LIMIT_EXCEEDED, where + ": " + msg + " (opcode at byte " + opStart + ")");
    }

    private TorchCheckpointException unsupported(String msg) {
        return new TorchCheckpointException(Reason.UNSUPPORTED, where + ": " + msg + " (opcode at byte " + opStart + ")");
    }

    // ---------------------------------------------------------------- input

    private void need(long n) {
        if (n < 0 || n > limit - pos) {
            throw new TorchCheckpointException(Reason.INVALID_PICKLE, where + ": truncated pickle: "
                    + "needs " + n + " more bytes at byte " + pos + " but the stream ends at " + limit
                    + " (opcode at byte " + opStart + ")");
        }
    }

    private int u8() {
        need(1);
        return in.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    private int u16() {
        need(2);
        int v = (in.get(ValueLayout.JAVA_BYTE, pos) & 0xFF) | (in.get(ValueLayout.JAVA_BYTE, pos + 1) & 0xFF) << 8;
        pos += 2;
        return v;
    }

    private int i32() {
        need(4);
        int v = in.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
        pos += 4;
        return v;
    }

    private long i64() {
        need(8);
        long v = in.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
        pos += 8;
        return v;
    }

    private byte[] bytes(long n) {
        if (n < 0 || n > limits.maxString()) {
            need(n);
            throw limit("string or bytes of " + Long.toUnsignedString(n) + " bytes exceeds the limit of "
                    + limits.maxString());
        }
        need(n);
        byte[] b = new byte[(int) n];
        MemorySegment.copy(in, ValueLayout.JAVA_BYTE, pos, b, 0, (int) n);
        pos += n;
        return b;
    }

    private String utf8(byte[] b) {
        boolean ascii = true;
        for (byte x : b) {
            if (x < 0) {
                ascii = false;
                break;
            }
        }
        if (ascii) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw invalid("invalid UTF-8 in a string");
        }
    }

    private String line() {
        long start = pos;
        long max = Math.min(limit, pos + 512);
        for (long p = pos; p < max; p++) {
            if (in.get(ValueLayout.JAVA_BYTE, p) == '\n') {
                byte[] b = new byte[(int) (p - start)];
                MemorySegment.copy(in, ValueLayout.JAVA_BYTE, start, b, 0, b.length);
                pos = p + 1;
                return utf8(b);
            }
        }
        if (max == limit) {
            throw invalid("truncated pickle: unterminated text line");
        }
        throw limit("text line longer than 512 bytes");
    }

    // ---------------------------------------------------------------- stack

    private void count() {
        if (++objects > limits.maxObjects()) {
            throw limit("more than " + limits.maxObjects() + " objects");
        }
    }

    private void push(Object o) {
        if (sp == stack.length) {
            if (sp >= limits.maxStack()) {
                throw limit("stack deeper than " + limits.maxStack());
            }
            stack = Arrays.copyOf(stack, Math.min(limits.maxStack(), sp * 2));
        }
        stack[sp++] = o;
        count();
    }

    private Object pop() {
        if (sp == 0 || (mp > 0 && marks[mp - 1] == sp)) {
            throw invalid("stack underflow");
        }
        Object o = stack[--sp];
        stack[sp] = null;
        return o;
    }

    private Object peek() {
        if (sp == 0 || (mp > 0 && marks[mp - 1] == sp)) {
            throw invalid("stack underflow");
        }
        return stack[sp - 1];
    }

    private void mark() {
        if (mp == marks.length) {
            if (mp >= limits.maxMarks()) {
                throw limit("more than " + limits.maxMarks() + " nested marks");
            }
            marks = Arrays.copyOf(marks, mp * 2);
        }
        marks[mp++] = sp;
    }

    /** Pops everything above the topmost mark, and the mark. */
    private Object[] popMark() {
        if (mp == 0) {
            throw invalid("no MARK on the stack");
        }
        int m = marks[--mp];
        Object[] items = Arrays.copyOfRange(stack, m, sp);
        Arrays.fill(stack, m, sp, null);
        sp = m;
        return items;
    }

    static List<Object> tuple(Object... items) {
        return Collections.unmodifiableList(Arrays.asList(items));
    }

    // ---------------------------------------------------------------- main loop

    private Object loop() {
        while (true) {
            opStart = pos;
            if (pos >= limit) {
                throw invalid("truncated pickle: no STOP opcode");
            }
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int p = u8();
                    if (p > 5) {
                        throw invalid("unsupported pickle protocol " + p);
                    }
                }
                case 0x95 -> { // FRAME
                    long n = i64();
                    if (n < 0 || n > limit - pos) {
                        throw invalid("truncated pickle: frame of " + Long.toUnsignedString(n) + " bytes");
                    }
                }
                case '.' -> { // STOP
                    Object v = pop();
                    if (sp != 0 || mp != 0) {
                        // python ignores leftovers; torch does too. Tolerate.
                        Arrays.fill(stack, 0, sp, null);
                    }
                    return v;
                }
                case '(' -> mark();
                case 'N' -> push(null);
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) u16());
                case 0x8a -> { // LONG1
                    int n = u8();
                    push(longValue(bytes(n)));
                }
                case 'G' -> { // BINFLOAT, big-endian
                    need(8);
                    long bits = in.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), pos);
                    pos += 8;
                    push(Double.longBitsToDouble(bits));
                }
                case 'X' -> push(utf8(bytes(Integer.toUnsignedLong(i32()))));
                case 0x8c -> push(utf8(bytes(u8()))); // SHORT_BINUNICODE
                case 0x8d -> push(utf8(bytes(i64()))); // BINUNICODE8
                case 'U' -> push(utf8(bytes(u8()))); // SHORT_BINSTRING (decoded as utf-8 like torch)
                case 'T' -> push(utf8(bytes(Integer.toUnsignedLong(i32())))); // BINSTRING
                case 'C' -> push(bytes(u8())); // SHORT_BINBYTES
                case 'B' -> push(bytes(Integer.toUnsignedLong(i32()))); // BINBYTES
                case 0x8e -> push(bytes(i64())); // BINBYTES8
                case ')' -> push(tuple());
                case ']' -> push(new ArrayList<>());
                case '}' -> push(new PyDict());
                case 0x8f -> push(new PyDict.PySet()); // EMPTY_SET
                case 't' -> push(tuple(popMark()));
                case 0x85 -> push(tuple(pop()));
                case 0x86 -> {
                    Object b = pop();
                    Object a = pop();
                    push(tuple(a, b));
                }
                case 0x87 -> {
                    Object c = pop();
                    Object b = pop();
                    Object a = pop();
                    push(tuple(a, b, c));
                }
                case 'a' -> { // APPEND
                    Object v = pop();
                    list(peek()).add(v);
                    count();
                }
                case 'e' -> { // APPENDS
                    Object[] items = popMark();
                    List<Object> l = list(peek());
                    for (Object o : items) {
                        l.add(o);
                        count();
                    }
                }
                case 's' -> { // SETITEM
                    Object v = pop();
                    Object k = pop();
                    put(dict(peek()), k, v);
                }
                case 'u' -> { // SETITEMS
                    Object[] items = popMark();
                    if (items.length % 2 != 0) {
                        throw invalid("SETITEMS with an odd number of items");
                    }
                    PyDict d = dict(peek());
                    for (int i = 0; i < items.length; i += 2) {
                        put(d, items[i], items[i + 1]);
                    }
                }
                case 0x90 -> { // ADDITEMS
                    Object[] items = popMark();
                    Object s = peek();
                    if (!(s instanceof PyDict.PySet set)) {
                        throw invalid("ADDITEMS on a " + typeName(s));
                    }
                    for (Object o : items) {
                        add(set, o);
                    }
                }
                case '0' -> pop(); // POP
                case '1' -> popMark(); // POP_MARK
                case '2' -> push(peek()); // DUP
                case 'q' -> memoPut(u8());
                case 'r' -> memoPut(Integer.toUnsignedLong(i32()));
                case 0x94 -> memoPut(memo.size()); // MEMOIZE
                case 'h' -> memoGet(u8());
                case 'j' -> memoGet(Integer.toUnsignedLong(i32()));
                case 'c' -> { // GLOBAL
                    String module = line();
                    String name = line();
                    push(resolve(module, name));
                }
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) {
                        throw invalid("STACK_GLOBAL needs two strings, got " + typeName(module) + " and " + typeName(name));
                    }
                    push(resolve(m, n));
                }
                case 'i' -> { // INST: check the global for the message, then refuse the opcode
                    String module = line();
                    String name = line();
                    resolve(module, name);
                    throw unsupported("opcode INST (class instantiation) is not allowed");
                }
                case 'R' -> { // REDUCE
                    Object args = pop();
                    Object callable = pop();
                    push(reduce(callable, args));
                }
                case 0x81 -> { // NEWOBJ
                    Object args = pop();
                    Object cls = pop();
                    push(newObj(cls, args));
                }
                case 'b' -> { // BUILD
                    Object state = pop();
                    build(peek(), state);
                }
                case 'Q' -> { // BINPERSID
                    Object pid = pop();
                    push(persistentLoad(pid));
                }
                case 'o' -> throw unsupported("opcode OBJ (class instantiation) is not allowed");
                case 0x92 -> throw unsupported("opcode NEWOBJ_EX is not allowed");
                case 0x82, 0x83, 0x84 -> throw unsupported("extension registry opcode EXT" + (op == 0x82 ? 1 : op == 0x83 ? 2 : 4) + " is not allowed");
                case 'P' -> throw unsupported("opcode PERSID (text persistent id) is not allowed");
                case 'I', 'L', 'S', 'V', 'F', 'l', 'd', 'p', 'g', 0x8b, 0x91, 0x96, 0x97, 0x98 ->
                        throw unsupported("opcode 0x" + Integer.toHexString(op) + " ('" + printable(op)
                                + "') is not supported by the weights-only pickle reader");
                default -> throw invalid("invalid opcode 0x" + Integer.toHexString(op));
            }
        }
    }

    private static String printable(int op) {
        return op >= 0x20 && op < 0x7f ? String.valueOf((char) op) : "\\x" + Integer.toHexString(op);
    }

    private static Object longValue(byte[] le) {
        if (le.length == 0) {
            return 0L;
        }
        byte[] be = new byte[le.length];
        for (int i = 0; i < le.length; i++) {
            be[i] = le[le.length - 1 - i];
        }
        BigInteger b = new BigInteger(be);
        return b.bitLength() < 64 ? (Object) b.longValue() : b;
    }

    private void memoPut(long idx) {
        Object v = peek();
        if (!memo.containsKey(idx) && memo.size() >= limits.maxMemo()) {
            throw limit("memo larger than " + limits.maxMemo() + " entries");
        }
        memo.put(idx, v);
    }

    private void memoGet(long idx) {
        if (!memo.containsKey(idx)) {
            throw invalid("memo key " + idx + " is not defined");
        }
        push(memo.get(idx));
    }

    /**
     * The memo: pickles number their memo entries 0, 1, 2 ..., so keys below twice the entry count live in an
     * array (8 bytes an entry, where a map of boxed keys takes about 60); other keys, which only a hostile or odd
     * pickle writes, in a map.
     */
    private static final class Memo {
        private static final Object NONE = new Object(); // a stored null
        private Object[] dense = new Object[64];
        private Map<Long, Object> sparse;
        private int size;

        int size() {
            return size;
        }

        boolean containsKey(long idx) {
            if (idx < dense.length) {
                return dense[(int) idx] != null;
            }
            return sparse != null && sparse.containsKey(idx);
        }

        Object get(long idx) {
            Object v = idx < dense.length ? dense[(int) idx] : sparse.get(idx);
            return v == NONE ? null : v;
        }

        void put(long idx, Object v) {
            Object stored = v == null ? NONE : v;
            if (idx >= dense.length && idx < 2L * size + 64 && idx < Integer.MAX_VALUE - 8) {
                Object[] bigger = java.util.Arrays.copyOf(dense, (int) Math.min(Integer.MAX_VALUE - 8,
                        Math.max(idx + 1, 2L * dense.length)));
                if (sparse != null) { // move the sparse keys the array now covers
                    for (var it = sparse.entrySet().iterator(); it.hasNext(); ) {
                        var e = it.next();
                        if (e.getKey() < bigger.length) {
                            bigger[(int) (long) e.getKey()] = e.getValue();
                            it.remove();
                        }
                    }
                }
                dense = bigger;
            }
            if (idx < dense.length) {
                if (dense[(int) idx] == null) {
                    size++;
                }
                dense[(int) idx] = stored;
            } else {
                if (sparse == null) {
                    sparse = new HashMap<>();
                }
                if (sparse.put(idx, stored) == null) {
                    size++;
                }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private List<Object> list(Object o) {
        if (o instanceof ArrayList<?>) {
            return (List<Object>) o;
        }
        throw invalid("APPEND on a " + typeName(o) + ", not a list");
    }

    private PyDict dict(Object o) {
        if (o instanceof PyDict d) {
            return d;
        }
        throw invalid("SETITEM on a " + typeName(o) + ", not a dict");
    }

    /** Adds a dict item; the key's canonical size is charged to the object budget. */
    private void put(PyDict d, Object k, Object v) {
        int cost;
        try {
            cost = d.putKey(k, v);
        } catch (PyDict.KeyException e) {
            throw e.overBudget ? limit(e.getMessage()) : unsupported(e.getMessage());
        }
        charge(cost);
    }

    /** Adds a set item; the item's canonical size is charged to the object budget. */
    private void add(PyDict.PySet s, Object item) {
        int cost;
        try {
            cost = s.addItem(item);
        } catch (PyDict.KeyException e) {
            throw e.overBudget ? limit(e.getMessage()) : unsupported(e.getMessage());
        }
        charge(cost);
    }

    private void charge(long n) {
        objects += n;
        if (objects > limits.maxObjects()) {
            throw limit("more than " + limits.maxObjects() + " objects");
        }
    }

    static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o == MARK) {
            return "MARK";
        }
        if (o instanceof ArrayList<?>) {
            return "list";
        }
        if (o instanceof List<?>) {
            return "tuple";
        }
        if (o instanceof Map<?, ?>) {
            return "dict";
        }
        if (o instanceof Set<?>) {
            return "set";
        }
        if (o instanceof String) {
            return "str";
        }
        if (o instanceof Long || o instanceof BigInteger) {
            return "int";
        }
        if (o instanceof Double) {
            return "float";
        }
        if (o instanceof Boolean) {
            return "bool";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof Global g) {
            return "global " + g.qualified();
        }
        if (o instanceof StorageRef) {
            return "storage";
        }
        if (o instanceof TensorRef) {
            return "tensor";
        }
        return o.getClass().getSimpleName();
    }

    // ---------------------------------------------------------------- globals

    private Global resolve(String module, String name) {
        module = switch (module) { // Python 2 names, as pickle's IMPORT_MAPPING remaps them
            case "__builtin__", "exceptions" -> "builtins";
            case "copy_reg" -> "copyreg";
            case "commands" -> "subprocess";
            case "cPickle" -> "pickle";
            case "UserDict", "UserList" -> "collections";
            default -> module;
        };
        String q = module + "." + name;
        Global g = ALLOWED.get(q);
        if (g == null) {
            throw new TorchCheckpointException(Reason.FORBIDDEN_GLOBAL, where + ": global '" + q
                    + "' is not allowed (only torch's weights_only allowlist of tensor-rebuilding globals is accepted;"
                    + " nothing is executed) (opcode at byte " + opStart + ")");
        }
        return g;
    }

    private List<?> args(Object args, Global g) {
        if (args instanceof List<?> l && !(args instanceof ArrayList<?>)) {
            return l;
        }
        throw invalid("arguments of " + g.qualified() + " must be a tuple, got " + typeName(args));
    }

    private Object reduce(Object callable, Object rawArgs) {
        if (!(callable instanceof Global g)) {
            throw invalid("REDUCE on a " + typeName(callable) + ", not an allowed callable");
        }
        List<?> a = args(rawArgs, g);
        switch (g.kind()) {
            case ORDERED_DICT, COUNTER -> {
                PyDict d = new PyDict();
                if (a.size() == 1 && a.get(0) instanceof List<?> pairs) {
                    for (Object p : pairs) {
                        if (!(p instanceof List<?> kv) || kv.size() != 2) {
                            throw invalid(g.qualified() + " items must be pairs");
                        }
                        put(d, kv.get(0), kv.get(1));
                    }
                } else if (a.size() == 1 && a.get(0) instanceof Map<?, ?> m) {
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        put(d, e.getKey(), e.getValue());
                    }
                } else if (!a.isEmpty()) {
                    throw invalid(g.qualified() + " called with " + a.size() + " unsupported arguments");
                }
                return d;
            }
            case REBUILD_TENSOR, REBUILD_TENSOR_V2, REBUILD_TENSOR_V3 -> {
                return rebuildTensor(g, a);
            }
            case REBUILD_PARAMETER, REBUILD_PARAMETER_WITH_STATE -> {
                if (a.size() < 2 || !(a.get(0) instanceof TensorRef t)) {
                    throw invalid(g.qualified() + " needs (tensor, requires_grad, ...)");
                }
                return t.asParameter(Boolean.TRUE.equals(a.get(1)));
            }
            case REBUILD_FROM_TYPE_V2 -> {
                if (a.size() != 4 || !(a.get(0) instanceof Global f) || !(a.get(1) instanceof Global type)
                        || (type.kind() != Kind.TENSOR_CLASS && type.kind() != Kind.PARAMETER_CLASS)) {
                    throw unsupported(g.qualified() + ": only plain tensors and parameters are supported");
                }
                Object inner = reduce(f, a.get(2));
                if (!(inner instanceof TensorRef t)) {
                    throw unsupported(g.qualified() + ": the rebuilt object is not a tensor");
                }
                if (a.get(3) instanceof Map<?, ?> st && !st.isEmpty()) {
                    throw unsupported(g.qualified() + ": tensors with Python attributes are not supported");
                }
                return type.kind() == Kind.PARAMETER_CLASS ? t.asParameter(t.requiresGrad) : t;
            }
            case SIZE -> {
                if (a.size() == 1 && a.get(0) instanceof List<?> dims && !(a.get(0) instanceof ArrayList<?>)) {
                    for (Object d : dims) {
                        count();
                        if (!(d instanceof Long)) {
                            throw invalid("torch.Size needs integers");
                        }
                    }
                    return dims;
                }
                if (a.isEmpty()) {
                    return tuple();
                }
                throw invalid("torch.Size needs one tuple of integers");
            }
            case DEVICE -> {
                if (a.size() == 1 && a.get(0) instanceof String s) {
                    return s;
                }
                if (a.size() == 2 && a.get(0) instanceof String s && a.get(1) instanceof Long i) {
                    return s + ":" + i;
                }
                throw invalid("torch.device needs (type[, index])");
            }
            case CODECS_ENCODE -> {
                if (a.size() == 2 && a.get(0) instanceof String s && a.get(1) instanceof String enc
                        && (enc.equals("latin1") || enc.equals("latin-1") || enc.equals("iso-8859-1"))) {
                    byte[] b = new byte[s.length()];
                    for (int i = 0; i < s.length(); i++) {
                        char c = s.charAt(i);
                        if (c > 0xFF) {
                            throw invalid("_codecs.encode: character outside latin1");
                        }
                        b[i] = (byte) c;
                    }
                    return b;
                }
                throw unsupported("_codecs.encode is only supported as (str, 'latin1')");
            }
            case SET -> {
                PyDict.PySet s = new PyDict.PySet();
                if (a.size() == 1 && a.get(0) instanceof List<?> items) {
                    for (Object o : items) {
                        add(s, o);
                    }
                } else if (!a.isEmpty()) {
                    throw invalid("builtins.set needs one iterable");
                }
                return s;
            }
            case BYTEARRAY -> {
                if (a.isEmpty()) {
                    return new byte[0];
                }
                if (a.size() == 1 && a.get(0) instanceof byte[] b) {
                    return b.clone();
                }
                throw unsupported("builtins.bytearray is only supported over bytes");
            }
            default -> throw unsupported("calling the allowed global '" + g.qualified() + "' is not supported");
        }
    }

    private Object newObj(Object cls, Object rawArgs) {
        if (!(cls instanceof Global g)) {
            throw invalid("NEWOBJ on a " + typeName(cls));
        }
        List<?> a = args(rawArgs, g);
        return switch (g.kind()) {
            case ORDERED_DICT, COUNTER -> {
                if (!a.isEmpty()) {
                    throw invalid("NEWOBJ " + g.qualified() + " with arguments");
                }
                yield new PyDict();
            }
            case SET -> new PyDict.PySet();
            case PARAMETER_CLASS -> {
                if (a.isEmpty() || !(a.get(0) instanceof TensorRef t)) {
                    throw invalid("Parameter needs a tensor");
                }
                yield t.asParameter(a.size() < 2 || Boolean.TRUE.equals(a.get(1)));
            }
            default -> throw unsupported("NEWOBJ of the allowed global '" + g.qualified() + "' is not supported");
        };
    }

    private void build(Object target, Object state) {
        if (target instanceof PyDict) {
            Object dictState = state;
            if (state instanceof List<?> l && !(state instanceof ArrayList<?>) && l.size() == 2) {
                dictState = l.get(0) != null ? l.get(0) : l.get(1);
            }
            if (dictState instanceof Map<?, ?> m) {
                if (attributes.size() >= limits.maxMemo()) {
                    throw limit("too many BUILD attributes");
                }
                attributes.put(target, m);
                return;
            }
            if (dictState == null) {
                return;
            }
            throw invalid("BUILD of a dict with a " + typeName(state) + " state");
        }
        if (target instanceof TensorRef) {
            // Parameter / tensor python attributes: ignored (they never change the data)
            return;
        }
        throw invalid("BUILD on a " + typeName(target) + " is not allowed");
    }

    // ---------------------------------------------------------------- storages and tensors

    private Object persistentLoad(Object pid) {
        if (!(pid instanceof List<?> t) || pid instanceof ArrayList<?> || t.isEmpty()) {
            throw invalid("persistent id must be a tuple, got " + typeName(pid));
        }
        Object tag = t.get(0);
        boolean isStorage = "storage".equals(tag)
                || (tag instanceof byte[] b && new String(b, StandardCharsets.ISO_8859_1).equals("storage"));
        if (!isStorage) {
            throw unsupported("persistent id of kind " + (tag instanceof String s ? "'" + s + "'" : typeName(tag))
                    + " is not supported (only 'storage')");
        }
        if (t.size() != 5 && t.size() != 6) {
            throw invalid("storage persistent id must have 5 or 6 elements, got " + t.size());
        }
        if (!(t.get(1) instanceof Global g) || g.kind() != Kind.STORAGE) {
            throw invalid("storage type must be a torch storage class, got " + typeName(t.get(1)));
        }
        StorageClass type = (StorageClass) g.payload();
        String key = keyString(t.get(2));
        if (!(t.get(3) instanceof String location)) {
            throw invalid("storage location must be a string, got " + typeName(t.get(3)));
        }
        if (!(t.get(4) instanceof Long numel) || numel < 0) {
            throw invalid("storage '" + key + "' size must be a non-negative integer, got " + t.get(4));
        }
        StorageRef root = storages.get(key);
        if (root == null) {
            if (storages.size() >= limits.maxMemo()) {
                throw limit("more than " + limits.maxMemo() + " storages");
            }
            root = new StorageRef(key, type, location, numel, null, 0);
            storages.put(key, root);
        } else if (root.type.dtype() != type.dtype() || root.numel != numel) {
            throw invalid("storage '" + key + "' is referenced as " + root.type.qualifiedName() + "[" + root.numel
                    + "] and as " + type.qualifiedName() + "[" + numel + "]");
        }
        if (t.size() == 6 && t.get(5) != null) {
            if (!(t.get(5) instanceof List<?> vm) || vm.size() != 3 || !(vm.get(1) instanceof Long off)
                    || !(vm.get(2) instanceof Long vsize) || off < 0 || vsize < 0) {
                throw invalid("storage view metadata must be (key, offset, size)");
            }
            String viewKey = keyString(vm.get(0));
            if (off > numel || vsize > numel - off) {
                throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": storage view '" + viewKey
                        + "' [" + off + ", " + (off + vsize) + ") lies outside storage '" + key + "' of " + numel
                        + " elements");
            }
            return new StorageRef(viewKey, type, location, vsize, key, off);
        }
        return root;
    }

    private String keyString(Object k) {
        if (k instanceof String s) {
            return s;
        }
        if (k instanceof Long || k instanceof BigInteger) {
            return k.toString();
        }
        throw invalid("storage key must be a string, got " + typeName(k));
    }

    private long[] dims(Object o, String what, String fn) {
        if (!(o instanceof List<?> l)) {
            throw invalid(fn + ": " + what + " must be a tuple of integers, got " + typeName(o));
        }
        long[] r = new long[l.size()];
        for (int i = 0; i < r.length; i++) {
            count();
            if (!(l.get(i) instanceof Long v)) {
                throw invalid(fn + ": " + what + " must be a tuple of integers");
            }
            r[i] = v;
        }
        return r;
    }

    private TensorRef rebuildTensor(Global g, List<?> a) {
        String fn = g.qualified();
        int min = switch (g.kind()) {
            case REBUILD_TENSOR -> 4;
            case REBUILD_TENSOR_V2 -> 6;
            default -> 7;
        };
        if (a.size() < min || a.size() > min + 1 || (g.kind() == Kind.REBUILD_TENSOR && a.size() != 4)) {
            throw invalid(fn + " called with " + a.size() + " arguments");
        }
        if (!(a.get(0) instanceof StorageRef s)) {
            throw invalid(fn + ": first argument must be a storage, got " + typeName(a.get(0)));
        }
        if (!(a.get(1) instanceof Long offset)) {
            throw invalid(fn + ": storage offset must be an integer, got " + typeName(a.get(1)));
        }
        long[] size = dims(a.get(2), "size", fn);
        long[] stride = dims(a.get(3), "stride", fn);
        boolean grad = a.size() > 4 && Boolean.TRUE.equals(a.get(4));
        TorchDtype dtype = s.type.dtype();
        if (g.kind() == Kind.REBUILD_TENSOR_V3) {
            if (!(a.get(6) instanceof Global d) || d.kind() != Kind.DTYPE) {
                throw invalid(fn + ": dtype must be a torch dtype, got " + typeName(a.get(6)));
            }
            dtype = (TorchDtype) d.payload();
        } else if (s.type.untyped()) {
            throw invalid(fn + ": an untyped storage needs _rebuild_tensor_v3 with a dtype");
        }
        Object meta = a.size() > min ? a.get(min) : null;
        if (meta instanceof Map<?, ?> m) {
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (Boolean.TRUE.equals(e.getValue())) {
                    throw unsupported(fn + ": tensor metadata '" + e.getKey()
                            + "' (a lazy conj/neg bit) is not supported");
                }
            }
        } else if (meta != null) {
            throw invalid(fn + ": metadata must be a dict, got " + typeName(meta));
        }
        if (tensors.size() >= limits.maxMemo()) {
            throw limit("more than " + limits.maxMemo() + " tensors");
        }
        TensorRef t = new TensorRef(s, dtype, offset, size, stride, grad, false, fn);
        tensors.add(t);
        return t;
    }
}
