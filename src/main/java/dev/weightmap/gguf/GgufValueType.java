// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

/**
 * The 13 metadata value types of GGUF, with their ids and names as gguf-py spells them ({@code GGUFValueType}).
 *
 * <p>Java types of values ({@link GgufFile#metadata()}): {@code UINT8}, {@code INT8}, {@code UINT16},
 * {@code INT16}, {@code INT32} as {@link Integer}; {@code UINT32}, {@code INT64} as {@link Long}; {@code UINT64} as
 * {@link java.math.BigInteger} (exact); {@code FLOAT32} as {@link Float}; {@code FLOAT64} as {@link Double};
 * {@code BOOL} as {@link Boolean}; {@code STRING} as {@link String}; {@code ARRAY} as {@link GgufArray}.
 */
public enum GgufValueType {
    /** Unsigned 8-bit integer. */
    UINT8(0, 1),
    /** Signed 8-bit integer. */
    INT8(1, 1),
    /** Unsigned 16-bit integer. */
    UINT16(2, 2),
    /** Signed 16-bit integer. */
    INT16(3, 2),
    /** Unsigned 32-bit integer. */
    UINT32(4, 4),
    /** Signed 32-bit integer. */
    INT32(5, 4),
    /** IEEE 754 single precision. */
    FLOAT32(6, 4),
    /** One byte, 0 or 1. */
    BOOL(7, 1),
    /** A u64 byte length, then UTF-8 bytes. */
    STRING(8, -1),
    /** A u32 element type, a u64 count, then the elements. */
    ARRAY(9, -1),
    /** Unsigned 64-bit integer. */
    UINT64(10, 8),
    /** Signed 64-bit integer. */
    INT64(11, 8),
    /** IEEE 754 double precision. */
    FLOAT64(12, 8);

    private static final GgufValueType[] BY_ID = values();

    private final int id;
    private final int size;

    GgufValueType(int id, int size) {
        this.id = id;
        this.size = size;
    }

    /**
     * The type of an id.
     *
     * @param id the stored u32
     * @return the type, or null for an unknown id
     */
    public static GgufValueType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /**
     * The stored id.
     *
     * @return the id
     */
    public int id() {
        return id;
    }

    /**
     * The fixed byte size of a value.
     *
     * @return the size, or -1 for {@code STRING} and {@code ARRAY}
     */
    public int fixedSize() {
        return size;
    }

    /**
     * Whether the type is an integer type.
     *
     * @return true for the eight integer types
     */
    public boolean isInteger() {
        return this != FLOAT32 && this != FLOAT64 && this != BOOL && this != STRING && this != ARRAY;
    }
}
