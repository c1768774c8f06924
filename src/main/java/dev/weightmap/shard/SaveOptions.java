// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Options of {@link StateDicts#save}: huggingface_hub's {@code save_torch_state_dict} keywords.
 *
 * <pre>{@code
 * SaveOptions opts = SaveOptions.builder().maxShardSize("2GB").metadata(Map.of("producer", "me")).build();
 * }</pre>
 */
public final class SaveOptions {
    /** The file format of the shards. */
    public enum Format {
        /** safetensors files ({@code safe_serialization=True}); shared tensors are de-duplicated. */
        SAFETENSORS,
        /** PyTorch zip checkpoints ({@code .bin}, {@code safe_serialization=False}); aliases stay together. */
        TORCH
    }

    private final String filenamePattern;
    private final boolean forceContiguous;
    private final long maxShardSize;
    private final Map<String, String> metadata;
    private final Format format;
    private final boolean mainProcess;
    private final Set<String> sharedTensorsToDiscard;
    private final boolean allowAmplification;
    private final boolean durable;

    private SaveOptions(Builder b) {
        this.allowAmplification = b.allowAmplification;
        this.durable = b.durable;
        this.format = b.format;
        this.filenamePattern = b.filenamePattern != null ? b.filenamePattern
                : b.format == Format.TORCH ? FilenamePattern.PYTORCH : FilenamePattern.SAFETENSORS;
        FilenamePattern.of(this.filenamePattern);
        this.forceContiguous = b.forceContiguous;
        this.maxShardSize = b.maxShardSize;
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(b.metadata));
        this.mainProcess = b.mainProcess;
        this.sharedTensorsToDiscard = Collections.unmodifiableSet(new LinkedHashSet<>(b.discard));
        for (String reserved : List.of("total_size", "format")) {
            if (metadata.containsKey(reserved)) {
                throw new CheckpointException(CheckpointException.Reason.INVALID_METADATA, "Metadata key '"
                        + reserved + "' is reserved: weightmap writes it itself ("
                        + (reserved.equals("format") ? "every file gets format=pt" : "the index's total size")
                        + ")");
            }
        }
    }

    /**
     * Defaults: safetensors, {@code model{suffix}.safetensors}, 5GB, force contiguous, main process.
     *
     * @return the default options
     */
    public static SaveOptions defaults() {
        return builder().build();
    }

    /**
     * Whether a safetensors save may write far more bytes than the tensors' storages hold (expanded views, see
     * {@link dev.weightmap.tensor.Amplification}).
     *
     * @return the switch (default false)
     */
    public boolean allowAmplification() {
        return allowAmplification;
    }

    /**
     * A builder with the defaults.
     *
     * @return a new builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The filename pattern (with {@code {suffix}}).
     *
     * @return the pattern
     */
    public String filenamePattern() {
        return filenamePattern;
    }

    /**
     * Whether strided tensors are written contiguous (else they are refused).
     *
     * @return true when strided tensors are copied contiguous before writing
     */
    public boolean forceContiguous() {
        return forceContiguous;
    }

    /**
     * The largest shard in bytes (a larger single storage still gets a shard of its own).
     *
     * @return the size limit in bytes
     */
    public long maxShardSize() {
        return maxShardSize;
    }

    /**
     * User metadata (never containing {@code format} or {@code total_size}).
     *
     * @return the user metadata, unmodifiable
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * The shard file format.
     *
     * @return the format
     */
    public Format format() {
        return format;
    }

    /**
     * Whether this process may delete stale files.
     *
     * @return true when this process cleans up stale shard files
     */
    public boolean isMainProcess() {
        return mainProcess;
    }

    /**
     * Names to drop in preference when tensors are shared (hub's {@code shared_tensors_to_discard}).
     *
     * @return the names, unmodifiable
     */
    public Set<String> sharedTensorsToDiscard() {
        return sharedTensorsToDiscard;
    }

    /**
     * Whether the files are forced to disk before the save returns (default true); see {@link Builder#durable}.
     *
     * @return true for a durable save
     */
    public boolean durable() {
        return durable;
    }

    /** Builds {@link SaveOptions}. */
    public static final class Builder {
        private String filenamePattern;
        private boolean forceContiguous = true;
        private long maxShardSize = ShardSize.DEFAULT;
        private Map<String, String> metadata = Map.of();
        private Format format = Format.SAFETENSORS;
        private boolean mainProcess = true;
        private Set<String> discard = Set.of();
        private boolean allowAmplification;
        private boolean durable = true;

        private Builder() {
        }

        /**
         * The filename pattern; default {@code model{suffix}.safetensors} or {@code pytorch_model{suffix}.bin}.
         *
         * @param pattern a pattern with exactly one {@code {suffix}}
         * @return this builder
         */
        public Builder filenamePattern(String pattern) {
            FilenamePattern.of(pattern);
            this.filenamePattern = pattern;
            return this;
        }

        /**
         * Whether strided tensors are made contiguous (default true).
         *
         * @param force true to copy strided tensors contiguous, false to refuse them
         * @return this builder
         */
        public Builder forceContiguous(boolean force) {
            this.forceContiguous = force;
            return this;
        }

        /**
         * The largest shard in bytes.
         *
         * @param bytes the size limit in bytes
         * @return this builder
         */
        public Builder maxShardSize(long bytes) {
            this.maxShardSize = bytes;
            return this;
        }

        /**
         * The largest shard as a size string ({@link ShardSize#parse}), e.g. {@code "5GB"} or {@code "512MiB"}.
         *
         * @param size the size limit as text
         * @return this builder
         */
        public Builder maxShardSize(String size) {
            this.maxShardSize = ShardSize.parse(size);
            return this;
        }

        /**
         * User metadata: in the index when sharded, else in the file's header. Copied.
         *
         * @param metadata string metadata, without {@code format} or {@code total_size}
         * @return this builder
         */
        public Builder metadata(Map<String, String> metadata) {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must not be null");
                }
            }
            this.metadata = new LinkedHashMap<>(metadata);
            return this;
        }

        /**
         * The shard format (default safetensors).
         *
         * @param format the shard file format
         * @return this builder
         */
        public Builder format(Format format) {
            this.format = java.util.Objects.requireNonNull(format);
            return this;
        }

        /**
         * Whether this process may delete stale files (default true).
         *
         * @param main true when this process may delete stale files
         * @return this builder
         */
        public Builder isMainProcess(boolean main) {
            this.mainProcess = main;
            return this;
        }

        /**
         * Whether the save forces the files it writes to disk before it returns (default true). False is for
         * scratch output that need not survive a power loss or an OS crash (benchmark harnesses, temporary
         * conversions): the shard files, safetensors and torch alike, are not forced, nor is the staging folder
         * they are written to; the folder commit (see {@link StateDicts#save}) still renames them into place
         * atomically, in order, so a killed process still leaves the old or the new checkpoint;
         * after a power loss the new files may be missing or empty.
         *
         * @param durable whether to force the files to disk
         * @return this builder
         */
        public Builder durable(boolean durable) {
            this.durable = durable;
            return this;
        }

        /**
         * Names to drop in preference when tensors are shared.
         *
         * @param names the tensor names
         * @return this builder
         */
        public Builder sharedTensorsToDiscard(java.util.Collection<String> names) {
            this.discard = new LinkedHashSet<>(names);
            return this;
        }

        /**
         * Whether a safetensors save may materialise far more bytes than the tensors' storages hold (an expanded
         * view of one float as a 4 TiB tensor); by default such a save is refused with {@code AMPLIFICATION}
         * before anything is written.
         *
         * @param allow the switch
         * @return this builder
         */
        public Builder allowAmplification(boolean allow) {
            this.allowAmplification = allow;
            return this;
        }

        /**
         * The options.
         *
         * @return the options
         * @throws CheckpointException {@code INVALID_METADATA} when the metadata sets {@code format} or
         *                             {@code total_size}; {@code INVALID_PATTERN} for a bad pattern
         */
        public SaveOptions build() {
            return new SaveOptions(this);
        }
    }
}
