// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** The archive is not a valid DDUF file (hub's {@code DDUFCorruptedFileError}). */
public class DdufCorruptedFileException extends DdufException {
    /** An exception with a message naming the archive, the entry and the rule. */
    public DdufCorruptedFileException(String message) {
        super(message);
    }

    /** An exception with a message and a cause. */
    public DdufCorruptedFileException(String message, Throwable cause) {
        super(message, cause);
    }

    @Override
    public String reason() {
        return "DDUF_CORRUPTED";
    }
}
