// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import java.util.ArrayList;
import java.util.List;

/**
 * One index of a NumPy basic-indexing expression: an integer (drops the dimension), a range
 * {@code start:stop:step} (keeps it), or an ellipsis (all remaining dimensions).
 */
public sealed interface SliceIndex {
    /**
     * An integer index; negative values count from the end.
     *
     * @param index the position in the dimension
     */
    record At(long index) implements SliceIndex {
    }

    /**
     * A range; {@code null} bounds mean the default; bounds may be negative and are clamped as in NumPy.
     *
     * @param start the first position, or null for the start
     * @param stop the end position (excluded), or null for the end
     * @param step the step (positive), or null for 1
     */
    record Range(Long start, Long stop, Long step) implements SliceIndex {
    }

    /** {@code ...}: as many full ranges as needed. */
    record Ellipsis() implements SliceIndex {
    }

    /**
     * An integer index.
     *
     * @param index the position; negative values count from the end
     * @return the index
     */
    static SliceIndex at(long index) {
        return new At(index);
    }

    /**
     * {@code start:stop} (nulls for defaults).
     *
     * @param start the first position, or null for the start
     * @param stop the end position (excluded), or null for the end
     * @return the range
     */
    static SliceIndex range(Long start, Long stop) {
        return new Range(start, stop, null);
    }

    /**
     * {@code start:stop:step} (nulls for defaults).
     *
     * @param start the first position, or null for the start
     * @param stop the end position (excluded), or null for the end
     * @param step the step (positive), or null for 1
     * @return the range
     */
    static SliceIndex range(Long start, Long stop, Long step) {
        return new Range(start, stop, step);
    }

    /**
     * {@code :}, the whole dimension.
     *
     * @return the full range
     */
    static SliceIndex all() {
        return new Range(null, null, null);
    }

    /**
     * {@code ...}.
     *
     * @return the ellipsis, standing for as many full ranges as needed
     */
    static SliceIndex ellipsis() {
        return new Ellipsis();
    }

    /**
     * Parses a NumPy-style index expression such as {@code "0, 1:-1:2, ..."} (optionally in brackets).
     *
     * @param text the expression
     * @return one index per comma-separated part
     * @throws SafetensorsException with reason INVALID_SLICE when the text is malformed
     */
    static SliceIndex[] parse(String text) {
        String t = text.strip();
        if (t.startsWith("[") && t.endsWith("]")) {
            t = t.substring(1, t.length() - 1).strip();
        }
        List<SliceIndex> out = new ArrayList<>();
        if (t.isEmpty()) {
            return new SliceIndex[0];
        }
        for (String part : t.split(",", -1)) {
            String p = part.strip();
            try {
                if (p.equals("...")) {
                    out.add(ellipsis());
                } else if (p.contains(":")) {
                    String[] b = p.split(":", -1);
                    if (b.length > 3) {
                        throw new NumberFormatException(p);
                    }
                    out.add(range(num(b[0]), num(b[1]), b.length == 3 ? num(b[2]) : null));
                } else {
                    out.add(at(Long.parseLong(p)));
                }
            } catch (NumberFormatException e) {
                throw new SafetensorsException(SafetensorsException.Reason.INVALID_SLICE,
                        "invalid slice index '" + p + "' in '" + text + "'");
            }
        }
        return out.toArray(SliceIndex[]::new);
    }

    private static Long num(String s) {
        String v = s.strip();
        return v.isEmpty() ? null : Long.parseLong(v);
    }
}
