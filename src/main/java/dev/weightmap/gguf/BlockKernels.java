// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

/**
 * Dequantization kernels over many blocks at once; {@link Dequantize} uses the Vector API implementation when it
 * is available and falls back to its scalar code for every type a kernel does not take.
 */
interface BlockKernels {
    /**
     * Decodes {@code blocks} consecutive blocks of {@code type} from {@code in[0..)} into {@code out[0..)}.
     *
     * @param type   the block type
     * @param in     the blocks
     * @param blocks how many
     * @param out    the values
     * @return false when this kernel does not handle {@code type} (nothing was written)
     */
    boolean decode(GgmlType type, byte[] in, int blocks, float[] out);

    /** A kernel that handles no type: the scalar code does everything. */
    BlockKernels NONE = (type, in, blocks, out) -> false;

    /**
     * The kernel family in use.
     *
     * @return {@code "vector"} or {@code "scalar"}
     */
    default String describe() {
        return this == NONE ? "scalar" : "vector";
    }
}
