// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** Exporting a DDUF archive failed (hub's {@code DDUFExportError}). */
public class DdufExportException extends DdufException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message naming the entry and the rule.
     *
     * @param message the message
     */
    public DdufExportException(String message) {
        super(Reason.DDUF_EXPORT, message, null);
    }

    /**
     * An exception with a message and a cause.
     *
     * @param message the message
     * @param cause   the underlying failure
     */
    public DdufExportException(String message, Throwable cause) {
        super(Reason.DDUF_EXPORT, message, cause);
    }

    /**
     * An exception of a more specific member of the family.
     *
     * @param reason  the family member
     * @param message the message
     * @param cause   the underlying failure, or null
     */
    protected DdufExportException(Reason reason, String message, Throwable cause) {
        super(reason, message, cause);
    }
}
