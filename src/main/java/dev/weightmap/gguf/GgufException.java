// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.WeightmapException;

/**
 * A GGUF file or operation is invalid. {@link #reason()} says which rule was broken; the message names the file,
 * the metadata key or tensor, and the rule.
 */
public class GgufException extends WeightmapException {
    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Reason implements WeightmapException.Reason {
        /** The file does not start with the {@code GGUF} magic. */
        INVALID_MAGIC,
        /** A version other than 2 or 3 (version 1 used 32-bit counts and is not read). */
        UNSUPPORTED_VERSION,
        /** A big-endian GGUF file: recognised, not read. */
        BIG_ENDIAN,
        /** The file ends inside the header, a key, a value or a tensor info. */
        TRUNCATED,
        /** A count or length claims more than the rest of the file can hold. */
        COUNT_TOO_LARGE,
        /** A metadata value type id is not one of the 13 GGUF value types. */
        UNKNOWN_VALUE_TYPE,
        /** A key, string or tensor name is not valid UTF-8. */
        INVALID_UTF8,
        /** A metadata key appears twice. */
        DUPLICATE_KEY,
        /** Arrays are nested deeper than the reader allows. */
        NESTING_TOO_DEEP,
        /** A value is malformed (a BOOL that is not 0 or 1). */
        INVALID_VALUE,
        /** {@code general.alignment} is not a u32 non-zero power of two. */
        INVALID_ALIGNMENT,
        /** A tensor name appears twice. */
        DUPLICATE_TENSOR,
        /** A tensor's dimension count is not 1 to 4. */
        INVALID_DIMS,
        /** A tensor's GGML type id is unknown. */
        UNKNOWN_GGML_TYPE,
        /** A tensor's dims overflow, are negative, or its row is not a whole number of blocks. */
        INVALID_SHAPE,
        /** A tensor's offset is not aligned to the file's alignment. */
        UNALIGNED_OFFSET,
        /** A tensor's bytes lie beyond the end of the file. */
        OUT_OF_BOUNDS,
        /** Two tensors' bytes overlap. */
        OVERLAP,
        /** No tensor of that name. */
        TENSOR_NOT_FOUND,
        /** No metadata key of that name. */
        KEY_NOT_FOUND,
        /** A metadata value is not of the type asked for. */
        WRONG_TYPE,
        /** The operation does not support this GGML type (for example dequantizing it). */
        UNSUPPORTED_TYPE,
        /** An argument given to a method is invalid (an index or a row range out of bounds). */
        INVALID_ARGUMENT
    }

    /**
     * An exception for {@code reason} about a file and one of its keys or tensors.
     *
     * @param reason  the rule that was broken
     * @param file    the file's path or display name
     * @param item    the key or tensor concerned, or null
     * @param message the full message, naming the file, the key or tensor and the rule
     */
    public GgufException(Reason reason, String file, String item, String message) {
        super(reason, file, item, message, null);
    }

    /**
     * The rule that was broken.
     *
     * @return the reason
     */
    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }
}
