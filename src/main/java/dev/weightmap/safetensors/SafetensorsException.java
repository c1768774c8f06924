// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

/**
 * A safetensors file or operation is invalid. {@link #reason()} says which rule was broken; the message names
 * the file (when there is one), the tensor and the rule.
 */
public class SafetensorsException extends dev.weightmap.WeightmapException {
    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Reason implements dev.weightmap.WeightmapException.Reason {
        /** Fewer than 8 bytes: no header length. */
        HEADER_TOO_SMALL,
        /** The header length exceeds the configured limit (default 100,000,000 bytes). */
        HEADER_TOO_LARGE,
        /** {@code 8 + N} overflows or lies beyond the end of the file. */
        INVALID_HEADER_LENGTH,
        /** The header is not valid UTF-8. */
        INVALID_UTF8,
        /** The header is not valid JSON or does not have the safetensors structure. */
        INVALID_JSON,
        /** A key appears twice in the header (tensor name or {@code __metadata__}). */
        DUPLICATE_KEY,
        /** A dtype name is not one of the safetensors dtypes. */
        UNKNOWN_DTYPE,
        /** Data offsets leave a gap, overlap or run backwards. */
        INVALID_OFFSET,
        /** A tensor's byte length does not match its dtype and shape. */
        TENSOR_INVALID_INFO,
        /** The data section is not exactly covered by the tensors. */
        INCOMPLETE_BUFFER,
        /** A size computation overflows. */
        OVERFLOW,
        /** A sub-byte tensor or slice does not end on a byte boundary. */
        MISALIGNED_SUBBYTE,
        /** No tensor of that name. */
        TENSOR_NOT_FOUND,
        /** A slice index is out of range or malformed. */
        INVALID_SLICE,
        /** Tensors to save overlap in memory (they share storage). */
        SHARED_STORAGE,
        /** A tensor cannot be saved (for example a dtype safetensors cannot hold). */
        INVALID_TENSOR,
        /** Metadata to save is invalid (for example a reserved key). */
        INVALID_METADATA
    }

    /**
     * An exception for {@code reason} with a full message.
     *
     * @param reason the rule that was broken
     * @param message what is wrong, naming the file
     */
    public SafetensorsException(Reason reason, String message) {
        super(reason, message);
    }

    /**
     * An exception for {@code reason} with a full message and a cause.
     *
     * @param reason the rule that was broken
     * @param message what is wrong, naming the file
     * @param cause the underlying failure
     */
    public SafetensorsException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
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
