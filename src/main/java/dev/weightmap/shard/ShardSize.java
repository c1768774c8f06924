// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Shard size strings, as huggingface_hub's {@code parse_size_to_int} reads them, plus binary units.
 *
 * <p>Accepted: a number in Python {@code float()} syntax (decimals, exponents, underscores between digits, a
 * sign), optional spaces, then a unit, case-insensitive: decimal {@code KB MB GB TB} (10^3 .. 10^12, as hub) or
 * binary {@code KiB MiB GiB TiB} (2^10 .. 2^40, a weightmap extension). The value is {@code (long) (number *
 * unit)}, truncated toward zero like Python's {@code int()}. A bare non-negative integer ({@code "9000"},
 * digits with single underscores) is a number of bytes, as an {@code int max_shard_size} is for hub (hub's
 * {@code parse_size_to_int} itself refuses it with {@code Unit '00' not supported}; a weightmap extension).
 * Error messages repeat hub's where hub has one.
 */
public final class ShardSize {
    /** hub's default {@code max_shard_size}: {@code "5GB"} = 5,000,000,000 bytes. */
    public static final long DEFAULT = 5_000_000_000L;

    // Python float() literal grammar (after strip): sign, digits with single underscores, fraction, exponent;
    // or inf / infinity / nan in any case.
    private static final String DIGITS = "[0-9](?:_?[0-9])*";
    private static final Pattern BARE_INTEGER = Pattern.compile(DIGITS);
    private static final Pattern PY_FLOAT = Pattern.compile("[+-]?(?:(?:(?:" + DIGITS + ")?\\." + DIGITS + "|"
            + DIGITS + "\\.?)(?:[eE][+-]?" + DIGITS + ")?|(?i:inf|infinity|nan))");

    private ShardSize() {
    }

    /**
     * Parses a size string such as {@code "5GB"}, {@code " 1.5 gb"}, {@code "1e3KB"} or {@code "512MiB"}.
     *
     * @param size the size text: a number, then a unit such as {@code KB}, {@code GB} or {@code MiB}
     * @return the size in bytes
     * @throws CheckpointException {@code INVALID_SIZE} with hub's message for an unknown unit
     *                             ({@code Unit 'XB' not supported. ...}), an unparsable number
     *                             ({@code Could not parse the size value from '...': ...}), or a value that is
     *                             not a finite number of bytes
     */
    public static long parse(String size) {
        if (size == null) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "size string is null");
        }
        String s = size.strip();
        if (BARE_INTEGER.matcher(s).matches()) {
            try {
                return Long.parseLong(s.replace("_", ""));
            } catch (NumberFormatException e) {
                throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "Size '" + s
                        + "' bytes does not fit a 64-bit integer");
            }
        }
        String upper = s.toUpperCase(Locale.ROOT);
        double multiplier;
        String value;
        if (upper.length() >= 3 && upper.endsWith("IB") && "KMGT".indexOf(upper.charAt(upper.length() - 3)) >= 0) {
            int exp = "KMGT".indexOf(upper.charAt(upper.length() - 3)) + 1;
            multiplier = Math.pow(1024, exp);
            value = s.substring(0, s.length() - 3);
        } else {
            String unit = upper.length() >= 2 ? upper.substring(upper.length() - 2) : upper;
            multiplier = switch (unit) {
                case "KB" -> 1e3;
                case "MB" -> 1e6;
                case "GB" -> 1e9;
                case "TB" -> 1e12;
                default -> throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "Unit '" + unit
                        + "' not supported. Supported units are TB, GB, MB, KB. Got '" + s
                        + "'. Binary units KiB, MiB, GiB, TiB are also accepted.");
            };
            value = s.substring(0, s.length() - 2);
        }
        String number = value.strip();
        if (!PY_FLOAT.matcher(number).matches()) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "Could not parse the size value from '"
                    + s + "': could not convert string to float: " + pythonRepr(number));
        }
        String lower = number.toLowerCase(Locale.ROOT);
        double v;
        if (lower.endsWith("nan")) {
            v = Double.NaN;
        } else if (lower.endsWith("inf") || lower.endsWith("infinity")) {
            v = lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
        } else {
            v = Double.parseDouble(number.replace("_", ""));
        }
        double bytes = v * multiplier;
        if (Double.isNaN(bytes)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "Could not parse the size value from '"
                    + s + "': cannot convert float NaN to integer");
        }
        if (Double.isInfinite(bytes)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "Could not parse the size value from '"
                    + s + "': cannot convert float infinity to integer");
        }
        if (Math.abs(bytes) >= 0x1p63) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_SIZE, "Size '" + s + "' = "
                    + new BigDecimal(bytes).toBigInteger() + " bytes does not fit a 64-bit integer");
        }
        return (long) bytes;
    }

    /** Python's {@code repr()} of a str, enough for error messages. */
    static String pythonRepr(String s) {
        char q = s.indexOf('\'') >= 0 && s.indexOf('"') < 0 ? '"' : '\'';
        StringBuilder sb = new StringBuilder().append(q);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == q || c == '\\') {
                sb.append('\\').append(c);
            } else if (c == '\n') {
                sb.append("\\n");
            } else if (c == '\t') {
                sb.append("\\t");
            } else if (c == '\r') {
                sb.append("\\r");
            } else if (c < 0x20 || c == 0x7F) {
                sb.append(String.format("\\x%02x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append(q).toString();
    }
}
