// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.io.DeferredForce;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;

/**
 * Planning and saving state dicts as (sharded) checkpoints: huggingface_hub's
 * {@code split_state_dict_into_shards_factory}, {@code split_torch_state_dict_into_shards},
 * {@code save_torch_state_dict} and {@code save_torch_model}.
 *
 * <pre>{@code
 * StateDicts.save(tensors, dir, SaveOptions.builder().maxShardSize("2GB").build());
 * // dir/model-00001-of-00003.safetensors ... + dir/model.safetensors.index.json
 * }</pre>
 */
public final class StateDicts {
    /** The storage id every zero-byte storage shares, like hub's {@code (cpu, 0, 0)} for empty tensors. */
    private static final Object EMPTY_STORAGE = new Object() {
        @Override
        public String toString() {
            return "(empty storage)";
        }
    };

    private StateDicts() {
    }

    // ------------------------------------------------------------------------------------------------ planning

    /**
     * Plans shards exactly as hub's {@code split_state_dict_into_shards_factory}: values in the map's iteration
     * order fill the current shard greedily; a value whose storage is larger than {@code maxShardSize} gets a
     * shard of its own, emitted before the shard being filled; values whose storage id was already seen are not
     * counted again and are appended to the shard of the first one after planning. {@link CharSequence} values
     * are skipped as hub skips strings. One shard is named {@code pattern} with an empty suffix, several get
     * {@code -00001-of-0000N}.
     *
     * @param storageSize     bytes of a value's storage
     * @param storageId       identity of a value's storage, or null for "never shared"
     * @param filenamePattern a pattern with exactly one {@code {suffix}}
     * @throws CheckpointException {@code INVALID_PATTERN} for a pattern without {@code {suffix}} or with other
     *                             placeholders
     */
    public static <T> StateDictSplit split(Map<String, T> stateDict, ToLongFunction<? super T> storageSize,
                                           Function<? super T, ?> storageId, String filenamePattern,
                                           long maxShardSize) {
        return Planner.split(stateDict, storageSize, storageId, FilenamePattern.of(filenamePattern), maxShardSize);
    }

    /**
     * hub's {@code split_torch_state_dict_into_shards}: {@link #split(Map, ToLongFunction, Function, String, long)}
     * with {@link Tensor#storageSize()} and {@link #storageId(Tensor)}.
     */
    public static StateDictSplit split(Map<String, Tensor> stateDict, String filenamePattern, long maxShardSize) {
        return split(stateDict, Tensor::storageSize, StateDicts::storageId, filenamePattern, maxShardSize);
    }

    /** {@link #split(Map, String, long)} with the default pattern {@code model{suffix}.safetensors}. */
    public static StateDictSplit split(Map<String, Tensor> stateDict, long maxShardSize) {
        return split(stateDict, FilenamePattern.SAFETENSORS, maxShardSize);
    }

    /**
     * hub's {@code get_torch_storage_id}: the tensor's {@link Tensor#storageId()}, except that every zero-byte
     * storage has one common id (hub's {@code (cpu, 0, 0)}), so all empty tensors follow the first one's shard.
     */
    public static Object storageId(Tensor tensor) {
        return tensor.storageSize() == 0 ? EMPTY_STORAGE : tensor.storageId();
    }

    // ------------------------------------------------------------------------------------------------ saving

    /**
     * hub's {@code save_torch_model}: saves {@code model.stateDict()} with {@link #save}.
     */
    public static void saveModel(StateDictProvider model, Path directory, SaveOptions options) throws IOException {
        save(model.stateDict(), directory, options);
    }

    /**
     * Saves a state dict into an existing folder as one file or as shards plus an index, like hub's
     * {@code save_torch_state_dict}, with the departures listed in DECISIONS.md:
     * <ul>
     *   <li>safetensors format: tensors that are the same view of one storage (tied weights) are saved once,
     *       keeping the lexicographically first name not in {@code sharedTensorsToDiscard}; the removed names
     *       are recorded as {@code removed -> kept} metadata. Any other overlap is refused
     *       ({@code SHARED_TENSORS}). A view overlapping nothing is saved as its own bytes.</li>
     *   <li>every file is first written under a temporary name; only when all shards are complete are they
     *       renamed into place, the index last; then (main process only) stale files matching the pattern
     *       (escaped, whole name) are deleted. After a failure the earlier checkpoint is untouched.</li>
     *   <li>the caller's map is never modified; an empty map writes an empty single file.</li>
     * </ul>
     *
     * @throws NoSuchFileException when the folder does not exist
     * @throws CheckpointException {@code SHARED_TENSORS}, {@code NON_CONTIGUOUS}
     * @throws dev.weightmap.WeightmapException {@code AMPLIFICATION} for safetensors when the tensors would
     *                             materialise far more bytes than their storages hold and
     *                             {@link SaveOptions#allowAmplification()} is false
     * @throws UnsupportedOperationException for the torch format when the torch writer is not available
     */
    public static void save(Map<String, Tensor> stateDict, Path directory, SaveOptions options) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "save directory does not exist");
        }
        FilenamePattern pattern = FilenamePattern.of(options.filenamePattern());
        boolean safetensors = options.format() == SaveOptions.Format.SAFETENSORS;
        if (safetensors && !options.allowAmplification()) {
            dev.weightmap.tensor.Amplification.of(stateDict).check(directory.toString(), "saving as safetensors",
                    "set SaveOptions.Builder.allowAmplification(true)");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new IllegalArgumentException("state dict has a null name or tensor");
            }
            tensors.put(e.getKey(), e.getValue());
        }
        Map<String, String> removed = new LinkedHashMap<>();
        StateDictSplit split;
        if (safetensors) {
            removed = removeSharedTensors(tensors, options.sharedTensorsToDiscard());
            if (!options.forceContiguous()) {
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    if (!e.getValue().isContiguous()) {
                        throw new CheckpointException(CheckpointException.Reason.NON_CONTIGUOUS, "You are trying to"
                                + " save a non contiguous tensor: `" + e.getKey() + "` which is not allowed. It"
                                + " either means you are trying to save tensors which are reference of each other"
                                + " in which case it's recommended to save only the full tensors, and reslice at"
                                + " load time, or simply call `.contiguous()` on your tensor to pack it before"
                                + " saving (force_contiguous=true).");
                    }
                }
            }
            // After de-duplication no two tensors overlap: each counts its own bytes (what the file holds), and
            // only zero-byte tensors share hub's common empty id.
            split = Planner.split(tensors, Tensor::byteLength,
                    t -> t.byteLength() == 0 ? EMPTY_STORAGE : new IdentityKey(t), pattern, options.maxShardSize());
        } else {
            split = Planner.split(tensors, Tensor::storageSize, StateDicts::storageId, pattern,
                    options.maxShardSize());
        }
        TorchBridge.ShardWriter writer = safetensors ? null : TorchBridge.writer();

        Map<String, String> userAndRemoved = new LinkedHashMap<>(options.metadata());
        removed.forEach(userAndRemoved::putIfAbsent);
        Map<String, List<String>> files = new LinkedHashMap<>(split.filenameToTensors());
        if (files.isEmpty()) {
            files.put(pattern.single(), List.of()); // DECISIONS 9: an empty state dict is an empty file
        }
        boolean sharded = files.size() > 1;
        Map<String, String> fileMetadata = new LinkedHashMap<>();
        fileMetadata.put("format", "pt");
        if (!sharded) {
            fileMetadata.putAll(userAndRemoved);
        }

        // 1. write every shard into a staging folder inside the target folder (same file system, and the final
        //    file names, which torch uses inside its archive)
        Path staging = directory.resolve(".weightmap-staging-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        Files.createDirectory(staging);
        try {
            List<String> staged = new ArrayList<>();
            // the staging folder already makes the set atomic: a safetensors shard is written straight to its
            // staged name and forced in the background while the next one is written
            try (DeferredForce forces = new DeferredForce()) {
                for (Map.Entry<String, List<String>> f : files.entrySet()) {
                    Map<String, Tensor> shard = new LinkedHashMap<>();
                    for (String name : f.getValue()) {
                        shard.put(name, tensors.get(name));
                    }
                    Path tmp = staging.resolve(f.getKey());
                    staged.add(f.getKey());
                    if (safetensors) {
                        FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                        try {
                            Safetensors.write(shard, fileMetadata, ch);
                        } catch (IOException | RuntimeException | Error e) {
                            ch.close();
                            throw e;
                        }
                        forces.submit(ch);
                    } else {
                        writer.write(shard, tmp);
                    }
                }
                forces.awaitAll();
            }
            // 2. every shard is complete: move them into place, then write the index last
            for (String name : staged) {
                move(staging.resolve(name), directory.resolve(name));
            }
            if (sharded) {
                byte[] json = indexJson(split, userAndRemoved).getBytes(StandardCharsets.US_ASCII);
                AtomicFile.write(directory.resolve(pattern.index()), ch -> {
                    ByteBuffer b = ByteBuffer.wrap(json);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                });
            }
        } finally {
            deleteTree(staging);
        }
        // 3. the new checkpoint is complete: remove stale files of the same pattern (main process only)
        if (options.isMainProcess()) {
            Set<String> keep = new LinkedHashSet<>(files.keySet());
            if (sharded) {
                keep.add(pattern.index());
            }
            deleteStaleFiles(directory, pattern, keep);
        }
    }

    /** Identity of one tensor object (so two distinct tensors never count as one storage). */
    private record IdentityKey(Tensor tensor) {
        @Override
        public boolean equals(Object o) {
            return o instanceof IdentityKey k && k.tensor == tensor;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(tensor);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The index text, byte-identical to hub's {@code json.dump(index, f, indent=2)}. */
    static String indexJson(StateDictSplit split, Map<String, String> userAndRemoved) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("total_size", split.totalSize());
        metadata.putAll(userAndRemoved);
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", metadata);
        index.put("weight_map", split.tensorToFilename());
        return JsonWriter.python(2).write(index);
    }

    /**
     * Deletes files of {@code directory} whose whole name matches the escaped pattern (with an optional
     * {@code -NNNNN-of-NNNNN} and an optional {@code .index.json}) and that are not in {@code keep}. Failures to
     * delete one file are ignored (hub logs them).
     */
    static void deleteStaleFiles(Path directory, FilenamePattern pattern, Set<String> keep) throws IOException {
        Pattern stale = pattern.staleFileRegex();
        List<Path> victims = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
            for (Path p : ds) {
                String name = p.getFileName().toString();
                if (!keep.contains(name) && stale.matcher(name).matches() && Files.isRegularFile(p)) {
                    victims.add(p);
                }
            }
        }
        for (Path p : victims) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // like hub: a file that cannot be removed is left behind
            }
        }
    }

    /**
     * DECISIONS 11: removes tied duplicates (same view of one storage) from {@code tensors} and returns
     * removed -> kept; refuses any other overlap.
     */
    static Map<String, String> removeSharedTensors(Map<String, Tensor> tensors, Set<String> discard) {
        Map<String, String> removed = new LinkedHashMap<>();
        for (StorageAliasing.Cluster c : StorageAliasing.clusters(tensors)) {
            if (!c.isShared()) {
                continue;
            }
            Tensor first = tensors.get(c.names().get(0));
            boolean allSame = true;
            for (String n : c.names()) {
                allSame &= StorageAliasing.sameView(first, tensors.get(n));
            }
            TreeSet<String> sorted = new TreeSet<>(c.names());
            if (!allSame) {
                String names = pythonSet(sorted);
                if (c.complete().isEmpty()) {
                    throw new CheckpointException(CheckpointException.Reason.SHARED_TENSORS, "Error while trying to"
                            + " find names to remove to save state dict, but found no suitable name to keep for"
                            + " saving amongst: " + names + ". None is covering the entire storage. Refusing to"
                            + " save/load the model since you could be storing much more memory than needed. Please"
                            + " refer to https://huggingface.co/docs/safetensors/torch_shared_tensors for more"
                            + " information. Or open an issue.");
                }
                throw new CheckpointException(CheckpointException.Reason.SHARED_TENSORS, "Error while trying to find"
                        + " names to remove to save state dict: tensors " + names + " share memory but are not all"
                        + " the same view (covering the whole storage: " + pythonSet(new TreeSet<>(c.complete()))
                        + "). safetensors cannot store such aliasing: save only the full tensors and re-slice at"
                        + " load time, or save copies. Please refer to"
                        + " https://huggingface.co/docs/safetensors/torch_shared_tensors for more information.");
            }
            String kept = null;
            for (String n : sorted) {
                if (!discard.contains(n)) {
                    kept = n;
                    break;
                }
            }
            if (kept == null) {
                kept = sorted.first();
            }
            for (String n : sorted) {
                if (!n.equals(kept)) {
                    removed.put(n, kept);
                    tensors.remove(n);
                }
            }
        }
        return removed;
    }

    /** Python's repr of a set of strings (sorted here, so messages are deterministic). */
    static String pythonSet(Iterable<String> names) {
        StringBuilder sb = new StringBuilder("{");
        for (String n : names) {
            if (sb.length() > 1) {
                sb.append(", ");
            }
            sb.append(ShardSize.pythonRepr(n));
        }
        return sb.append('}').toString();
    }
}
