package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses and validates a safetensors header straight from the segment, in the order of the Rust reference
 * ({@code formats.md} A.2–A.5), with weightmap's stricter rules (duplicate keys, unknown dtypes).
 */
final class HeaderParser {
    /** The reference's limit on the header length N: 100,000,000 bytes. */
    static final long DEFAULT_MAX_HEADER = 100_000_000L;

    private static final byte[][] FIELDS = {
        "dtype".getBytes(StandardCharsets.US_ASCII),
        "shape".getBytes(StandardCharsets.US_ASCII),
        "data_offsets".getBytes(StandardCharsets.US_ASCII),
    };
    private static final byte[][] DTYPE_NAMES;
    private static final DType[] DTYPES;

    static {
        DType[] all = Arrays.stream(DType.values()).filter(DType::isSafetensors).toArray(DType[]::new);
        DTYPES = all;
        DTYPE_NAMES = new byte[all.length][];
        for (int i = 0; i < all.length; i++) {
            DTYPE_NAMES[i] = all[i].headerName().getBytes(StandardCharsets.US_ASCII);
        }
    }

    /** The parsed, validated header. Arrays are indexed by data order. */
    record Header(long headerLength, Map<String, String> metadata, String[] names, DType[] dtypes,
                  long[][] shapes, long[] begins, long[] ends, Map<String, Integer> index) {
    }

    private HeaderParser() {
    }

    static SafetensorsException error(Reason r, String file, String msg) {
        return new SafetensorsException(r, file + ": " + msg);
    }

    static Header parse(MemorySegment seg, String file, long maxHeader) {
        long size = seg.byteSize();
        if (size < 8) {
            throw error(Reason.HEADER_TOO_SMALL, file, "header too small: " + size + " bytes, the 8-byte header length is missing");
        }
        long n = seg.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (n < 0 || n > maxHeader) {
            throw error(Reason.HEADER_TOO_LARGE, file, "header too large: " + Long.toUnsignedString(n)
                    + " bytes (limit " + maxHeader + ")");
        }
        if (n > size - 8) {
            throw error(Reason.INVALID_HEADER_LENGTH, file, "invalid header length: " + n
                    + " header bytes announced but the file has only " + (size - 8) + " after the length");
        }
        long bad = JsonReader.findInvalidUtf8(seg, 8, n);
        if (bad >= 0) {
            throw error(Reason.INVALID_UTF8, file, "invalid UTF-8 in header at byte " + (8 + bad));
        }
        int cap = 16;
        String[] names = new String[cap];
        DType[] dtypes = new DType[cap];
        long[][] shapes = new long[cap][];
        long[] begins = new long[cap];
        long[] ends = new long[cap];
        int count = 0;
        Map<String, Integer> index = new HashMap<>();
        Map<String, String> metadata = null;
        boolean sawMetadata = false;
        JsonReader r = new JsonReader(seg, 8, n);
        String current = null;
        try {
            r.expect('{');
            boolean first = true;
            while (r.nextMember(first)) {
                first = false;
                current = null;
                String name = r.readString();
                r.expect(':');
                if (name.equals("__metadata__")) {
                    if (sawMetadata) {
                        throw error(Reason.DUPLICATE_KEY, file, "duplicate key `__metadata__` in header");
                    }
                    sawMetadata = true;
                    metadata = readMetadata(r, file);
                    continue;
                }
                current = name;
                if (index.containsKey(name)) {
                    throw error(Reason.DUPLICATE_KEY, file, "duplicate tensor name `" + name + "` in header");
                }
                if (count == cap) {
                    cap *= 2;
                    names = Arrays.copyOf(names, cap);
                    dtypes = Arrays.copyOf(dtypes, cap);
                    shapes = Arrays.copyOf(shapes, cap);
                    begins = Arrays.copyOf(begins, cap);
                    ends = Arrays.copyOf(ends, cap);
                }
                readTensor(r, file, name, count, dtypes, shapes, begins, ends);
                names[count] = name;
                index.put(name, count);
                count++;
            }
            r.expectEnd();
        } catch (JsonException e) {
            String where = current == null ? "" : " (tensor `" + current + "`)";
            throw new SafetensorsException(e.isUtf8Error() ? Reason.INVALID_UTF8 : Reason.INVALID_JSON,
                    file + ": invalid JSON in header" + where + ": " + e.getMessage(), e);
        }
        names = Arrays.copyOf(names, count);
        dtypes = Arrays.copyOf(dtypes, count);
        shapes = Arrays.copyOf(shapes, count);
        begins = Arrays.copyOf(begins, count);
        ends = Arrays.copyOf(ends, count);

        // data order: sort by (begin, end), stable; usually already sorted
        boolean sorted = true;
        for (int i = 1; i < count && sorted; i++) {
            sorted = begins[i - 1] < begins[i] || (begins[i - 1] == begins[i] && ends[i - 1] <= ends[i]);
        }
        if (!sorted) {
            Integer[] order = new Integer[count];
            for (int i = 0; i < count; i++) {
                order[i] = i;
            }
            final long[] b = begins;
            final long[] e = ends;
            Arrays.sort(order, (x, y) -> b[x] != b[y] ? Long.compare(b[x], b[y]) : Long.compare(e[x], e[y]));
            String[] n2 = new String[count];
            DType[] d2 = new DType[count];
            long[][] s2 = new long[count][];
            long[] b2 = new long[count];
            long[] e2 = new long[count];
            for (int i = 0; i < count; i++) {
                int k = order[i];
                n2[i] = names[k];
                d2[i] = dtypes[k];
                s2[i] = shapes[k];
                b2[i] = begins[k];
                e2[i] = ends[k];
                index.put(n2[i], i);
            }
            names = n2;
            dtypes = d2;
            shapes = s2;
            begins = b2;
            ends = e2;
        }
        long cursor = 0;
        for (int i = 0; i < count; i++) {
            if (begins[i] != cursor || ends[i] < begins[i]) {
                throw error(Reason.INVALID_OFFSET, file, "invalid offset for tensor `" + names[i] + "`: data_offsets ["
                        + begins[i] + ", " + ends[i] + "] but the previous tensor ends at " + cursor);
            }
            long nbytes;
            try {
                nbytes = dtypes[i].byteLength(DType.numel(shapes[i]));
            } catch (ArithmeticException ex) {
                throw error(Reason.OVERFLOW, file, "overflow computing buffer size from shape "
                        + Arrays.toString(shapes[i]) + " and dtype " + dtypes[i] + " of tensor `" + names[i] + "`");
            } catch (IllegalArgumentException ex) {
                throw error(Reason.MISALIGNED_SUBBYTE, file, "tensor `" + names[i] + "` of dtype " + dtypes[i]
                        + " and shape " + Arrays.toString(shapes[i]) + " does not end on a byte boundary");
            }
            if (ends[i] - begins[i] != nbytes) {
                throw error(Reason.TENSOR_INVALID_INFO, file, "invalid shape, data type, or offset for tensor `"
                        + names[i] + "`: " + dtypes[i] + " " + Arrays.toString(shapes[i]) + " needs " + nbytes
                        + " bytes but data_offsets [" + begins[i] + ", " + ends[i] + "] hold " + (ends[i] - begins[i]));
            }
            cursor = ends[i];
        }
        long dataLen = size - 8 - n;
        if (cursor != dataLen) {
            throw error(Reason.INCOMPLETE_BUFFER, file, "incomplete metadata, file not fully covered: tensors cover "
                    + cursor + " bytes of a data section of " + dataLen);
        }
        Map<String, String> md = metadata == null ? Map.of() : Collections.unmodifiableMap(metadata);
        return new Header(n, md, names, dtypes, shapes, begins, ends, index);
    }

    private static Map<String, String> readMetadata(JsonReader r, String file) {
        if (r.peek() == 'n') {
            r.readValue(); // null: treated as absent
            return null;
        }
        if (r.peek() != '{') {
            throw r.error("__metadata__ must be an object of strings");
        }
        r.expect('{');
        Map<String, String> m = new LinkedHashMap<>();
        boolean first = true;
        while (r.nextMember(first)) {
            first = false;
            String k = r.readString();
            r.expect(':');
            if (r.peek() != '"') {
                throw r.error("__metadata__ value of key \"" + k + "\" must be a string");
            }
            String v = r.readString();
            if (m.put(k, v) != null) {
                throw error(Reason.DUPLICATE_KEY, file, "duplicate key `" + k + "` in __metadata__");
            }
        }
        return m;
    }

    private static void readTensor(JsonReader r, String file, String name, int i, DType[] dtypes,
                                   long[][] shapes, long[] begins, long[] ends) {
        if (r.peek() != '{') {
            throw r.error("tensor entry must be an object");
        }
        r.expect('{');
        DType dtype = null;
        long[] shape = null;
        boolean offsets = false;
        boolean first = true;
        while (r.nextMember(first)) {
            first = false;
            int f = r.readStringMatch(FIELDS);
            r.expect(':');
            switch (f) {
                case 0 -> {
                    if (dtype != null) {
                        throw r.error("duplicate field `dtype`");
                    }
                    int d = r.peek() == '"' ? r.readStringMatch(DTYPE_NAMES) : -2;
                    if (d == -2) {
                        throw r.error("dtype must be a string");
                    }
                    if (d < 0) {
                        throw error(Reason.UNKNOWN_DTYPE, file, "unknown dtype for tensor `" + name + "`");
                    }
                    dtype = DTYPES[d];
                }
                case 1 -> {
                    if (shape != null) {
                        throw r.error("duplicate field `shape`");
                    }
                    shape = readLongArray(r, -1);
                }
                case 2 -> {
                    if (offsets) {
                        throw r.error("duplicate field `data_offsets`");
                    }
                    long[] o = readLongArray(r, 2);
                    begins[i] = o[0];
                    ends[i] = o[1];
                    offsets = true;
                }
                default -> r.skipValue(); // unknown fields are ignored, as by the reference
            }
        }
        if (dtype == null) {
            throw r.error("missing field `dtype`");
        }
        if (shape == null) {
            throw r.error("missing field `shape`");
        }
        if (!offsets) {
            throw r.error("missing field `data_offsets`");
        }
        dtypes[i] = dtype;
        shapes[i] = shape;
    }

    private static final long[] EMPTY = new long[0];

    private static long[] readLongArray(JsonReader r, int exact) {
        if (r.peek() != '[') {
            throw r.error("expected an array of non-negative integers");
        }
        r.expect('[');
        long[] buf = new long[4];
        int k = 0;
        boolean first = true;
        while (r.nextElement(first)) {
            first = false;
            if (exact > 0 && k == exact) {
                throw r.error("data_offsets must have exactly 2 elements");
            }
            if (k == buf.length) {
                buf = Arrays.copyOf(buf, k * 2);
            }
            buf[k++] = r.readNonNegativeLong();
        }
        if (exact > 0 && k != exact) {
            throw r.error("data_offsets must have exactly 2 elements, found " + k);
        }
        return k == 0 ? EMPTY : Arrays.copyOf(buf, k);
    }
}
