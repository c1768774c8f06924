package dev.weightmap.internal.json;

/** A JSON syntax or structure error at a byte position. */
public final class JsonException extends RuntimeException {
    private final long position;
    private final boolean utf8;

    public JsonException(String message, long position) {
        this(message, position, false);
    }

    public JsonException(String message, long position, boolean utf8) {
        super(message + " at byte " + position);
        this.position = position;
        this.utf8 = utf8;
    }

    /** Byte offset (from the start of the parsed text) where the error was found. */
    public long position() {
        return position;
    }

    /** Whether the error is invalid UTF-8 rather than JSON syntax. */
    public boolean isUtf8Error() {
        return utf8;
    }
}
