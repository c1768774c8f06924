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
     * {@code safe = true} (hub's default), no explicit pattern.
     *
     * @return the default options
     */
    public static LoadOptions defaults() {
        return new LoadOptions(true, null);
    }

    /**
     * hub 2.0's {@code safe} switch. {@code true}: only safetensors files are opened (a pickle file or a pickle
     * filename pattern is refused with {@code PICKLE_REFUSED}). {@code false}: a safetensors index, then a
     * {@code pytorch_model.bin.index.json}, then exactly one {@code *.safetensors} file, then exactly one
     * {@code *.bin} file. weightmap never executes pickle code either way (see
     * {@link Checkpoints#loadStateDictFromFile(java.nio.file.Path, boolean)}).
     *
     * @param safe the switch
     * @return a copy with the switch set
     */
    public LoadOptions withSafe(boolean safe) {
        return new LoadOptions(safe, filenamePattern);
    }

    /**
     * An explicit filename pattern (e.g. {@code model.variant{suffix}.safetensors}) naming the index to look for.
     * A pattern that does not describe safetensors files is refused at open time unless {@code safe} is false.
     *
     * @param pattern the pattern, or null for hub's defaults
     * @return a copy with the pattern set
     * @throws CheckpointException {@code INVALID_PATTERN} for a pattern without {@code {suffix}}
     */
    public LoadOptions withFilenamePattern(String pattern) {
        if (pattern != null) {
            FilenamePattern.of(pattern);
        }
        return new LoadOptions(safe, pattern);
    }

    /**
     * The {@code safe} switch (see {@link #withSafe(boolean)}).
     *
     * @return the switch
     */
    public boolean safe() {
        return safe;
    }

    /**
     * The explicit pattern.
     *
     * @return the pattern, or null
     */
    public String filenamePattern() {
        return filenamePattern;
    }
}
