// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

/** Base of the DDUF error family (huggingface_hub's {@code DDUFError}). */
public class DdufException extends RuntimeException {
    /** An exception with a message naming the archive, the entry and the rule. */
    public DdufException(String message) {
        super(message);
    }

    /** An exception with a message and a cause. */
    public DdufException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Short machine-readable reason for the CLI's {@code error: REASON: message} line. */
    public String reason() {
        return "DDUF_ERROR";
    }
}
