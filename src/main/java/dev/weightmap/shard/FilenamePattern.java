// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.util.regex.Pattern;

/**
 * A validated shard filename pattern such as {@code model{suffix}.safetensors}: exactly one {@code {suffix}}
 * placeholder and no other braces (hub formats with Python's {@code str.format}, so other placeholders fail there
 * and a pattern without {@code {suffix}} silently merges shards: both are rejected here).
 */
final class FilenamePattern {
    static final String SAFETENSORS = "model{suffix}.safetensors";
    static final String PYTORCH = "pytorch_model{suffix}.bin";
    private static final String PLACEHOLDER = "{suffix}";

    private final String pattern;
    private final String prefix;
    private final String suffix;

    private FilenamePattern(String pattern, String prefix, String suffix) {
        this.pattern = pattern;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /**
     * Parses and validates a pattern.
     *
     * @throws CheckpointException {@code INVALID_PATTERN} when it lacks {@code {suffix}}, has it twice, has other
     *                             braces, or would produce a path (separators, empty name)
     */
    static FilenamePattern of(String pattern) {
        if (pattern == null) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_PATTERN, "filename pattern is null");
        }
        int at = pattern.indexOf(PLACEHOLDER);
        if (at < 0) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_PATTERN, "Invalid filename pattern '"
                    + pattern + "': it must contain '{suffix}' (without it every shard gets the same name)");
        }
        String prefix = pattern.substring(0, at);
        String suffix = pattern.substring(at + PLACEHOLDER.length());
        for (String part : new String[] {prefix, suffix}) {
            if (part.indexOf('{') >= 0 || part.indexOf('}') >= 0) {
                throw new CheckpointException(CheckpointException.Reason.INVALID_PATTERN, "Invalid filename pattern '"
                        + pattern + "': '{suffix}' must appear exactly once and no other placeholder or brace is"
                        + " allowed");
            }
            if (part.indexOf('/') >= 0 || part.indexOf('\\') >= 0 || part.indexOf('\0') >= 0) {
                throw new CheckpointException(CheckpointException.Reason.INVALID_PATTERN, "Invalid filename pattern '"
                        + pattern + "': it must be a plain file name (no path separators)");
            }
        }
        String single = prefix + suffix;
        if (single.isEmpty() || single.equals(".") || single.equals("..")) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_PATTERN, "Invalid filename pattern '"
                    + pattern + "': the single-file name would be '" + single + "'");
        }
        return new FilenamePattern(pattern, prefix, suffix);
    }

    /** The pattern text. */
    String pattern() {
        return pattern;
    }

    /** The pattern formatted with an empty suffix (the single-file name). */
    String single() {
        return prefix + suffix;
    }

    /** The name of shard {@code index} (1-based) of {@code count}. */
    String shard(int index, int count) {
        return prefix + String.format("-%05d-of-%05d", index, count) + suffix;
    }

    /** The index file name: {@code single() + ".index.json"}. */
    String index() {
        return single() + ".index.json";
    }

    /** The final extension of the single-file name ({@code .safetensors}, {@code .bin}), or "" when none. */
    String extension() {
        String s = single();
        int dot = s.lastIndexOf('.');
        return dot <= 0 ? "" : s.substring(dot);
    }

    /**
     * The stale-file rule (hub PR #4857): the escaped pattern with an optional {@code -NNNNN-of-NNNNN} suffix and
     * an optional {@code .index.json}, matched against the whole name.
     */
    Pattern staleFileRegex() {
        return Pattern.compile(Pattern.quote(prefix) + "(-\\d{5}-of-\\d{5})?" + Pattern.quote(suffix)
                + "(\\.index\\.json)?");
    }
}
