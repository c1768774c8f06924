// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

/**
 * A ZIP structure is malformed. The message names the entry (when one is concerned) and the rule that was
 * broken; each format maps this internal type to its own public exception.
 */
public final class ZipFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String entryName;
    private final String rule;

    /** A structural error not tied to one entry. */
    public ZipFormatException(String rule) {
        this(null, rule, null);
    }

    /** An error concerning {@code entryName} (may be null). */
    public ZipFormatException(String entryName, String rule) {
        this(entryName, rule, null);
    }

    /** An error concerning {@code entryName} (may be null) with a cause. */
    public ZipFormatException(String entryName, String rule, Throwable cause) {
        super(entryName == null ? rule : "entry '" + entryName + "': " + rule, cause);
        this.entryName = entryName;
        this.rule = rule;
    }

    /** The entry concerned, or null when the error is about the archive as a whole. */
    public String entryName() {
        return entryName;
    }

    /** The broken rule, without the entry prefix. */
    public String rule() {
        return rule;
    }
}
