// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.json;

import java.math.BigInteger;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes plain Java values (Map, List, String, Number, Boolean, null, long[]) as JSON in two dialects:
 * <ul>
 *   <li>{@link #compact()}: what serde_json (the Rust safetensors writer) prints: no spaces, raw UTF-8,
 *       {@code "} {@code \} and control characters escaped;</li>
 *   <li>{@link #python(int)}: what Python's {@code json.dump(obj, indent=N)} prints: ASCII only
 *       ({@code ensure_ascii}), {@code ", "}/{@code ": "} separators, newlines and indentation.</li>
 * </ul>
 */
public final class JsonWriter {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private final boolean asciiOnly;
    private final int indent;

    private JsonWriter(boolean asciiOnly, int indent) {
        this.asciiOnly = asciiOnly;
        this.indent = indent;
    }

    /** serde_json's compact output. */
    public static JsonWriter compact() {
        return new JsonWriter(false, -1);
    }

    /** Python's {@code json.dumps(obj, indent=indent)} output (ensure_ascii=True). */
    public static JsonWriter python(int indent) {
        return new JsonWriter(true, indent);
    }

    /** The JSON text of {@code value}. */
    public String write(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.toString();
    }

    /** Appends the JSON text of {@code value}. */
    public void write(StringBuilder sb, Object value) {
        write(sb, value, 0);
    }

    private void newline(StringBuilder sb, int level) {
        if (indent >= 0) {
            sb.append('\n');
            sb.repeat(' ', indent * level);
        }
    }

    // an instanceof chain rather than a pattern switch: the switch's bootstrap spins classes on every cold start
    private void write(StringBuilder sb, Object v, int level) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String s) {
            string(sb, s);
        } else if (v instanceof Boolean b) {
            sb.append(b ? "true" : "false");
        } else if (v instanceof Long l) {
            sb.append(l.longValue());
        } else if (v instanceof Integer i) {
            sb.append(i.intValue());
        } else if (v instanceof BigInteger bi) {
            sb.append(bi);
        } else if (v instanceof Double d) {
            sb.append(indent >= 0 ? pythonRepr(d) : pythonFloat(d));
        } else if (v instanceof Float f) {
            sb.append(indent >= 0 ? pythonRepr(f.doubleValue()) : pythonFloat(f.doubleValue()));
        } else if (v instanceof long[] arr) {
            if (indent >= 0 && arr.length > 0) {
                // json.dumps(indent=N) puts every element on its own line, like any other list
                write(sb, java.util.Arrays.stream(arr).boxed().toList(), level);
                return;
            }
            sb.append('[');
            for (int i = 0; i < arr.length; i++) {
                if (i > 0) {
                    sb.append(indent >= 0 ? ", " : ",");
                }
                sb.append(arr[i]);
            }
            sb.append(']');
        } else if (v instanceof Map<?, ?> m) {
            if (m.isEmpty()) {
                sb.append("{}");
                return;
            }
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = m.entrySet().iterator();
            boolean first = true;
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                if (!first) {
                    sb.append(',');
                }
                first = false;
                newline(sb, level + 1);
                string(sb, String.valueOf(e.getKey()));
                sb.append(indent >= 0 ? ": " : ":");
                write(sb, e.getValue(), level + 1);
            }
            newline(sb, level);
            sb.append('}');
        } else if (v instanceof List<?> l) {
            if (l.isEmpty()) {
                sb.append("[]");
                return;
            }
            sb.append('[');
            boolean first = true;
            for (Object o : l) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                newline(sb, level + 1);
                write(sb, o, level + 1);
            }
            newline(sb, level);
            sb.append(']');
        } else if (v instanceof Number n) {
            sb.append(n);
        } else {
            throw new IllegalArgumentException("cannot write " + v.getClass().getName() + " as JSON");
        }
    }

    private static String pythonFloat(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return Double.toString(d);
    }

    /**
     * Python's {@code repr(float)} (what json.dumps prints): the shortest round-trip digits, positional notation
     * for decimal exponents -4..15 ({@code 1000000000000000.0}, {@code 0.0001}), else {@code 1e+16},
     * {@code 1.5e-07} (at least two exponent digits).
     */
    static String pythonRepr(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return pythonFloat(d);
        }
        if (d == 0) {
            return 1 / d < 0 ? "-0.0" : "0.0";
        }
        java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros(); // shortest digits
        if (bd.precision() == 2) {
            // Double.toString never prints fewer than two digits (4.9E-324); Python may use one (5e-324)
            java.math.BigDecimal exact = new java.math.BigDecimal(d);
            java.math.BigDecimal best = null;
            for (java.math.RoundingMode m : new java.math.RoundingMode[] {java.math.RoundingMode.DOWN, java.math.RoundingMode.UP}) {
                java.math.BigDecimal c = bd.round(new java.math.MathContext(1, m));
                if (Double.parseDouble(c.toString()) == d && (best == null
                        || c.subtract(exact).abs().compareTo(best.subtract(exact).abs()) < 0)) {
                    best = c;
                }
            }
            if (best != null) {
                bd = best.stripTrailingZeros();
            }
        }
        String digits = bd.unscaledValue().abs().toString();
        int exp = digits.length() - 1 - bd.scale();
        String sign = d < 0 ? "-" : "";
        if (exp >= -4 && exp < 16) {
            String plain = bd.abs().toPlainString();
            return sign + (plain.indexOf('.') < 0 ? plain + ".0" : plain);
        }
        String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        int a = Math.abs(exp);
        return sign + mant + "e" + (exp < 0 ? "-" : "+") + (a < 10 ? "0" : "") + a;
    }

    /** Appends {@code s} as a quoted JSON string in this writer's dialect. */
    public void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || (asciiOnly && c > 0x7E)) {
                        // ensure_ascii escapes everything outside ' '..'~', DEL (0x7F) included
                        sb.append("\\u").append(HEX[c >> 12 & 15]).append(HEX[c >> 8 & 15])
                                .append(HEX[c >> 4 & 15]).append(HEX[c & 15]);
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    /** Convenience: a map's entries as a JSON object in this dialect. */
    public static String compactObject(Map<String, ?> m) {
        return compact().write(m);
    }

    /** Convenience for lists. */
    public static String compactArray(List<?> l) {
        return compact().write(l);
    }
}
