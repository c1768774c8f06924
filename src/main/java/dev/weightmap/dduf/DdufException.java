// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.WeightmapException;

/** Base of the DDUF error family (huggingface_hub's {@code DDUFError}). */
public class DdufException extends WeightmapException {
    private static final long serialVersionUID = 1L;

    /** The DDUF error family's reasons, one per hub error class. */
    public enum Reason implements WeightmapException.Reason {
        /** Any DDUF error (hub's {@code DDUFError}). */
        DDUF_ERROR,
        /** The archive is not a valid DDUF file (hub's {@code DDUFCorruptedFileError}). */
        DDUF_CORRUPTED,
        /** Exporting failed (hub's {@code DDUFExportError}). */
        DDUF_EXPORT,
        /** An entry name breaks the naming rules (hub's {@code DDUFInvalidEntryNameError}). */
        DDUF_INVALID_ENTRY_NAME,
        /** A tensor asked for by name ({@code entry::tensor}) does not exist. */
        TENSOR_NOT_FOUND
    }

    /**
     * An exception with a message naming the archive, the entry and the rule.
     *
     * @param message the message
     */
    public DdufException(String message) {
        this(Reason.DDUF_ERROR, message, null);
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message the message
     * @param cause   the underlying failure
     */
    public DdufException(String message, Throwable cause) {
        this(Reason.DDUF_ERROR, message, cause);
    }

    /**
     * An exception of the family for {@code reason}.
     *
     * @param reason  the family member
     * @param message the message
     * @param cause   the underlying failure, or null
     */
    protected DdufException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }

    /**
     * The family member: {@code DDUF_ERROR}, {@code DDUF_CORRUPTED}, {@code DDUF_EXPORT} or
     * {@code DDUF_INVALID_ENTRY_NAME}.
     *
     * @return the reason
     */
    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }
}
