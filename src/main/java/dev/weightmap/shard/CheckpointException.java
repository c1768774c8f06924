// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

/**
 * A checkpoint (file, folder or index) cannot be planned, saved or loaded. {@link #reason()} says which rule was
 * broken; the message follows huggingface_hub's where hub has one.
 */
public class CheckpointException extends dev.weightmap.WeightmapException {
    private static final long serialVersionUID = 1L;

    /** The rule that was broken. */
    public enum Reason implements dev.weightmap.WeightmapException.Reason {
        /** A shard size string or value is invalid. */
        INVALID_SIZE,
        /** A filename pattern is invalid. */
        INVALID_PATTERN,
        /** Shared tensors cannot be saved (no complete tensor in a group, or a partial overlap). */
        SHARED_TENSORS,
        /** User metadata sets a reserved key. */
        INVALID_METADATA,
        /**
         * {@code safe = true} refused a pickle checkpoint: a torch file, or a filename pattern that does not
         * describe safetensors files (huggingface_hub 2.0's {@code safe} rule).
         */
        PICKLE_REFUSED,
        /** The folder does not contain a valid checkpoint. */
        NO_CHECKPOINT,
        /** The index file is invalid (JSON, structure, or an unsafe shard name). */
        INVALID_INDEX,
        /** The index and the shards disagree. */
        INDEX_MISMATCH,
        /** A safetensors file's {@code format} metadata is not supported. */
        UNSUPPORTED_FORMAT,
        /** Strict loading found missing or unexpected keys. */
        KEY_MISMATCH,
        /** A tensor's dtype or shape does not match its destination. */
        SHAPE_MISMATCH,
        /** A strided tensor was given with {@code forceContiguous(false)}. */
        NON_CONTIGUOUS,
        /** The checkpoint holds no tensor of the name asked for. */
        TENSOR_NOT_FOUND,

        /** A configured bound was exceeded (an index file larger than {@code LoadOptions.maxIndexBytes()}). */
        LIMIT_EXCEEDED
    }

    /**
     * An exception for {@code reason} with a full message.
     *
     * @param reason  the rule that was broken
     * @param message the message, naming the file and the rule
     */
    public CheckpointException(Reason reason, String message) {
        super(reason, message);
    }

    /**
     * An exception for {@code reason} with a full message and a cause.
     *
     * @param reason  the rule that was broken
     * @param message the message, naming the file and the rule
     * @param cause   the underlying failure
     */
    public CheckpointException(Reason reason, String message, Throwable cause) {
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
