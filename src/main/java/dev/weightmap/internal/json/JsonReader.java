// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.json;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict JSON (RFC 8259) pull reader over a range of a byte array: no String of the whole text is ever built.
 * Strings are decoded with UTF-8 validation; numbers are checked for syntax.
 *
 * <p>It indexes the array directly rather than through a {@code MemorySegment}: every document it reads (index
 * files, headers, manifests, {@code model_index.json}) is already on the heap, and plain array reads keep the
 * first parse in a fresh JVM, which runs in the interpreter, several times faster than segment accessors.
 *
 * <p>{@link #readValue()} builds plain Java values: {@link LinkedHashMap} (duplicate keys rejected),
 * {@link ArrayList}, {@link String}, {@link Long} or {@link BigInteger} for integers, {@link Double} for other
 * numbers, {@link Boolean} and {@code null}.
 */
public final class JsonReader {
    private static final int MAX_DEPTH = 512;
    private static final java.lang.invoke.VarHandle LONGS =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    private final byte[] buf;
    private final int base;
    private final int end;
    private int pos;
    private byte[] scratch = new byte[64];

    /** Reads the bytes {@code [offset, offset+length)} of {@code bytes}. */
    public JsonReader(byte[] bytes, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, bytes.length);
        this.buf = bytes;
        this.base = offset;
        this.end = offset + length;
        this.pos = offset;
    }

    /** A reader over a whole byte array. */
    public static JsonReader of(byte[] bytes) {
        return new JsonReader(bytes, 0, bytes.length);
    }

    /** Parses a complete document (one value surrounded only by whitespace). */
    public static Object parse(byte[] bytes) {
        JsonReader r = of(bytes);
        Object v = r.readValue();
        r.expectEnd();
        return v;
    }

    /** Current position relative to the start of the text. */
    public long position() {
        return pos - base;
    }

    public JsonException error(String msg) {
        return new JsonException(msg, pos - base);
    }

    private int peekByte() {
        return pos < end ? buf[pos] & 0xFF : -1;
    }

    /** Skips whitespace and returns the next byte without consuming it, or -1 at the end. */
    public int peek() {
        skipWs();
        return peekByte();
    }

    private void skipWs() {
        while (pos < end) {
            byte b = buf[pos];
            if (b == ' ' || b == '\n' || b == '\r' || b == '\t') {
                pos++;
            } else {
                return;
            }
        }
    }

    /** Consumes {@code c} after optional whitespace, or fails. */
    public void expect(char c) {
        skipWs();
        if (peekByte() != c) {
            throw error(peekByte() < 0 ? "unexpected end of input, expected '" + c + "'"
                    : "expected '" + c + "' but found " + describe(peekByte()));
        }
        pos++;
    }

    /** Consumes {@code c} if it is next (after whitespace). */
    public boolean consume(char c) {
        skipWs();
        if (peekByte() == c) {
            pos++;
            return true;
        }
        return false;
    }

    /** Fails unless only whitespace remains. */
    public void expectEnd() {
        skipWs();
        if (pos != end) {
            throw error("trailing characters: " + describe(peekByte()));
        }
    }

    private static String describe(int b) {
        if (b < 0) {
            return "end of input";
        }
        if (b >= 0x20 && b < 0x7F) {
            return "'" + (char) b + "'";
        }
        return String.format("byte 0x%02X", b);
    }

    /**
     * Inside an object, after '{' or a value: returns true and positions before the next key if there is one,
     * consuming the ',' separator; false (consuming '}') at the end.
     *
     * @param first whether no member has been read yet
     */
    public boolean nextMember(boolean first) {
        skipWs();
        int b = peekByte();
        if (b == '}') {
            pos++;
            return false;
        }
        if (!first) {
            if (b != ',') {
                throw error(b < 0 ? "unexpected end of input in object" : "expected ',' or '}' but found " + describe(b));
            }
            pos++;
            skipWs();
            b = peekByte();
        }
        if (b != '"') {
            throw error(b < 0 ? "unexpected end of input in object" : "expected a string key but found " + describe(b));
        }
        return true;
    }

    /** Like {@link #nextMember} for arrays: true before the next element, false after consuming ']'. */
    public boolean nextElement(boolean first) {
        skipWs();
        int b = peekByte();
        if (b == ']') {
            pos++;
            return false;
        }
        if (!first) {
            if (b != ',') {
                throw error(b < 0 ? "unexpected end of input in array" : "expected ',' or ']' but found " + describe(b));
            }
            pos++;
        }
        return true;
    }

    /** Reads a string (after whitespace), validating UTF-8 and escapes. */
    public String readString() {
        skipWs();
        if (peekByte() != '"') {
            throw error("expected a string but found " + describe(peekByte()));
        }
        pos++;
        // fast path: plain ASCII up to the closing quote, copied in bulk
        int scan = pos;
        while (scan < end) {
            byte c = buf[scan];
            if (c == '"') {
                int len = scan - pos;
                byte[] out = new byte[len];
                System.arraycopy(buf, pos, out, 0, len);
                pos = scan + 1;
                return new String(out, StandardCharsets.ISO_8859_1);
            }
            if (c == '\\' || c < 0x20) {
                break;
            }
            scan++;
        }
        int n = 0;
        boolean ascii = true;
        while (true) {
            if (pos >= end) {
                throw error("unterminated string");
            }
            int b = buf[pos] & 0xFF;
            if (b == '"') {
                pos++;
                break;
            }
            if (b < 0x20) {
                throw error("control character " + describe(b) + " in string");
            }
            if (b == '\\') {
                pos++;
                n = readEscape(n);
                ascii = false;
                continue;
            }
            if (b >= 0x80) {
                n = readUtf8(b, n);
                ascii = false;
                continue;
            }
            if (n == scratch.length) {
                grow(n + 1);
            }
            scratch[n++] = (byte) b;
            pos++;
        }
        return ascii ? new String(scratch, 0, n, StandardCharsets.ISO_8859_1) : new String(scratch, 0, n, StandardCharsets.UTF_8);
    }

    /**
     * Reads a string and returns the index of the candidate (raw ASCII bytes) it equals, or -1 when it equals
     * none (the string is still consumed and validated). Avoids building a String for known keys.
     */
    public int readStringMatch(byte[][] candidates) {
        skipWs();
        if (peekByte() == '"') {
            int start = pos + 1;
            int scan = start;
            while (scan < end) {
                byte c = buf[scan];
                if (c == '"') {
                    int len = scan - start;
                    outer:
                    for (int i = 0; i < candidates.length; i++) {
                        byte[] cand = candidates[i];
                        if (cand.length != len) {
                            continue;
                        }
                        for (int k = 0; k < cand.length; k++) {
                            if (buf[start + k] != cand[k]) {
                                continue outer;
                            }
                        }
                        pos = scan + 1;
                        return i;
                    }
                    break;
                }
                if (c == '\\' || c < 0x20 || c < 0) {
                    break;
                }
                scan++;
            }
        }
        String s = readString();
        for (int i = 0; i < candidates.length; i++) {
            if (s.equals(new String(candidates[i], StandardCharsets.ISO_8859_1))) {
                return i;
            }
        }
        return -1;
    }

    private void grow(int need) {
        byte[] s = new byte[Math.max(need, scratch.length * 2)];
        System.arraycopy(scratch, 0, s, 0, scratch.length);
        scratch = s;
    }

    private int readUtf8(int b0, int n) {
        int len;
        int min;
        int cp;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            len = 2;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            len = 3;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            len = 4;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            throw new JsonException("invalid UTF-8 byte " + describe(b0), pos - base, true);
        }
        if (pos + len > end) {
            throw new JsonException("truncated UTF-8 sequence", pos - base, true);
        }
        for (int i = 1; i < len; i++) {
            int c = buf[pos + i] & 0xFF;
            if ((c & 0xC0) != 0x80) {
                throw new JsonException("invalid UTF-8 continuation byte " + describe(c), pos + i - base, true);
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            throw new JsonException("invalid UTF-8 sequence", pos - base, true);
        }
        if (n + len > scratch.length) {
            grow(n + len);
        }
        System.arraycopy(buf, pos, scratch, n, len);
        pos += len;
        return n + len;
    }

    private int readEscape(int n) {
        if (pos >= end) {
            throw error("unterminated escape");
        }
        int e = buf[pos] & 0xFF;
        pos++;
        int c;
        switch (e) {
            case '"' -> c = '"';
            case '\\' -> c = '\\';
            case '/' -> c = '/';
            case 'b' -> c = '\b';
            case 'f' -> c = '\f';
            case 'n' -> c = '\n';
            case 'r' -> c = '\r';
            case 't' -> c = '\t';
            case 'u' -> {
                int u = hex4();
                if (u >= 0xD800 && u <= 0xDBFF) {
                    if (pos + 6 <= end && buf[pos] == '\\'
                            && buf[pos + 1] == 'u') {
                        pos += 2;
                        int lo = hex4();
                        if (lo < 0xDC00 || lo > 0xDFFF) {
                            throw error("invalid low surrogate \\u" + Integer.toHexString(lo));
                        }
                        c = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
                    } else {
                        throw error("lone high surrogate \\u" + Integer.toHexString(u));
                    }
                } else if (u >= 0xDC00 && u <= 0xDFFF) {
                    throw error("lone low surrogate \\u" + Integer.toHexString(u));
                } else {
                    c = u;
                }
            }
            default -> throw error("invalid escape '\\" + (char) e + "'");
        }
        if (n + 4 > scratch.length) {
            grow(n + 4);
        }
        if (c < 0x80) {
            scratch[n++] = (byte) c;
        } else if (c < 0x800) {
            scratch[n++] = (byte) (0xC0 | (c >> 6));
            scratch[n++] = (byte) (0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            scratch[n++] = (byte) (0xE0 | (c >> 12));
            scratch[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
            scratch[n++] = (byte) (0x80 | (c & 0x3F));
        } else {
            scratch[n++] = (byte) (0xF0 | (c >> 18));
            scratch[n++] = (byte) (0x80 | ((c >> 12) & 0x3F));
            scratch[n++] = (byte) (0x80 | ((c >> 6) & 0x3F));
            scratch[n++] = (byte) (0x80 | (c & 0x3F));
        }
        return n;
    }

    private int hex4() {
        if (pos + 4 > end) {
            throw error("truncated \\u escape");
        }
        int v = 0;
        for (int i = 0; i < 4; i++) {
            int h = buf[pos++] & 0xFF;
            int d = Character.digit(h, 16);
            if (d < 0 || h >= 0x80) {
                throw error("invalid hex digit in \\u escape");
            }
            v = (v << 4) | d;
        }
        return v;
    }

    /**
     * Reads a non-negative integer that fits a signed long. Anything else (minus sign, fraction, exponent,
     * overflow, a non-number) fails.
     */
    public long readNonNegativeLong() {
        skipWs();
        int start = pos;
        int b = peekByte();
        if (b == '-') {
            throw error("negative number where a non-negative integer is required");
        }
        if (b < '0' || b > '9') {
            throw error("expected a non-negative integer but found " + describe(b));
        }
        long v = 0;
        boolean overflow = false;
        if (b == '0') {
            pos++;
        } else {
            while (pos < end) {
                int d = buf[pos] - '0';
                if (d < 0 || d > 9) {
                    break;
                }
                if (v > (Long.MAX_VALUE - d) / 10) {
                    overflow = true;
                }
                v = v * 10 + d;
                pos++;
            }
        }
        int n = peekByte();
        if (n == '.' || n == 'e' || n == 'E') {
            throw new JsonException("expected an integer but found a floating-point number", start - base);
        }
        if (n >= '0' && n <= '9') {
            throw new JsonException("leading zero in number", start - base);
        }
        if (overflow) {
            throw new JsonException("integer out of range (>= 2^63)", start - base, false, true);
        }
        return v;
    }

    /** Skips one value of any type (validating it). */
    public void skipValue() {
        readValue(0, false);
    }

    /** Reads one value of any type as plain Java objects. */
    public Object readValue() {
        return readValue(0, true);
    }

    private Object readValue(int depth, boolean build) {
        if (depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH);
        }
        skipWs();
        int b = peekByte();
        switch (b) {
            case '{' -> {
                pos++;
                Map<String, Object> m = build ? new LinkedHashMap<>() : null;
                boolean first = true;
                while (nextMember(first)) {
                    first = false;
                    int keyPos = pos;
                    String k = readString();
                    expect(':');
                    Object v = readValue(depth + 1, build);
                    if (build) {
                        if (m.containsKey(k)) {
                            throw new JsonException("duplicate key \"" + k + "\"", keyPos - base);
                        }
                        m.put(k, v);
                    }
                }
                return m;
            }
            case '[' -> {
                pos++;
                List<Object> l = build ? new ArrayList<>() : null;
                boolean first = true;
                while (nextElement(first)) {
                    first = false;
                    Object v = readValue(depth + 1, build);
                    if (build) {
                        l.add(v);
                    }
                }
                return l;
            }
            case '"' -> {
                return readString();
            }
            case 't' -> {
                literal("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                literal("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                literal("null");
                return null;
            }
            default -> {
                if (b == '-' || (b >= '0' && b <= '9')) {
                    return readNumber();
                }
                throw error(b < 0 ? "unexpected end of input" : "unexpected " + describe(b));
            }
        }
    }

    private void literal(String word) {
        for (int i = 0; i < word.length(); i++) {
            if (peekByte() != word.charAt(i)) {
                throw error("invalid literal, expected " + word);
            }
            pos++;
        }
    }

    /** Reads any JSON number: Long or BigInteger for integers, Double otherwise. */
    public Number readNumber() {
        skipWs();
        int start = pos;
        if (peekByte() == '-') {
            pos++;
        }
        int b = peekByte();
        if (b == '0') {
            pos++;
        } else if (b >= '1' && b <= '9') {
            while (peekByte() >= '0' && peekByte() <= '9') {
                pos++;
            }
        } else {
            throw error("invalid number");
        }
        boolean integer = true;
        if (peekByte() == '.') {
            integer = false;
            pos++;
            if (!(peekByte() >= '0' && peekByte() <= '9')) {
                throw error("invalid number: digit expected after '.'");
            }
            while (peekByte() >= '0' && peekByte() <= '9') {
                pos++;
            }
        }
        if (peekByte() == 'e' || peekByte() == 'E') {
            integer = false;
            pos++;
            if (peekByte() == '+' || peekByte() == '-') {
                pos++;
            }
            if (!(peekByte() >= '0' && peekByte() <= '9')) {
                throw error("invalid number: digit expected in exponent");
            }
            while (peekByte() >= '0' && peekByte() <= '9') {
                pos++;
            }
        }
        int len = pos - start;
        if (len > 4096) {
            throw error("number too long");
        }
        byte[] digits = new byte[len];
        System.arraycopy(buf, start, digits, 0, len);
        String s = new String(digits, StandardCharsets.ISO_8859_1);
        if (integer) {
            if (len < 19) {
                return Long.parseLong(s);
            }
            BigInteger bi = new BigInteger(s);
            return bi.bitLength() < 64 ? (Number) bi.longValue() : bi;
        }
        return Double.parseDouble(s);
    }

    /** Validates that {@code [offset, offset+length)} is well-formed UTF-8; returns the bad offset or -1. */
    public static int findInvalidUtf8(byte[] buf, int offset, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, buf.length);
        int i = offset;
        int end = offset + length;
        while (i < end) {
            if (i + 8 <= end && ((long) LONGS.get(buf, i) & 0x8080808080808080L) == 0) {
                i += 8;
                continue;
            }
            int b0 = buf[i] & 0xFF;
            if (b0 < 0x80) {
                i++;
                continue;
            }
            int len;
            int min;
            int cp;
            if (b0 >= 0xC2 && b0 <= 0xDF) {
                len = 2;
                cp = b0 & 0x1F;
                min = 0x80;
            } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                len = 3;
                cp = b0 & 0x0F;
                min = 0x800;
            } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                len = 4;
                cp = b0 & 0x07;
                min = 0x10000;
            } else {
                return i - offset;
            }
            if (i + len > end) {
                return i - offset;
            }
            for (int k = 1; k < len; k++) {
                int c = buf[i + k] & 0xFF;
                if ((c & 0xC0) != 0x80) {
                    return i - offset;
                }
                cp = (cp << 6) | (c & 0x3F);
            }
            if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                return i - offset;
            }
            i += len;
        }
        return -1;
    }
}
