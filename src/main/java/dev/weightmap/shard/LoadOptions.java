// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

/**
 * Options of {@link Checkpoints#open(java.nio.file.Path, LoadOptions)}: hub's {@code load_torch_model} selection
 * keywords {@code safe} and {@code filename_pattern}.
 */
public final class LoadOptions {
    private final boolean safe;
    private final String filenamePattern;
    private final long maxHeaderBytes;
    private final long maxIndexBytes;

    private LoadOptions(boolean safe, String filenamePattern, long maxHeaderBytes, long maxIndexBytes) {
        this.safe = safe;
        this.filenamePattern = filenamePattern;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxIndexBytes = maxIndexBytes;
    }

    /**
     * {@code safe = true}, no explicit pattern, {@link dev.weightmap.OpenOptions}' default limits.
     *
     * @return the defaults
     */
    public static LoadOptions defaults() {
        return new LoadOptions(true, null, dev.weightmap.OpenOptions.DEFAULT_MAX_HEADER_BYTES,
                dev.weightmap.OpenOptions.DEFAULT_MAX_INDEX_BYTES);
    }

    /**
     * The largest safetensors header accepted in each shard, as {@link dev.weightmap.OpenOptions#maxHeaderBytes()}.
     *
     * @param bytes the limit, at least 1
     * @return a copy with the limit set
     */
    public LoadOptions withMaxHeaderBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxHeaderBytes must be positive: " + bytes);
        }
        return new LoadOptions(safe, filenamePattern, bytes, maxIndexBytes);
    }

    /**
     * The largest index JSON file accepted, as {@link dev.weightmap.OpenOptions#maxIndexBytes()}.
     *
     * @param bytes the limit, at least 1
     * @return a copy with the limit set
     */
    public LoadOptions withMaxIndexBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxIndexBytes must be positive: " + bytes);
        }
        return new LoadOptions(safe, filenamePattern, maxHeaderBytes, bytes);
    }

    /**
     * The shard header limit.
     *
     * @return bytes
     */
    public long maxHeaderBytes() {
        return maxHeaderBytes;
    }

    /**
     * The index file limit.
     *
     * @return bytes
     */
    public long maxIndexBytes() {
        return maxIndexBytes;
    }

    /**
     * Whether single files are looked up as {@code *.safetensors} (true) or {@code *.bin} (false). With
     * {@code safe = false} and no explicit pattern, a safetensors index is still preferred when present.
     */
    public LoadOptions withSafe(boolean safe) {
        return new LoadOptions(safe, filenamePattern, maxHeaderBytes, maxIndexBytes);
    }

    /**
     * An explicit filename pattern (e.g. {@code model.variant{suffix}.safetensors}); it wins over {@code safe} for
     * the index lookup.
     *
     * @throws CheckpointException {@code INVALID_PATTERN} for a pattern without {@code {suffix}}
     */
    public LoadOptions withFilenamePattern(String pattern) {
        if (pattern != null) {
            FilenamePattern.of(pattern);
        }
        return new LoadOptions(safe, pattern, maxHeaderBytes, maxIndexBytes);
    }

    /** Whether single files are looked up as safetensors. */
    public boolean safe() {
        return safe;
    }

    /** The explicit pattern, or null. */
    public String filenamePattern() {
        return filenamePattern;
    }
}
