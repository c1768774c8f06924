// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.DType;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header.
 *
 * @param name  the tensor name
 * @param dtype the element type
 * @param shape the shape (do not modify)
 * @param begin first byte, relative to the start of the data section
 * @param end   one past the last byte, relative to the start of the data section
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    /**
     * Number of bytes.
     *
     * @return {@code end - begin}
     */
    public long length() {
        return end - begin;
    }

    /**
     * Absolute offset of the first byte in the file, given the data section's start ({@code 8 + N}).
     *
     * @param dataStart the offset of the data section in the file
     * @return {@code dataStart + begin}
     */
    public long absoluteOffset(long dataStart) {
        return dataStart + begin;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && t.name.equals(name) && t.dtype == dtype && Arrays.equals(t.shape, shape)
                && t.begin == begin && t.end == end;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape) + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + ": " + dtype + " " + Arrays.toString(shape) + " [" + begin + ", " + end + ")";
    }
}
