// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

/**
 * Dequantization and quantization kernels over many blocks at once; {@link Dequantize} and {@link Quantize} use
 * the Vector API implementation when it is available and fall back to their scalar code for every type (or block)
 * a kernel does not take.
 */
interface BlockKernels {
    /**
     * Decodes {@code blocks} consecutive blocks of {@code type} from {@code in[0..)} into little-endian float32
     * values at {@code out[at..)}.
     *
     * @param type   the block type
     * @param in     the blocks
     * @param blocks how many
     * @param out    the values' memory (a native segment, or a heap one over a {@code float[]})
     * @param at     the byte offset of the first value
     * @return false when this kernel does not handle {@code type} (nothing was written)
     */
    boolean decode(GgmlType type, byte[] in, int blocks, java.lang.foreign.MemorySegment out, long at);

    /**
     * Quantizes {@code blocks} consecutive blocks of {@code type} from {@code src[off..)} into
     * {@code out[at..)}, with exactly the bytes of {@link Quantize}'s scalar code.
     *
     * @param type   the block type
     * @param src    the values
     * @param off    the first value
     * @param blocks how many blocks
     * @param out    the stored bytes
     * @param at     where the first block goes
     * @return false when this kernel does not handle {@code type} (nothing was written)
     */
    default boolean encode(GgmlType type, float[] src, int off, int blocks, byte[] out, int at) {
        return false;
    }

    /** A kernel that handles no type: the scalar code does everything. */
    BlockKernels NONE = (type, in, blocks, out, at) -> false;

    /**
     * The kernel family in use.
     *
     * @return {@code "vector"} or {@code "scalar"}
     */
    default String describe() {
        return this == NONE ? "scalar" : "vector";
    }
}
