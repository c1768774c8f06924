// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

/**
 * A PyTorch checkpoint is invalid, unsafe or unsupported. {@link #reason()} says which rule was broken; the
 * message names the file, the record or tensor and the rule.
 */
public class TorchCheckpointException extends dev.weightmap.WeightmapException {
    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Reason implements dev.weightmap.WeightmapException.Reason {
        /** Not a zip checkpoint nor a legacy pickle stream. */
        NOT_A_CHECKPOINT,
        /** The zip container is broken (records out of bounds, truncated, compressed ...). */
        CORRUPT_ARCHIVE,
        /** A record ({@code data.pkl}, {@code data/<key>}) is missing. */
        MISSING_RECORD,
        /** The pickle names a global outside the allowlist. */
        FORBIDDEN_GLOBAL,
        /** The pickle stream is malformed (bad opcode, stack underflow, missing STOP, truncated ...). */
        INVALID_PICKLE,
        /** A bound on memo, stack, depth, string or container size was exceeded. */
        LIMIT_EXCEEDED,
        /** A storage record is shorter or longer than its element count requires. */
        STORAGE_SIZE_MISMATCH,
        /** A tensor view lies outside its storage, or has negative strides or offsets, or mismatched ranks. */
        INVALID_VIEW,
        /** A dtype or storage type weightmap does not know. */
        UNSUPPORTED_DTYPE,
        /** A feature of the format weightmap does not support. */
        UNSUPPORTED,
        /** No tensor of that name. */
        TENSOR_NOT_FOUND,
        /** A tensor cannot be written. */
        INVALID_TENSOR
    }

    /**
     * An exception for {@code reason} with a full message.
     *
     * @param reason the rule that was broken
     * @param message what is wrong, naming the file
     */
    public TorchCheckpointException(Reason reason, String message) {
        super(reason, message);
    }

    /**
     * An exception for {@code reason} with a full message and a cause.
     *
     * @param reason the rule that was broken
     * @param message what is wrong, naming the file
     * @param cause the underlying failure
     */
    public TorchCheckpointException(Reason reason, String message, Throwable cause) {
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
