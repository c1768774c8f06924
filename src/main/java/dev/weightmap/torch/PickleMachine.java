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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A restricted pickle machine: the data-only opcodes of protocols 2 to 4 (what torch's {@code weights_only}
 * unpickler accepts, plus FRAME/MEMOIZE/STACK_GLOBAL/SHORT_BINUNICODE and friends of protocol 4) and a symbolic
 * allowlist of globals ({@link PickleGlobals}). Globals resolve to descriptors, never to behaviour: what a call of
 * one does is {@link TorchRebuilds}', and nothing from the stream is ever executed. Everything is bounded (stack, memo, strings, object count), so hostile bytes end in a
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

    private final MemorySegment in;
    private final long limit;
    /** The file and record, for messages. */
    final String where;
    final Limits limits;
    private long pos;
    private long opStart;

    private Object[] stack = new Object[64];
    private int sp;
    private int[] marks = new int[16];
    private int mp;
    private final Memo memo = new Memo();
    private long objects;
    private final TorchRebuilds rebuilds = new TorchRebuilds(this);

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
        return new Result(v, m.pos, m.rebuilds.tensors, m.rebuilds.storages, m.rebuilds.attributes);
    }

    static Result run(MemorySegment in, String where) {
        return run(in, 0, in.byteSize(), where, Limits.DEFAULT);
    }

    // ---------------------------------------------------------------- errors

    TorchCheckpointException invalid(String msg) {
        return new TorchCheckpointException(Reason.INVALID_PICKLE, where + ": " + msg + " (opcode at byte " + opStart + ")");
    }

    TorchCheckpointException limit(String msg) {
        return new TorchCheckpointException(Reason.LIMIT_EXCEEDED, where + ": " + msg + " (opcode at byte " + opStart + ")");
    }

    TorchCheckpointException unsupported(String msg) {
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

    void count() {
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
            if (op == '.') { // STOP
                Object v = pop();
                if (sp != 0 || mp != 0) {
                    // python ignores leftovers; torch does too. Tolerate.
                    Arrays.fill(stack, 0, sp, null);
                }
                return v;
            }
            if (!scalar(op) && !container(op) && !object(op)) {
                throw refused(op);
            }
        }
    }

    /** Framing and the opcodes that push one scalar (None, bools, ints, floats, strings, bytes); false: not one. */
    private boolean scalar(int op) {
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
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The opcodes that build tuples, lists, dicts and sets, and the stack and memo ones; false: not one. */
    private boolean container(int op) {
        switch (op) {
            case '(' -> mark();
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
            case 'e' -> appends(popMark());
            case 's' -> { // SETITEM
                Object v = pop();
                Object k = pop();
                put(dict(peek()), k, v);
            }
            case 'u' -> setItems(popMark());
            case 0x90 -> addItems(popMark());
            case '0' -> pop(); // POP
            case '1' -> popMark(); // POP_MARK
            case '2' -> push(peek()); // DUP
            case 'q' -> memoPut(u8());
            case 'r' -> memoPut(Integer.toUnsignedLong(i32()));
            case 0x94 -> memoPut(memo.size()); // MEMOIZE
            case 'h' -> memoGet(u8());
            case 'j' -> memoGet(Integer.toUnsignedLong(i32()));
            default -> {
                return false;
            }
        }
        return true;
    }

    /** APPENDS. */
    private void appends(Object[] items) {
        List<Object> l = list(peek());
        for (Object o : items) {
            l.add(o);
            count();
        }
    }

    /** SETITEMS. */
    private void setItems(Object[] items) {
        if (items.length % 2 != 0) {
            throw invalid("SETITEMS with an odd number of items");
        }
        PyDict d = dict(peek());
        for (int i = 0; i < items.length; i += 2) {
            put(d, items[i], items[i + 1]);
        }
    }

    /** ADDITEMS. */
    private void addItems(Object[] items) {
        Object s = peek();
        if (!(s instanceof PyDict.PySet set)) {
            throw invalid("ADDITEMS on a " + typeName(s));
        }
        for (Object o : items) {
            add(set, o);
        }
    }

    /**
     * The opcodes that name globals (resolved against {@link PickleGlobals}) and call, build or load objects
     * (done by {@link TorchRebuilds}); false: not one.
     */
    private boolean object(int op) {
        switch (op) {
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
                push(rebuilds.reduce(callable, args));
            }
            case 0x81 -> { // NEWOBJ
                Object args = pop();
                Object cls = pop();
                push(rebuilds.newObj(cls, args));
            }
            case 'b' -> { // BUILD
                Object state = pop();
                rebuilds.build(peek(), state);
            }
            case 'Q' -> { // BINPERSID
                Object pid = pop();
                push(rebuilds.persistentLoad(pid));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The error for an opcode the reader does not run: refused, not supported, or not an opcode. */
    private TorchCheckpointException refused(int op) {
        return switch (op) {
            case 'o' -> unsupported("opcode OBJ (class instantiation) is not allowed");
            case 0x92 -> unsupported("opcode NEWOBJ_EX is not allowed");
            case 0x82, 0x83, 0x84 -> unsupported("extension registry opcode EXT" + (op == 0x82 ? 1 : op == 0x83 ? 2 : 4)
                    + " is not allowed");
            case 'P' -> unsupported("opcode PERSID (text persistent id) is not allowed");
            case 'I', 'L', 'S', 'V', 'F', 'l', 'd', 'p', 'g', 0x8b, 0x91, 0x96, 0x97, 0x98 ->
                    unsupported("opcode 0x" + Integer.toHexString(op) + " ('" + printable(op)
                            + "') is not supported by the weights-only pickle reader");
            default -> invalid("invalid opcode 0x" + Integer.toHexString(op));
        };
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
    void put(PyDict d, Object k, Object v) {
        int cost;
        try {
            cost = d.putKey(k, v);
        } catch (PyDict.KeyException e) {
            throw e.overBudget ? limit(e.getMessage()) : unsupported(e.getMessage());
        }
        charge(cost);
    }

    /** Adds a set item; the item's canonical size is charged to the object budget. */
    void add(PyDict.PySet s, Object item) {
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
        String q = PickleGlobals.qualified(module, name);
        Global g = PickleGlobals.lookup(q);
        if (g == null) {
            throw new TorchCheckpointException(Reason.FORBIDDEN_GLOBAL, where + ": global '" + q
                    + "' is not allowed (only torch's weights_only allowlist of tensor-rebuilding globals is accepted;"
                    + " nothing is executed) (opcode at byte " + opStart + ")");
        }
        return g;
    }

}
