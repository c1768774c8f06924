// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import java.util.HashMap;
import java.util.Map;

/**
 * Element types of tensors: the 22 safetensors dtypes, with their exact header names and bit sizes, plus the
 * types PyTorch checkpoints need beyond them ({@link #C128}).
 *
 * <p>Declaration order is the safetensors enum order; {@link #writeRank()} gives the order the Rust writer lays
 * tensors out in (descending enum order: U64 first, BOOL last).
 */
public enum DType {
    /** Boolean, one byte per element (values are not validated). */
    BOOL("BOOL", 8, true),
    /** OCP MXFP4 E2M1, two values per byte (torch {@code float4_e2m1fn_x2}). */
    F4("F4", 4, true),
    /** OCP MXFP6 E2M3. */
    F6_E2M3("F6_E2M3", 6, true),
    /** OCP MXFP6 E3M2. */
    F6_E3M2("F6_E3M2", 6, true),
    /** Unsigned 8-bit integer. */
    U8("U8", 8, true),
    /** Signed 8-bit integer. */
    I8("I8", 8, true),
    /** FP8 E5M2 (torch {@code float8_e5m2}). */
    F8_E5M2("F8_E5M2", 8, true),
    /** FP8 E4M3, finite only (torch {@code float8_e4m3fn}). */
    F8_E4M3("F8_E4M3", 8, true),
    /** OCP E8M0 scale (torch {@code float8_e8m0fnu}). */
    F8_E8M0("F8_E8M0", 8, true),
    /** FP8 E4M3, finite, unsigned zero (torch {@code float8_e4m3fnuz}). */
    F8_E4M3FNUZ("F8_E4M3FNUZ", 8, true),
    /** FP8 E5M2, finite, unsigned zero (torch {@code float8_e5m2fnuz}). */
    F8_E5M2FNUZ("F8_E5M2FNUZ", 8, true),
    /** Signed 16-bit integer. */
    I16("I16", 16, true),
    /** Unsigned 16-bit integer. */
    U16("U16", 16, true),
    /** IEEE 754 half precision. */
    F16("F16", 16, true),
    /** bfloat16. */
    BF16("BF16", 16, true),
    /** Signed 32-bit integer. */
    I32("I32", 32, true),
    /** Unsigned 32-bit integer. */
    U32("U32", 32, true),
    /** IEEE 754 single precision. */
    F32("F32", 32, true),
    /** Complex of two F32 (real, imaginary). */
    C64("C64", 64, true),
    /** IEEE 754 double precision. */
    F64("F64", 64, true),
    /** Signed 64-bit integer. */
    I64("I64", 64, true),
    /** Unsigned 64-bit integer. */
    U64("U64", 64, true),
    /** Complex of two F64 (torch {@code complex128}); not a safetensors dtype. */
    C128("C128", 128, false);

    private static final Map<String, DType> BY_NAME = new HashMap<>();

    static {
        for (DType t : values()) {
            BY_NAME.put(t.headerName, t);
        }
    }

    private final String headerName;
    private final int bits;
    private final boolean safetensors;

    DType(String headerName, int bits, boolean safetensors) {
        this.headerName = headerName;
        this.bits = bits;
        this.safetensors = safetensors;
    }

    /**
     * The exact name used in safetensors headers (for example {@code "F32"}).
     *
     * @return the header name
     */
    public String headerName() {
        return headerName;
    }

    /**
     * Size of one element in bits (4, 6, 8, 16, 32, 64 or 128).
     *
     * @return the element width in bits
     */
    public int bits() {
        return bits;
    }

    /**
     * Size of one element in bytes; only for dtypes of 8 bits or more.
     *
     * @return the element width in bytes
     */
    public int byteSize() {
        if (bits < 8) {
            throw new UnsupportedOperationException(headerName + " is a sub-byte dtype (" + bits + " bits)");
        }
        return bits / 8;
    }

    /**
     * Whether elements are smaller than a byte (F4, F6_E2M3, F6_E3M2).
     *
     * @return true for 4- and 6-bit dtypes
     */
    public boolean isSubByte() {
        return bits < 8;
    }

    /**
     * Whether safetensors can store this dtype.
     *
     * @return true for every dtype but C128
     */
    public boolean isSafetensors() {
        return safetensors;
    }

    /**
     * Whether elements are floating point (including FP8/FP6/FP4 and E8M0; complex excluded).
     *
     * @return true for floating-point dtypes
     */
    public boolean isFloatingPoint() {
        return switch (this) {
            case F4, F6_E2M3, F6_E3M2, F8_E5M2, F8_E4M3, F8_E8M0, F8_E4M3FNUZ, F8_E5M2FNUZ, F16, BF16, F32, F64 -> true;
            default -> false;
        };
    }

    /**
     * Whether elements are complex numbers.
     *
     * @return true for complex dtypes
     */
    public boolean isComplex() {
        return this == C64 || this == C128;
    }

    /**
     * Rank in the Rust writer's layout order: 0 for U64 (laid out first) up to 21 for BOOL (last).
     * C128, which safetensors cannot hold, ranks before U64.
     *
     * @return the rank, from -1 (C128) to 21 (BOOL)
     */
    public int writeRank() {
        return this == C128 ? -1 : U64.ordinal() - ordinal();
    }

    /**
     * The dtype with this exact (case-sensitive) header name, or {@code null}.
     *
     * @param name a safetensors header name such as {@code "BF16"}
     * @return the dtype, or null when no dtype has that name
     */
    public static DType fromHeaderName(String name) {
        return BY_NAME.get(name);
    }

    /**
     * Number of elements of a shape (1 for a 0-dim shape).
     *
     * @param shape the dimensions, outermost first
     * @return the product of the dimensions
     * @throws ArithmeticException when the product overflows a {@code long}
     * @throws IllegalArgumentException when a dimension is negative
     */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension " + d);
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /**
     * Byte length of {@code numel} elements: {@code numel * bits / 8}.
     *
     * @param numel a number of elements
     * @return the number of bytes
     * @throws ArithmeticException when {@code numel * bits} overflows a {@code long}
     * @throws IllegalArgumentException when {@code numel * bits} is not a multiple of 8 (sub-byte dtypes)
     */
    public long byteLength(long numel) {
        long totalBits = Math.multiplyExact(numel, (long) bits);
        if ((totalBits & 7) != 0) {
            throw new IllegalArgumentException(numel + " elements of " + headerName + " do not end on a byte boundary");
        }
        return totalBits >>> 3;
    }

    /**
     * Byte length of a tensor of this dtype and shape; see {@link #byteLength(long)} and {@link #numel(long[])}.
     *
     * @param shape the dimensions, outermost first
     * @return the number of bytes
     */
    public long byteLength(long[] shape) {
        return byteLength(numel(shape));
    }
}
