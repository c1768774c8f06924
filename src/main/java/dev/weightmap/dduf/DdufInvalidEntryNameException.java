// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** An entry name breaks the DDUF naming rules (hub's {@code DDUFInvalidEntryNameError}). */
public class DdufInvalidEntryNameException extends DdufExportException {
    private static final long serialVersionUID = 1L;

    /**
     * An exception with a message naming the entry and the rule.
     *
     * @param message the message
     */
    public DdufInvalidEntryNameException(String message) {
        super(Reason.DDUF_INVALID_ENTRY_NAME, message, null);
    }
}
