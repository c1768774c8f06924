// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

/**
 * Options of {@link Checkpoints#open(java.nio.file.Path, LoadOptions)}: hub's {@code load_torch_model} selection
 * keywords {@code safe} and {@code filename_pattern}.
 */
public final class LoadOptions {
    private final boolean safe;
    private final String filenamePattern;

    private LoadOptions(boolean safe, String filenamePattern) {
        this.safe = safe;
        this.filenamePattern = filenamePattern;
    }

    /**
     * {@code safe = true}, no explicit pattern.
     *
     * @return the default options
     */
    public static LoadOptions defaults() {
        return new LoadOptions(true, null);
    }

    /**
     * Whether single files are looked up as {@code *.safetensors} (true) or {@code *.bin} (false). With
     * {@code safe = false} and no explicit pattern, a safetensors index is still preferred when present.
     *
     * @param safe true to look for safetensors files, false for {@code .bin} files
     * @return a copy with that choice
     */
    public LoadOptions withSafe(boolean safe) {
        return new LoadOptions(safe, filenamePattern);
    }

    /**
     * An explicit filename pattern (e.g. {@code model.variant{suffix}.safetensors}); it wins over {@code safe} for
     * the index lookup.
     *
     * @param pattern a pattern with exactly one {@code {suffix}}
     * @return a copy with that pattern
     * @throws CheckpointException {@code INVALID_PATTERN} for a pattern without {@code {suffix}}
     */
    public LoadOptions withFilenamePattern(String pattern) {
        if (pattern != null) {
            FilenamePattern.of(pattern);
        }
        return new LoadOptions(safe, pattern);
    }

    /**
     * Whether single files are looked up as safetensors.
     *
     * @return true when single files are {@code *.safetensors}
     */
    public boolean safe() {
        return safe;
    }

    /**
     * The explicit pattern, or null.
     *
     * @return the pattern, or null
     */
    public String filenamePattern() {
        return filenamePattern;
    }
}
