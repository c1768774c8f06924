// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.Tensor;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An opened checkpoint: one file, or every shard of a sharded checkpoint, each mapped once. {@link #tensors()} is
 * a zero-copy name -> tensor map over all of them. Closing unmaps every file; tensors must not be used after.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoints.open(dir, LoadOptions.defaults())) {
 *     Tensor w = ckpt.tensor("lm_head.weight");       // a slice of the shard's mapping
 *     LoadResult r = ckpt.loadInto(myModel, true);      // global key check, then copy
 * }
 * }</pre>
 */
public final class Checkpoint implements AutoCloseable {
    private final Path indexFile;
    private final Map<String, Object> metadata;
    private final Map<String, Tensor> tensors;
    private final Map<String, Path> fileOf;
    private final List<Path> files;
    private final List<AutoCloseable> resources;
    private final Map<Path, Map<String, Tensor>> fileContents;

    Checkpoint(Path indexFile, Map<String, Object> metadata, Map<String, Tensor> tensors, Map<String, Path> fileOf,
               List<Path> files, List<AutoCloseable> resources, Map<Path, Map<String, Tensor>> fileContents) {
        this.fileContents = fileContents;
        this.indexFile = indexFile;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.fileOf = Collections.unmodifiableMap(fileOf);
        this.files = List.copyOf(files);
        this.resources = resources;
    }

    /** Every tensor by name: index order for a sharded checkpoint, the file's data order for one file. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }

    /**
     * One tensor.
     *
     * @throws CheckpointException {@code INDEX_MISMATCH} when there is no such tensor
     */
    public Tensor tensor(String name) {
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "No tensor named '" + name
                    + "' in checkpoint " + (indexFile != null ? indexFile : files.get(0)));
        }
        return t;
    }

    /** Tensor names, in {@link #tensors()} order. */
    public List<String> names() {
        return new ArrayList<>(tensors.keySet());
    }

    /** Number of tensors. */
    public int size() {
        return tensors.size();
    }

    /** Whether there is a tensor {@code name}. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /**
     * The index's {@code metadata} object for a sharded checkpoint ({@code total_size} is a Long), or the single
     * file's {@code __metadata__} strings.
     */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** The file holding tensor {@code name}, or null when there is no such tensor. */
    public Path fileOf(String name) {
        return fileOf.get(name);
    }

    /** The data files (shards in index order, or the one file). */
    public List<Path> files() {
        return files;
    }

    /** The index file, or null for a single-file checkpoint. */
    public Path indexFile() {
        return indexFile;
    }

    /**
     * Checks that the index and the shards agree beyond what opening checked (every indexed tensor is in its
     * shard): no shard holds a tensor the index does not list, and the index's {@code total_size}, when present,
     * equals the bytes of the distinct storages of the indexed tensors. Does nothing for a single file.
     *
     * @throws CheckpointException {@code INDEX_MISMATCH} naming the index, the shard and the tensor or both sizes
     */
    public void verifyIndex() {
        if (indexFile == null) {
            return;
        }
        for (Map.Entry<Path, Map<String, Tensor>> e : fileContents.entrySet()) {
            for (String name : e.getValue().keySet()) {
                if (!e.getKey().equals(fileOf.get(name))) {
                    throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "Shard '"
                            + e.getKey().getFileName() + "' holds tensor '" + name + "', which index file '" + indexFile
                            + "' " + (fileOf.containsKey(name) ? "places in '" + fileOf.get(name).getFileName() + "'"
                            : "does not list"));
                }
            }
        }
        Object declared = metadata.get("total_size");
        if (declared != null) {
            java.util.Set<Object> seen = new java.util.HashSet<>();
            long total = 0;
            for (Tensor t : tensors.values()) {
                if (seen.add(StateDicts.storageId(t))) {
                    total += t.storageSize();
                }
            }
            if (!(declared instanceof Long l) || l != total) {
                throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "Index file '" + indexFile
                        + "' declares total_size " + declared + " but its tensors' storages hold " + total + " bytes");
            }
        }
    }

    /** Whether this checkpoint was opened through an index. */
    public boolean isSharded() {
        return indexFile != null;
    }

    /**
     * Copies the checkpoint's tensors into {@code model.stateDict()} (see {@link #loadInto(Map, boolean)}); the
     * strict error names the model's class as hub does.
     */
    public LoadResult loadInto(StateDictProvider model, boolean strict) {
        return loadInto(model.stateDict(), strict, model.getClass().getSimpleName());
    }

    /**
     * Copies every checkpoint tensor whose name is in {@code target} into that destination tensor (contiguous,
     * writable, same dtype and shape). Keys are compared once, globally, over every shard; in strict mode any
     * missing or unexpected key fails before anything is copied, with hub's message
     * ({@code Error(s) in loading state_dict for X\nMissing key(s): "a","b".}). Unlike hub, strict loading of a
     * valid multi-shard checkpoint succeeds.
     *
     * @throws CheckpointException {@code KEY_MISMATCH} (strict), {@code SHAPE_MISMATCH} (checked for every pair
     *                             before the first copy)
     */
    public LoadResult loadInto(Map<String, Tensor> target, boolean strict) {
        return loadInto(target, strict, target.getClass().getSimpleName());
    }

    private LoadResult loadInto(Map<String, Tensor> target, boolean strict, String targetName) {
        List<String> missing = new ArrayList<>();
        for (String k : target.keySet()) {
            if (!tensors.containsKey(k)) {
                missing.add(k);
            }
        }
        List<String> unexpected = new ArrayList<>();
        for (String k : tensors.keySet()) {
            if (!target.containsKey(k)) {
                unexpected.add(k);
            }
        }
        if (strict && (!missing.isEmpty() || !unexpected.isEmpty())) {
            StringBuilder sb = new StringBuilder("Error(s) in loading state_dict for ").append(targetName);
            if (!missing.isEmpty()) {
                sb.append("\nMissing key(s): ").append(quoted(missing)).append('.');
            }
            if (!unexpected.isEmpty()) {
                sb.append("\nUnexpected key(s): ").append(quoted(unexpected)).append('.');
            }
            throw new CheckpointException(CheckpointException.Reason.KEY_MISMATCH, sb.toString());
        }
        Set<String> common = new LinkedHashSet<>(tensors.keySet());
        common.retainAll(target.keySet());
        for (String k : common) {
            Tensor src = tensors.get(k);
            Tensor dst = target.get(k);
            if (!Arrays.equals(src.shape(), dst.shape())) {
                throw new CheckpointException(CheckpointException.Reason.SHAPE_MISMATCH, "size mismatch for " + k
                        + ": copying a param with shape " + Arrays.toString(src.shape()) + " from checkpoint, the"
                        + " shape in current model is " + Arrays.toString(dst.shape()) + ".");
            }
            if (src.dtype() != dst.dtype()) {
                throw new CheckpointException(CheckpointException.Reason.SHAPE_MISMATCH, "dtype mismatch for " + k
                        + ": the checkpoint has " + src.dtype() + ", the destination is " + dst.dtype() + ".");
            }
            if (!dst.isContiguous()) {
                throw new CheckpointException(CheckpointException.Reason.SHAPE_MISMATCH, "destination tensor " + k
                        + " is not contiguous; give a contiguous destination");
            }
        }
        for (String k : common) {
            tensors.get(k).copyTo(target.get(k).data());
        }
        return new LoadResult(missing, unexpected);
    }

    private static String quoted(List<String> keys) {
        StringBuilder sb = new StringBuilder();
        for (String k : new TreeSet<>(keys)) {
            if (!sb.isEmpty()) {
                sb.append(',');
            }
            sb.append('"').append(k).append('"');
        }
        return sb.toString();
    }

    /** Unmaps every file; idempotent. */
    @Override
    public void close() {
        RuntimeException first = null;
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException re ? re : new IllegalStateException(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    @Override
    public String toString() {
        return "Checkpoint[" + (indexFile != null ? indexFile : files.get(0)) + ", " + tensors.size() + " tensors in "
                + files.size() + " file(s)]";
    }
}
