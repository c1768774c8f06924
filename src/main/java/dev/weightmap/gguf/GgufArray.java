// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import java.util.stream.Stream;

/**
 * A metadata array of a GGUF file, read on demand: opening the file validated its structure and skipped it by
 * length, so a 150,000-token vocabulary costs no {@code String} until an element is asked for. Elements are
 * decoded from the file's bytes on each access (see {@link GgufValueType} for their Java types); string elements
 * are checked to be valid UTF-8 when read. Random access to string or nested-array elements builds an index of
 * element offsets once (8 bytes per element).
 *
 * <p>Valid as long as the {@link GgufFile} it came from is mapped.
 */
public final class GgufArray {
    private final MemorySegment seg;
    private final String file;
    private final String key;
    private final GgufValueType elementType;
    private final long size;
    private final long start;
    private final long end;
    private volatile long[] offsets;

    GgufArray(MemorySegment seg, String file, String key, GgufValueType elementType, long size, long start, long end) {
        this.seg = seg;
        this.file = file;
        this.key = key;
        this.elementType = elementType;
        this.size = size;
        this.start = start;
        this.end = end;
    }

    /**
     * The metadata key this array belongs to.
     *
     * @return the key
     */
    public String key() {
        return key;
    }

    /**
     * The element type ({@link GgufValueType#ARRAY} for nested arrays).
     *
     * @return the type
     */
    public GgufValueType elementType() {
        return elementType;
    }

    /**
     * The number of elements.
     *
     * @return the length
     */
    public long size() {
        return size;
    }

    /**
     * The stored bytes of the elements (for fixed-size types: {@code size * elementSize} little-endian values).
     *
     * @return a zero-copy slice of the file
     */
    public MemorySegment bytes() {
        return seg.asSlice(start, end - start);
    }

    private long check(long i) {
        if (i < 0 || i >= size) {
            throw new GgufException(Reason.INVALID_ARGUMENT, file, key, file + ": `" + key + "`: index " + i
                    + " out of range for an array of " + size + " elements");
        }
        return i;
    }

    /** Byte offset of element {@code i}. */
    private long offsetOf(long i) {
        check(i);
        int fixed = elementType.fixedSize();
        if (fixed > 0) {
            return start + i * fixed;
        }
        return offsets()[(int) i];
    }

    private long[] offsets() {
        long[] o = offsets;
        if (o == null) {
            if (size > Integer.MAX_VALUE - 8) {
                throw new GgufException(Reason.COUNT_TOO_LARGE, file, key, file + ": `" + key + "`: an array of "
                        + size + " elements is too long to index");
            }
            o = new long[(int) size];
            long p = start;
            for (int k = 0; k < o.length; k++) {
                o[k] = p;
                p = skip(p, elementType);
            }
            offsets = o;
        }
        return o;
    }

    /** The end of the element at {@code p} (the structure was validated on open). */
    private long skip(long p, GgufValueType t) {
        if (t.fixedSize() > 0) {
            return p + t.fixedSize();
        }
        if (t == GgufValueType.STRING) {
            return p + 8 + seg.get(GgufParser.U64, p);
        }
        GgufValueType inner = GgufValueType.byId(Integer.toUnsignedLong(seg.get(GgufParser.U32, p)));
        long n = seg.get(GgufParser.U64, p + 4);
        p += 12;
        if (inner.fixedSize() > 0) {
            return p + n * inner.fixedSize();
        }
        for (long k = 0; k < n; k++) {
            p = skip(p, inner);
        }
        return p;
    }

    /**
     * Element {@code i}, boxed as {@link GgufValueType} describes.
     *
     * @param i the index
     * @return the value ({@link GgufArray} for a nested array)
     * @throws GgufException {@code INVALID_ARGUMENT} for an index out of range, {@code INVALID_UTF8} for a string
     *                       that is not UTF-8, {@code INVALID_VALUE} for a BOOL byte other than 0 or 1
     */
    public Object get(long i) {
        long p = offsetOf(i);
        return switch (elementType) {
            case STRING -> string(p, i);
            case ARRAY -> nested(p, i);
            default -> GgufParser.scalar(seg, p, elementType, file, key + "[" + i + "]");
        };
    }

    private String string(long p, long i) {
        long n = seg.get(GgufParser.U64, p);
        return GgufParser.utf8(seg, p + 8, n, file, key, "string " + i + " of the array");
    }

    private GgufArray nested(long p, long i) {
        GgufValueType inner = GgufValueType.byId(Integer.toUnsignedLong(seg.get(GgufParser.U32, p)));
        long n = seg.get(GgufParser.U64, p + 4);
        return new GgufArray(seg, file, key + "[" + i + "]", inner, n, p + 12, skip(p, GgufValueType.ARRAY));
    }

    /**
     * String element {@code i}.
     *
     * @param i the index
     * @return the string
     * @throws GgufException {@code WRONG_TYPE} unless this is a STRING array, {@code INVALID_ARGUMENT},
     *                       {@code INVALID_UTF8}
     */
    public String getString(long i) {
        requireType(GgufValueType.STRING);
        return string(offsetOf(i), i);
    }

    /**
     * Integer element {@code i}, of any of the eight integer types.
     *
     * @param i the index
     * @return the value
     * @throws GgufException {@code WRONG_TYPE} unless the elements are integers, or for a UINT64 above
     *                       {@code Long.MAX_VALUE}; {@code INVALID_ARGUMENT} for an index out of range
     */
    public long getLong(long i) {
        if (!elementType.isInteger()) {
            throw wrongType("an integer");
        }
        Object v = get(i);
        if (v instanceof BigInteger b) {
            if (b.bitLength() > 63) {
                throw new GgufException(Reason.WRONG_TYPE, file, key, file + ": `" + key + "`: element " + i
                        + " = " + b + " does not fit a signed 64-bit long");
            }
            return b.longValue();
        }
        return ((Number) v).longValue();
    }

    /**
     * Floating-point element {@code i} (FLOAT32 widened exactly).
     *
     * @param i the index
     * @return the value
     * @throws GgufException {@code WRONG_TYPE} unless this is a FLOAT32 or FLOAT64 array
     */
    public double getDouble(long i) {
        if (elementType != GgufValueType.FLOAT32 && elementType != GgufValueType.FLOAT64) {
            throw wrongType("a floating-point");
        }
        return ((Number) get(i)).doubleValue();
    }

    /**
     * Nested array element {@code i}.
     *
     * @param i the index
     * @return the inner array
     * @throws GgufException {@code WRONG_TYPE} unless this is an array of arrays
     */
    public GgufArray getArray(long i) {
        requireType(GgufValueType.ARRAY);
        return nested(offsetOf(i), i);
    }

    private void requireType(GgufValueType t) {
        if (elementType != t) {
            throw wrongType("a " + t);
        }
    }

    private GgufException wrongType(String wanted) {
        return new GgufException(Reason.WRONG_TYPE, file, key, file + ": `" + key + "`: an array of " + elementType
                + ", not " + wanted + " array");
    }

    /**
     * Every element in order, decoded one by one as the stream is consumed (sequential walk, no offset index).
     *
     * @return a sequential stream
     */
    public Stream<Object> stream() {
        if (elementType.fixedSize() > 0) {
            return LongStream.range(0, size).mapToObj(this::get);
        }
        long[] cursor = {start};
        return LongStream.range(0, size).mapToObj(i -> {
            long p = cursor[0];
            cursor[0] = skip(p, elementType);
            return elementType == GgufValueType.STRING ? string(p, i) : nested(p, i);
        });
    }

    /**
     * The elements as a list, nested arrays as nested lists.
     *
     * @param limit at most this many elements (of this array; nested lists are complete)
     * @return a new list of at most {@code limit} elements
     */
    public List<Object> toList(int limit) {
        List<Object> out = new ArrayList<>((int) Math.min(Math.max(limit, 0), Math.min(size, 1024)));
        stream().limit(Math.max(limit, 0)).forEach(v -> out.add(v instanceof GgufArray a
                ? a.toList(Integer.MAX_VALUE) : v));
        return out;
    }

    @Override
    public String toString() {
        return "GgufArray[" + key + ", " + size + " x " + elementType + "]";
    }
}
