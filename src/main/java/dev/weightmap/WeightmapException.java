// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * The root of every weightmap failure: a file or an operation broke a rule. {@link #reason()} is a stable
 * upper-case code (the word the {@code weightmap} command prints in {@code error: REASON: message}); the message
 * names the file, the tensor or entry, and the rule. Each format's exception ({@code SafetensorsException},
 * {@code DdufException}, {@code TorchCheckpointException}, {@code CheckpointException}, ...) extends this class
 * and narrows {@link #reason()} to its own enum, so {@code catch (WeightmapException e)} catches them all.
 *
 * <p>Everything an exception holds and does is here: the reason, the file, the tensor or entry, {@link #inFile},
 * {@link #code()} and {@link #reasonOf}. A format's subclass adds only its {@code Reason} enum, constructors that
 * pass through, and a covariant {@code reason()} override ({@code return (Reason) super.reason();}) so callers
 * get the format's enum without a cast: Java allows no generic subclass of {@code Throwable}, so that one line is
 * the price of a typed reason.
 *
 * <p>Unchecked, like the format exceptions. Missing files stay {@link NoSuchFileException} and other I/O failures
 * stay {@link IOException}; a reader used after {@code close()} throws {@link WeightsClosedException}.
 */
public class WeightmapException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * A reason code. Every format's {@code Reason} enum implements it; {@link #name()} is the stable code.
     */
    public interface Reason {
        /**
         * The stable upper-case code.
         *
         * @return the code, for example {@code HEADER_TOO_LARGE}
         */
        String name();
    }

    /** Reasons that belong to no single format. */
    public enum Common implements Reason {
        /** The input's content matches no format weightmap reads. */
        UNKNOWN_FORMAT,
        /** The input is of a known format that weightmap does not read (yet), or a variant it does not support. */
        UNSUPPORTED_FORMAT,
        /** A file changed (was truncated or replaced) while it was being read. */
        FILE_CHANGED,
        /** A path that must name a regular file names a directory, device, FIFO, socket or other special file. */
        NOT_A_REGULAR_FILE,
        /** A configured bound (header size, index size, work budget) was exceeded. */
        LIMIT_EXCEEDED,
        /** An operation would produce far more bytes than its input holds and was not explicitly allowed. */
        AMPLIFICATION,
        /** An argument given to a library method is invalid. */
        INVALID_ARGUMENT,
        /** Data did not hash to the recorded value. */
        CHECKSUM_MISMATCH,
        /** The tensor asked for does not exist. */
        TENSOR_NOT_FOUND,
        /** A reader was used after it was closed. */
        CLOSED,
        /** An I/O operation failed. */
        IO_ERROR
    }

    /** The broken rule, as {@link #reason()} returns it. */
    private final Reason reason;
    /** The file the failure concerns, or null until a caller names it. */
    private volatile String file;
    /** The tensor or entry the failure concerns, or null. */
    private final String item;

    /**
     * An exception for {@code reason} with a full message.
     *
     * @param reason  the rule that was broken
     * @param message the message, naming the file, the tensor or entry and the rule
     */
    public WeightmapException(Reason reason, String message) {
        this(reason, null, null, message, null);
    }

    /**
     * An exception for {@code reason} with a full message and a cause.
     *
     * @param reason  the rule that was broken
     * @param message the message, naming the file, the tensor or entry and the rule
     * @param cause   the underlying failure
     */
    public WeightmapException(Reason reason, String message, Throwable cause) {
        this(reason, null, null, message, cause);
    }

    /**
     * An exception for {@code reason} about a file and one of its tensors or entries.
     *
     * @param reason  the rule that was broken
     * @param file    the file (path or display name), or null
     * @param item    the tensor or entry concerned, or null
     * @param message the message, naming the file, the tensor or entry and the rule
     * @param cause   the underlying failure, or null
     */
    public WeightmapException(Reason reason, String file, String item, String message, Throwable cause) {
        super(message, cause);
        if (reason == null) {
            throw new NullPointerException("reason");
        }
        this.reason = reason;
        this.file = file;
        this.item = item;
    }

    /**
     * The rule that was broken.
     *
     * @return the reason; its {@code name()} is the stable code
     */
    public Reason reason() {
        return reason;
    }

    /**
     * The stable upper-case code of {@link #reason()}.
     *
     * @return the code the CLI prints
     */
    public final String code() {
        return reason.name();
    }

    /**
     * The file concerned (its path as given, or a display name for in-memory images).
     *
     * @return the file, or null when the failure concerns no single file or the thrower did not know it
     */
    public final String file() {
        return file;
    }

    /**
     * The tensor or archive entry concerned.
     *
     * @return its name, or null when the failure concerns no single tensor or entry
     */
    public final String item() {
        return item;
    }

    /**
     * Records the file concerned when the thrower did not know it (openers call this as the exception passes
     * through them). Does nothing when a file is already recorded.
     *
     * @param name the file's path or display name
     * @return this exception
     */
    public final WeightmapException inFile(String name) {
        if (file == null) {
            file = name;
        }
        return this;
    }

    /**
     * The stable code for any failure, as the {@code weightmap} command prints it: a {@link WeightmapException}'s
     * or {@link WeightsClosedException}'s reason, {@code NOT_FOUND} for a missing file, {@code PERMISSION_DENIED},
     * {@code CLOSED} for the JDK's exception on a closed segment, {@code FILE_CHANGED} for its error on a read of a
     * truncated mapped file, {@code IO_ERROR} for other I/O failures and {@code INTERNAL} for anything else (a bug).
     *
     * @param failure any throwable
     * @return its code
     */
    public static String reasonOf(Throwable failure) {
        if (failure instanceof WeightmapException w) {
            return w.code();
        }
        if (failure instanceof WeightsClosedException c) {
            return c.reason().name();
        }
        if (failure instanceof InternalError && failure.getMessage() != null
                && failure.getMessage().contains("unsafe memory access")) {
            return Common.FILE_CHANGED.name(); // the JDK's error for a read of a mapped file that was truncated
        }
        if (failure instanceof IllegalStateException) {
            return Common.CLOSED.name(); // the JDK's exception for a segment whose arena is closed
        }
        if (failure instanceof NoSuchFileException) {
            return "NOT_FOUND";
        }
        if (failure instanceof AccessDeniedException) {
            return "PERMISSION_DENIED";
        }
        if (failure instanceof IOException || failure instanceof java.io.UncheckedIOException) {
            return Common.IO_ERROR.name();
        }
        return "INTERNAL";
    }
}
