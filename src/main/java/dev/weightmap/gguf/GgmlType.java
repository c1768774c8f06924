// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.tensor.DType;

/**
 * The GGML tensor types a GGUF file may hold: every {@code GGMLQuantizationType} of gguf-py 0.19.0, with its
 * numeric id, its name as gguf-py spells it ({@link #name()}), and its block geometry from
 * {@code GGML_QUANT_SIZES}: a block of {@link #blockSize()} elements is stored in {@link #typeSize()} bytes.
 * Plain types have a block of one element and a {@link #dtype()}.
 */
public enum GgmlType {
    /** IEEE 754 single precision. */
    F32(0, 1, 4, DType.F32),
    /** IEEE 754 half precision. */
    F16(1, 1, 2, DType.F16),
    /** 4-bit, one F16 scale per 32 elements. */
    Q4_0(2, 32, 18, null),
    /** 4-bit, F16 scale and minimum per 32 elements. */
    Q4_1(3, 32, 20, null),
    /** 5-bit, one F16 scale per 32 elements. */
    Q5_0(6, 32, 22, null),
    /** 5-bit, F16 scale and minimum per 32 elements. */
    Q5_1(7, 32, 24, null),
    /** 8-bit, one F16 scale per 32 elements. */
    Q8_0(8, 32, 34, null),
    /** 8-bit, F32 scale and sum per 32 elements. */
    Q8_1(9, 32, 40, null),
    /** 2-bit K-quant, super-blocks of 256. */
    Q2_K(10, 256, 84, null),
    /** 3-bit K-quant, super-blocks of 256. */
    Q3_K(11, 256, 110, null),
    /** 4-bit K-quant, super-blocks of 256. */
    Q4_K(12, 256, 144, null),
    /** 5-bit K-quant, super-blocks of 256. */
    Q5_K(13, 256, 176, null),
    /** 6-bit K-quant, super-blocks of 256. */
    Q6_K(14, 256, 210, null),
    /** 8-bit K-quant (intermediate type), super-blocks of 256. */
    Q8_K(15, 256, 292, null),
    /** 2.06 bits per weight importance quant. */
    IQ2_XXS(16, 256, 66, null),
    /** 2.31 bits per weight importance quant. */
    IQ2_XS(17, 256, 74, null),
    /** 3.06 bits per weight importance quant. */
    IQ3_XXS(18, 256, 98, null),
    /** 1.56 bits per weight importance quant. */
    IQ1_S(19, 256, 50, null),
    /** 4-bit non-linear, blocks of 32. */
    IQ4_NL(20, 32, 18, null),
    /** 3.44 bits per weight importance quant. */
    IQ3_S(21, 256, 110, null),
    /** 2.5 bits per weight importance quant. */
    IQ2_S(22, 256, 82, null),
    /** 4.25 bits per weight non-linear, super-blocks of 256. */
    IQ4_XS(23, 256, 136, null),
    /** Signed 8-bit integer. */
    I8(24, 1, 1, DType.I8),
    /** Signed 16-bit integer. */
    I16(25, 1, 2, DType.I16),
    /** Signed 32-bit integer. */
    I32(26, 1, 4, DType.I32),
    /** Signed 64-bit integer. */
    I64(27, 1, 8, DType.I64),
    /** IEEE 754 double precision. */
    F64(28, 1, 8, DType.F64),
    /** 1.75 bits per weight importance quant. */
    IQ1_M(29, 256, 56, null),
    /** bfloat16. */
    BF16(30, 1, 2, DType.BF16),
    /** Ternary, 1.69 bits per weight. */
    TQ1_0(34, 256, 54, null),
    /** Ternary, 2.06 bits per weight. */
    TQ2_0(35, 256, 66, null),
    /** OCP MXFP4: E2M1 values with one E8M0 scale per 32 elements. */
    MXFP4(39, 32, 17, null),
    /** NVFP4: E2M1 values with FP8 scales, blocks of 64. */
    NVFP4(40, 64, 36, null),
    /** 1-bit, blocks of 128. */
    Q1_0(41, 128, 18, null);

    private static final GgmlType[] BY_ID = new GgmlType[64];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final DType dtype;

    GgmlType(int id, int blockSize, int typeSize, DType dtype) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.dtype = dtype;
    }

    /**
     * The type with a numeric id.
     *
     * @param id the id stored in a tensor info
     * @return the type, or null when gguf-py 0.19.0 knows no type of that id
     */
    public static GgmlType byId(long id) {
        return id >= 0 && id < BY_ID.length ? BY_ID[(int) id] : null;
    }

    /**
     * The type of a name as gguf-py spells it.
     *
     * @param name for example {@code "Q4_K"} (case-insensitive)
     * @return the type, or null for an unknown name
     */
    public static GgmlType byName(String name) {
        for (GgmlType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        return null;
    }

    /**
     * The numeric id stored in tensor infos.
     *
     * @return the id
     */
    public int id() {
        return id;
    }

    /**
     * Elements per block (1 for plain types).
     *
     * @return the block size
     */
    public int blockSize() {
        return blockSize;
    }

    /**
     * Bytes per block.
     *
     * @return the type size
     */
    public int typeSize() {
        return typeSize;
    }

    /**
     * Whether this is a block (quantized) type rather than a plain element type.
     *
     * @return true for block types
     */
    public boolean isQuantized() {
        return dtype == null;
    }

    /**
     * The element type of a plain type (F32 F16 BF16 F64 I8 I16 I32 I64).
     *
     * @return the dtype, or null for block types
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * Bits per weight: {@code 8 * typeSize / blockSize}.
     *
     * @return the bits per element
     */
    public double bitsPerWeight() {
        return 8.0 * typeSize / blockSize;
    }

    /**
     * Bytes that {@code elements} elements take, with checked arithmetic.
     *
     * @param elements a non-negative element count, a multiple of {@link #blockSize()}
     * @return the byte length
     * @throws ArithmeticException      when the length overflows a long
     * @throws IllegalArgumentException when {@code elements} is negative or not a whole number of blocks
     */
    public long byteLength(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            throw new IllegalArgumentException(elements + " elements are not a whole number of " + name()
                    + " blocks of " + blockSize);
        }
        return Math.multiplyExact(elements / blockSize, (long) typeSize);
    }

    /**
     * Bytes a tensor of this type with dims {@code ne} (GGUF's stored order) takes, with checked arithmetic.
     *
     * @param ne the dims, innermost first; {@code ne[0]} a multiple of {@link #blockSize()}
     * @return the byte length
     * @throws ArithmeticException      when the length or the product of the non-zero dims overflows a long
     * @throws IllegalArgumentException when a dim is negative or {@code ne[0]} is not a whole number of blocks
     */
    public long byteLength(long[] ne) {
        if (ne.length == 0) {
            return byteLength(1L);
        }
        if (ne[0] < 0 || ne[0] % blockSize != 0) {
            throw new IllegalArgumentException("row length " + ne[0] + " is not a whole number of " + name()
                    + " blocks of " + blockSize);
        }
        long n = byteLength(ne[0]);
        long nonZero = Math.max(ne[0], 1); // an empty tensor's other dims must not overflow either
        for (int i = 1; i < ne.length; i++) {
            if (ne[i] < 0) {
                throw new IllegalArgumentException("negative dim " + ne[i]);
            }
            n = Math.multiplyExact(n, ne[i]);
            nonZero = Math.multiplyExact(nonZero, Math.max(ne[i], 1));
        }
        return n;
    }
}
