// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** The archive is not a valid DDUF file (hub's {@code DDUFCorruptedFileError}). */
public class DdufCorruptedFileException extends DdufException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message naming the archive, the entry and the rule.
     *
     * @param message the message
     */
    public DdufCorruptedFileException(String message) {
        super(Reason.DDUF_CORRUPTED, message, null);
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message the message
     * @param cause   the underlying failure
     */
    public DdufCorruptedFileException(String message, Throwable cause) {
        super(Reason.DDUF_CORRUPTED, message, cause);
    }

    /**
     * An exception of a more specific member of the family.
     *
     * @param reason  the family member
     * @param message the message
     * @param cause   the underlying failure, or null
     */
    protected DdufCorruptedFileException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
