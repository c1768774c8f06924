// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.tensor.DType;

import java.nio.file.Path;
import java.util.Map;

/**
 * Where one tensor lives: the tensor object of {@code inspect --json}, the same for every format.
 *
 * @param name      the tensor's name in {@link Weights#tensorNames()}
 * @param dtype     its element type
 * @param shape     its shape (row-major, outermost first)
 * @param file      the file holding its bytes
 * @param offset    absolute offset in that file of its first byte
 * @param length    bytes it spans in the file
 * @param alignment the largest power of two, at most 4096, that divides {@code offset}
 * @param extras    format-specific fields ({@code entry} for DDUF, {@code stride}/{@code storage} for torch ...),
 *                  in print order; never one of the common names
 */
public record TensorLocation(String name, DType dtype, long[] shape, Path file, long offset, long length, int alignment,
                             Map<String, Object> extras) {
    /**
     * A location.
     *
     * @param name      the tensor's name
     * @param dtype     its element type
     * @param shape     its shape
     * @param file      the file holding its bytes
     * @param offset    absolute offset of its first byte
     * @param length    bytes it spans
     * @param alignment the largest power of two, at most 4096, dividing {@code offset}
     * @param extras    format-specific fields
     */
    public TensorLocation {
        shape = shape.clone();
        extras = extras.isEmpty() ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(extras));
    }

    /**
     * The largest power of two, at most 4096, dividing a file offset.
     *
     * @param offset a file offset
     * @return its alignment
     */
    public static int alignmentOf(long offset) {
        return offset == 0 ? 4096 : (int) Math.min(4096, Long.lowestOneBit(offset));
    }

    /**
     * The shape.
     *
     * @return a copy of the shape
     */
    @Override
    public long[] shape() {
        return shape.clone();
    }
}
