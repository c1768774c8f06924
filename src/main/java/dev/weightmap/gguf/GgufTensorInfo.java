// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

/**
 * One tensor info of a GGUF file, validated.
 *
 * @param name           the tensor's name (unique in the file)
 * @param type           its GGML type
 * @param ne             its dims in GGUF's stored order, innermost (contiguous) first
 * @param relativeOffset its offset relative to the data section, as stored
 * @param offset         its absolute offset in the file (or image)
 * @param length         its stored byte length
 */
public record GgufTensorInfo(String name, GgmlType type, long[] ne, long relativeOffset, long offset, long length) {
    /**
     * An info.
     *
     * @param name           the tensor's name
     * @param type           its GGML type
     * @param ne             its dims, innermost first
     * @param relativeOffset its offset relative to the data section
     * @param offset         its absolute offset
     * @param length         its stored byte length
     */
    public GgufTensorInfo {
        ne = ne.clone();
    }

    /**
     * The dims in GGUF's stored order ({@code ne[0]} is the row length).
     *
     * @return a copy
     */
    @Override
    public long[] ne() {
        return ne.clone();
    }

    /**
     * The row-major shape, outermost first: {@link #ne()} reversed (the shape of gguf-py's NumPy view).
     *
     * @return a new array
     */
    public long[] shape() {
        long[] s = new long[ne.length];
        for (int i = 0; i < ne.length; i++) {
            s[i] = ne[ne.length - 1 - i];
        }
        return s;
    }

    /**
     * The number of elements (the product of {@link #ne()}; checked when the file was opened).
     *
     * @return the element count
     */
    public long elements() {
        long n = 1;
        for (long d : ne) {
            n *= d;
        }
        return n;
    }

    /**
     * The number of rows: elements divided by the row length {@code ne[0]} (0 for an empty tensor).
     *
     * @return the row count
     */
    public long rows() {
        return ne[0] == 0 ? 0 : elements() / ne[0];
    }

    /**
     * Bytes one row ({@code ne[0]} elements) takes.
     *
     * @return the row's byte length
     */
    public long rowBytes() {
        return ne[0] / type.blockSize() * type.typeSize();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GgufTensorInfo t && name.equals(t.name) && type == t.type
                && java.util.Arrays.equals(ne, t.ne) && relativeOffset == t.relativeOffset && offset == t.offset
                && length == t.length;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + java.util.Arrays.hashCode(ne);
    }

    @Override
    public String toString() {
        return name + " " + type + " ne=" + java.util.Arrays.toString(ne) + " @" + offset + "+" + length;
    }
}
