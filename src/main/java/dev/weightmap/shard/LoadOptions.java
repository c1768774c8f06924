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
    private final java.lang.foreign.Arena arena;

    private LoadOptions(boolean safe, String filenamePattern, long maxHeaderBytes, long maxIndexBytes,
                        java.lang.foreign.Arena arena) {
        this.safe = safe;
        this.filenamePattern = filenamePattern;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxIndexBytes = maxIndexBytes;
        this.arena = arena;
    }

    /**
     * {@code safe = true} (hub's default), no explicit pattern, {@link dev.weightmap.OpenOptions}' default limits.
     *
     * @return the defaults
     */
    public static LoadOptions defaults() {
        return new LoadOptions(true, null, dev.weightmap.OpenOptions.DEFAULT_MAX_HEADER_BYTES,
                dev.weightmap.OpenOptions.DEFAULT_MAX_INDEX_BYTES, null);
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
        return new LoadOptions(safe, filenamePattern, bytes, maxIndexBytes, arena);
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
        return new LoadOptions(safe, filenamePattern, maxHeaderBytes, bytes, arena);
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
        return new LoadOptions(safe, filenamePattern, maxHeaderBytes, maxIndexBytes, arena);
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
        return new LoadOptions(safe, pattern, maxHeaderBytes, maxIndexBytes, arena);
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

    /**
     * Map every file of the checkpoint into the caller's arena instead of one the checkpoint owns, as
     * {@link dev.weightmap.OpenOptions#withArena}: closing the checkpoint then marks it closed but unmaps nothing;
     * the mappings live as long as {@code arena}.
     *
     * @param arena the caller's arena, or null for a checkpoint-owned shared arena
     * @return a copy with the arena set
     */
    public LoadOptions withArena(java.lang.foreign.Arena arena) {
        return new LoadOptions(safe, filenamePattern, maxHeaderBytes, maxIndexBytes, arena);
    }

    /**
     * The caller's arena.
     *
     * @return the arena, or null when the checkpoint owns its own
     */
    public java.lang.foreign.Arena arena() {
        return arena;
    }
}
