// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** An entry name breaks the DDUF naming rules (hub's {@code DDUFInvalidEntryNameError}). */
public class DdufInvalidEntryNameException extends DdufExportException {
    /** An exception with a message naming the entry and the rule. */
    public DdufInvalidEntryNameException(String message) {
        super(message);
    }

    @Override
    public String reason() {
        return "DDUF_INVALID_ENTRY_NAME";
    }
}
