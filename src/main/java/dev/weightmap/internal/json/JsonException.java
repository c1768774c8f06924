// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.json;

/** A JSON syntax or structure error at a byte position. */
public final class JsonException extends RuntimeException {
    private final long position;
    private final boolean utf8;
    private final boolean overflow;

    public JsonException(String message, long position) {
        this(message, position, false);
    }

    public JsonException(String message, long position, boolean utf8) {
        this(message, position, utf8, false);
    }

    /** An error that is an integer too large for a {@code long} ({@code overflow}) or invalid UTF-8 ({@code utf8}). */
    public JsonException(String message, long position, boolean utf8, boolean overflow) {
        super(message + " at byte " + position);
        this.position = position;
        this.utf8 = utf8;
        this.overflow = overflow;
    }

    /** Byte offset (from the start of the parsed text) where the error was found. */
    public long position() {
        return position;
    }

    /** Whether the error is invalid UTF-8 rather than JSON syntax. */
    public boolean isUtf8Error() {
        return utf8;
    }

    /** Whether the error is an integer that does not fit a signed 64-bit long. */
    public boolean isOverflow() {
        return overflow;
    }
}
