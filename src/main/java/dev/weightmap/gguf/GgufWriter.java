// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;
import dev.weightmap.internal.io.AtomicFile;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF version 3 files as gguf-py's {@code GGUFWriter} does, byte for byte: the header, the metadata pairs
 * in the order they were put, the tensor infos in the order they were added (dims innermost first, offsets
 * relative to the data section), zero padding to the alignment after the infos and after every tensor. The
 * alignment is 32 unless a {@code general.alignment} UINT32 pair says otherwise. {@link #write(Path)} replaces the
 * target atomically.
 *
 * <pre>{@code
 * GgufWriter w = new GgufWriter()
 *         .put("general.architecture", GgufValueType.STRING, "llama")
 *         .put("llama.block_count", GgufValueType.UINT32, 32)
 *         .putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
 *         .tensor("token_embd.weight", GgmlType.F16, new long[] {4096, 32000}, bytes);   // ne innermost first
 * w.write(Path.of("model.gguf"));
 * }</pre>
 */
public final class GgufWriter {
    /**
     * An array value to write.
     *
     * @param elementType the element type ({@link GgufValueType#ARRAY} for nested arrays, whose elements are
     *                    {@code Array}s or {@link GgufArray}s)
     * @param values      the elements
     */
    public record Array(GgufValueType elementType, List<?> values) {
        /**
         * An array.
         *
         * @param elementType the element type
         * @param values      the elements
         */
        public Array {
            values = List.copyOf(values);
        }
    }

    private record Value(GgufValueType type, Object value) {
    }

    private record Pending(String name, GgmlType type, long[] ne, MemorySegment bytes) {
    }

    private final Map<String, Value> metadata = new LinkedHashMap<>();
    private final Map<String, Pending> tensors = new LinkedHashMap<>();

    /** An empty writer. */
    public GgufWriter() {
    }

    private static GgufException bad(String item, String message) {
        return new GgufException(Reason.INVALID_ARGUMENT, null, item, "`" + item + "`: " + message);
    }

    /**
     * Adds a metadata pair.
     *
     * @param key   the key (unique)
     * @param type  its value type
     * @param value a {@link Number} in range for integer types ({@link BigInteger} for large UINT64), a
     *              {@link Number} for FLOAT32/FLOAT64, a {@link Boolean}, a {@link String}, or an {@link Array} /
     *              {@link GgufArray} for ARRAY
     * @return this writer
     * @throws GgufException {@code INVALID_ARGUMENT} for a duplicate key, a value of the wrong kind or out of range
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        if (metadata.containsKey(key)) {
            throw bad(key, "the key was already put");
        }
        check(key, type, value, 0);
        if (key.equals("general.alignment")) {
            if (type != GgufValueType.UINT32) {
                throw bad(key, "must be UINT32");
            }
            long a = ((Number) value).longValue();
            if (a == 0 || Long.bitCount(a) != 1) {
                throw bad(key, "must be a non-zero power of two, not " + a);
            }
        }
        metadata.put(key, new Value(type, value));
        return this;
    }

    /**
     * Adds an array pair.
     *
     * @param key         the key (unique)
     * @param elementType the element type
     * @param values      the elements
     * @return this writer
     * @throws GgufException {@code INVALID_ARGUMENT} as for {@link #put}
     */
    public GgufWriter putArray(String key, GgufValueType elementType, List<?> values) {
        return put(key, GgufValueType.ARRAY, new Array(elementType, values));
    }

    /**
     * Adds every metadata pair of a file, with its types, in file order (arrays are copied as stored).
     *
     * @param file an open GGUF file
     * @return this writer
     * @throws GgufException {@code INVALID_ARGUMENT} for a key already put
     */
    public GgufWriter putAll(GgufFile file) {
        for (Map.Entry<String, Object> e : file.metadata().entrySet()) {
            put(e.getKey(), file.type(e.getKey()), e.getValue());
        }
        return this;
    }

    /**
     * Adds a tensor.
     *
     * @param name  the name (unique)
     * @param type  its GGML type
     * @param ne    its dims, innermost first (GGUF's order: the reverse of a row-major shape), 1 to 4 of them
     * @param bytes its stored bytes, exactly {@code type.byteLength(ne)}; read when the file is written
     * @return this writer
     * @throws GgufException {@code INVALID_ARGUMENT} for a duplicate name, bad dims or a wrong byte length
     */
    public GgufWriter tensor(String name, GgmlType type, long[] ne, MemorySegment bytes) {
        if (tensors.containsKey(name)) {
            throw bad(name, "the tensor was already added");
        }
        if (ne.length < 1 || ne.length > 4) {
            throw bad(name, ne.length + " dims; GGUF tensors have 1 to 4");
        }
        long length;
        try {
            length = type.byteLength(ne.clone());
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw bad(name, e.getMessage());
        }
        if (bytes.byteSize() != length) {
            throw bad(name, type + " " + java.util.Arrays.toString(ne) + " takes " + length + " bytes, not "
                    + bytes.byteSize());
        }
        tensors.put(name, new Pending(name, type, ne.clone(), bytes));
        return this;
    }

    private static void check(String key, GgufValueType type, Object v, int depth) {
        if (depth > GgufParser.MAX_DEPTH) {
            throw bad(key, "arrays nested more than " + GgufParser.MAX_DEPTH + " deep");
        }
        boolean ok = switch (type) {
            case UINT8 -> inRange(v, 0, 0xFF);
            case INT8 -> inRange(v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> inRange(v, 0, 0xFFFF);
            case INT16 -> inRange(v, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> inRange(v, 0, 0xFFFFFFFFL);
            case INT32 -> inRange(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case INT64 -> inRange(v, Long.MIN_VALUE, Long.MAX_VALUE);
            case UINT64 -> v instanceof Number n && !(v instanceof Float || v instanceof Double)
                    && new BigInteger(n.toString()).signum() >= 0 && new BigInteger(n.toString()).bitLength() <= 64;
            case FLOAT32, FLOAT64 -> v instanceof Number;
            case BOOL -> v instanceof Boolean;
            case STRING -> v instanceof String;
            case ARRAY -> v instanceof GgufArray || v instanceof Array;
        };
        if (!ok) {
            throw bad(key, (v == null ? "null" : v.getClass().getSimpleName() + " " + v) + " is not a valid " + type);
        }
        if (v instanceof Array a) {
            if (a.elementType() == null) {
                throw bad(key, "an array needs an element type");
            }
            for (Object x : a.values()) {
                check(key, a.elementType(), x, depth + 1);
            }
        }
    }

    private static boolean inRange(Object v, long min, long max) {
        if (!(v instanceof Number n) || v instanceof Float || v instanceof Double) {
            return false;
        }
        BigInteger b = new BigInteger(n.toString());
        return b.compareTo(BigInteger.valueOf(min)) >= 0 && b.compareTo(BigInteger.valueOf(max)) <= 0;
    }

    /**
     * The alignment the file will use.
     *
     * @return {@code general.alignment}, or 32
     */
    public long alignment() {
        Value a = metadata.get("general.alignment");
        return a == null ? GgufParser.DEFAULT_ALIGNMENT : ((Number) a.value()).longValue();
    }

    /**
     * Writes the file atomically (a temporary file in the target's folder, renamed over it when complete).
     *
     * @param file the target
     * @throws IOException when writing fails
     */
    public void write(Path file) throws IOException {
        AtomicFile.write(file, this::write);
    }

    /**
     * Writes the file's bytes to a channel.
     *
     * @param out the channel
     * @return the bytes written
     * @throws IOException when writing fails
     */
    public long write(WritableByteChannel out) throws IOException {
        long align = alignment();
        Buf h = new Buf();
        h.raw("GGUF".getBytes(StandardCharsets.US_ASCII)).u32(3).u64(tensors.size()).u64(metadata.size());
        for (Map.Entry<String, Value> e : metadata.entrySet()) {
            h.str(e.getKey()).u32(e.getValue().type().id());
            value(h, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        List<Pending> order = new ArrayList<>(tensors.values());
        for (Pending t : order) {
            h.str(t.name()).u32(t.ne().length);
            for (long d : t.ne()) {
                h.u64(d);
            }
            h.u32(t.type().id()).u64(offset);
            offset += GgufParser.alignUp(t.bytes().byteSize(), align);
        }
        long total = 0;
        total += drain(out, h.b.flip());
        total += pad(out, total, align);
        byte[] chunk = new byte[1 << 20]; // any segment (native, mapped, a heap array of any type) goes through it
        for (Pending t : order) {
            long n = t.bytes().byteSize();
            for (long p = 0; p < n; p += chunk.length) {
                int c = (int) Math.min(chunk.length, n - p);
                MemorySegment.copy(t.bytes(), java.lang.foreign.ValueLayout.JAVA_BYTE, p, chunk, 0, c);
                total += drain(out, ByteBuffer.wrap(chunk, 0, c));
            }
            total += pad(out, n, align);
        }
        return total;
    }

    private static long pad(WritableByteChannel out, long n, long align) throws IOException {
        long p = GgufParser.alignUp(n, align) - n;
        long done = 0;
        while (done < p) {
            int c = (int) Math.min(p - done, 1 << 16);
            done += drain(out, ByteBuffer.allocate(c));
        }
        return done;
    }

    private static long drain(WritableByteChannel out, ByteBuffer b) throws IOException {
        long n = b.remaining();
        while (b.hasRemaining()) {
            out.write(b);
        }
        return n;
    }

    private static void value(Buf h, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> h.u8(((Number) v).intValue());
            case UINT16, INT16 -> h.u16(((Number) v).intValue());
            case UINT32, INT32 -> h.u32(((Number) v).intValue());
            case UINT64, INT64 -> h.u64(new BigInteger(v.toString()).longValue());
            case FLOAT32 -> h.u32(Float.floatToRawIntBits(((Number) v).floatValue()));
            case FLOAT64 -> h.u64(Double.doubleToRawLongBits(((Number) v).doubleValue()));
            case BOOL -> h.u8((Boolean) v ? 1 : 0);
            case STRING -> h.str((String) v);
            case ARRAY -> {
                if (v instanceof GgufArray a) { // the stored elements, as they are
                    h.u32(a.elementType().id()).u64(a.size()).raw(a.bytes().toArray(java.lang.foreign.ValueLayout
                            .JAVA_BYTE));
                } else {
                    Array a = (Array) v;
                    h.u32(a.elementType().id()).u64(a.values().size());
                    for (Object x : a.values()) {
                        value(h, a.elementType(), x);
                    }
                }
            }
        }
    }

    /** A growable little-endian buffer. */
    private static final class Buf {
        ByteBuffer b = ByteBuffer.allocate(1 << 12).order(ByteOrder.LITTLE_ENDIAN);

        private Buf room(int n) {
            if (b.remaining() < n) {
                long want = Math.max((long) b.capacity() * 2, (long) b.position() + n);
                if (want > Integer.MAX_VALUE - 8) {
                    throw new GgufException(Reason.INVALID_ARGUMENT, null, null, "the GGUF header would exceed 2 GiB");
                }
                ByteBuffer bigger = ByteBuffer.allocate((int) want).order(ByteOrder.LITTLE_ENDIAN);
                bigger.put(b.flip());
                b = bigger;
            }
            return this;
        }

        Buf raw(byte[] x) {
            room(x.length).b.put(x);
            return this;
        }

        Buf u8(int v) {
            room(1).b.put((byte) v);
            return this;
        }

        Buf u16(int v) {
            room(2).b.putShort((short) v);
            return this;
        }

        Buf u32(int v) {
            room(4).b.putInt(v);
            return this;
        }

        Buf u64(long v) {
            room(8).b.putLong(v);
            return this;
        }

        Buf str(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            return u64(x.length).raw(x);
        }
    }
}
