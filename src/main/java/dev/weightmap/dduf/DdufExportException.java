// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** Exporting a DDUF archive failed (hub's {@code DDUFExportError}). */
public class DdufExportException extends DdufException {
    /** An exception with a message naming the entry and the rule. */
    public DdufExportException(String message) {
        super(message);
    }

    /** An exception with a message and a cause. */
    public DdufExportException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String reason() {
        return "DDUF_EXPORT";
    }
}
