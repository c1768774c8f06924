// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.io.DeferredForce;
import dev.weightmap.internal.io.FsSteps;
import dev.weightmap.internal.io.TempFiles;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import java.util.function.UnaryOperator;
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
     * @param <T>             the value type
     * @param stateDict       the values by name
     * @param storageSize     bytes of a value's storage
     * @param storageId       identity of a value's storage, or null for "never shared"
     * @param filenamePattern a pattern with exactly one {@code {suffix}}
     * @param maxShardSize    the largest shard in bytes
     * @return the plan
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
     *
     * @param stateDict       the tensors by name
     * @param filenamePattern a pattern with exactly one {@code {suffix}}
     * @param maxShardSize    the largest shard in bytes
     * @return the plan
     */
    public static StateDictSplit split(Map<String, Tensor> stateDict, String filenamePattern, long maxShardSize) {
        return split(stateDict, Tensor::storageSize, StateDicts::storageId, filenamePattern, maxShardSize);
    }

    /**
     * {@link #split(Map, String, long)} with the default pattern {@code model{suffix}.safetensors}.
     *
     * @param stateDict    the tensors by name
     * @param maxShardSize the largest shard in bytes
     * @return the plan
     */
    public static StateDictSplit split(Map<String, Tensor> stateDict, long maxShardSize) {
        return split(stateDict, FilenamePattern.SAFETENSORS, maxShardSize);
    }

    /**
     * hub's {@code get_torch_storage_id}: the tensor's {@link Tensor#storageId()}, except that every zero-byte
     * storage has one common id (hub's {@code (cpu, 0, 0)}), so all empty tensors follow the first one's shard.
     *
     * @param tensor a tensor
     * @return its storage's identity
     */
    public static Object storageId(Tensor tensor) {
        return tensor.storageSize() == 0 ? EMPTY_STORAGE : tensor.storageId();
    }

    // ------------------------------------------------------------------------------------------------ saving

    /**
     * hub's {@code save_torch_model}: saves {@code model.stateDict()} with {@link #save}.
     *
     * @param model     supplies the state dict
     * @param directory an existing folder
     * @param options   the save options
     * @return the files written, as {@link #save}
     * @throws IOException when writing fails
     */
    public static List<Path> saveModel(StateDictProvider model, Path directory, SaveOptions options)
            throws IOException {
        return save(model.stateDict(), directory, options);
    }

    /**
     * Saves a state dict into an existing folder as one file or as shards plus an index, like hub's
     * {@code save_torch_state_dict}, with these departures:
     * <ul>
     *   <li>safetensors format: tensors that are the same view of one storage (tied weights) are saved once,
     *       keeping the lexicographically first name not in {@code sharedTensorsToDiscard}; the removed names
     *       are recorded as {@code removed -> kept} metadata. Any other overlap is refused
     *       ({@code SHARED_TENSORS}). A view overlapping nothing is saved as its own bytes.</li>
     *   <li>the caller's map is never modified; an empty map writes an empty single file.</li>
     * </ul>
     *
     * <p><b>Crash consistency.</b> After a {@code kill -9}, a power loss or a failure (a full disk included) at
     * any instant, the folder holds the complete old checkpoint or the complete new one, and every loader sees the
     * same one: hub 2.0 and weightmap (the index {@code X} = {@code model.safetensors.index.json} when it exists,
     * else the one visible {@code *.safetensors}) and transformers (the single file {@code F} =
     * {@code model.safetensors} when it exists, else {@code X}). The index is the commit point, and it may name
     * shards inside a hidden folder of the checkpoint folder (all three read index entries as relative paths), so
     * the new shards never need to take their final names, which may be the old ones, before the commit:
     * <ol>
     *   <li>Targets that exist and are not regular files (a folder, device, FIFO or socket at a shard, index or
     *       single-file name) are refused with {@code NOT_A_REGULAR_FILE} before anything is written. Interrupted
     *       saves of writers that are gone are finished and their temporary entries removed (as
     *       {@link #cleanTemporaryFiles}).</li>
     *   <li>Every new file is written, forced, into a staging folder {@code .weightmap-tmp-<pid>-<start>-<random>}
     *       inside the target folder, under its final name; the staging folder is forced.</li>
     *   <li>Old single file, new single file: the staged file is renamed over {@code F}; that rename is the
     *       commit.</li>
     *   <li>Otherwise the commit is the atomic replacement of {@code X} by an index naming the staged files
     *       ({@code .weightmap-tmp-…/model-00001-of-00003.safetensors}). When the old checkpoint is a single file,
     *       it is first moved behind an index of its own (a hard link in a second hidden folder, {@code X} naming
     *       it, {@code F} removed), so that both rules keep seeing the old tensors until the commit. A failure
     *       before the commit (a full disk writing {@code X}) removes what was staged and puts {@code F} back.</li>
     *   <li>After the commit: the old files the old index named (and an old {@code F}) are deleted; each new file
     *       is hard-linked (copied where the file system has no hard links) to a temporary name, given the mode
     *       of the file it replaces, and renamed over its final name; then {@code X} is replaced by the final
     *       index (sharded), or removed (one file: {@code F} already holds it); the staging folder is removed;
     *       last (main process only) stale files matching the pattern (escaped, whole name) are deleted, as hub
     *       does. A process that is not the main process deletes no old file at all (hub's rule): a single
     *       new file then keeps an index naming it (so the old shards left beside it do not matter), and an old
     *       {@code F} left beside new shards is still what transformers loads.</li>
     * </ol>
     * Every step is ordered by forcing files and folders ({@code fsync}). A crash leaves only temporary names
     * (prefix {@code .weightmap-tmp-}, with the writer's pid and start time); the next save into the folder, or
     * {@code weightmap clean}, finishes a committed save whose writer is gone (the staged files are put at their
     * final names and the index rewritten) and removes the rest. Entries of a live writer are never touched, so
     * two processes must not save the same pattern into one folder at once. A reader that opens the folder while a
     * save is in progress may see files of both versions when shard names are reused (a reader that read the old
     * index before the commit and opens a shard after it); crash consistency is about what stays on disk.
     *
     * <p><b>Files.</b> New files get mode {@code 0666} filtered by the umask; a replaced file's mode (and, where
     * allowed, owner and group) is kept. A shard, index or single-file name that is a symbolic link to a regular
     * file is written through: the file it names is replaced by a copy (atomically, in its own folder), the link
     * stays; a link to anything else, or a dangling one, is refused ({@code NOT_A_REGULAR_FILE}).
     *
     * @param stateDict the tensors by name
     * @param directory an existing folder
     * @param options   the save options
     * @return the files of the new checkpoint: the shards in order, then the index when there is one
     * @throws NoSuchFileException when the folder does not exist
     * @throws CheckpointException {@code SHARED_TENSORS}, {@code NON_CONTIGUOUS}
     * @throws dev.weightmap.WeightmapException {@code NOT_A_REGULAR_FILE} for a target that is not a file
     * @throws dev.weightmap.WeightmapException {@code AMPLIFICATION} for safetensors when the tensors would
     *                             materialise far more bytes than their storages hold and
     *                             {@link SaveOptions#allowAmplification()} is false
     * @throws IOException         when writing fails (the message names the target)
     * @throws UnsupportedOperationException for the torch format when the torch writer is not available
     */
    public static List<Path> save(Map<String, Tensor> stateDict, Path directory, SaveOptions options)
            throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "save directory does not exist");
        }
        SavePlan plan = SavePlan.of(stateDict, directory, options);
        TorchBridge.ShardWriter torch = plan.safetensors() ? null : TorchBridge.writer(); // fails before any write
        Path dir = directory.toAbsolutePath();
        FolderCommit.checkTargets(dir, plan.pattern(), plan.files().keySet());
        FolderCommit.recover(dir, false);
        Path staging = FolderCommit.createStaging(dir);
        FolderCommit.Committed committed = new FolderCommit.Committed();
        try {
            writeFiles(plan, torch, dir, staging, options.durable());
            commitIndex(plan, dir, staging, options, committed);
        } finally {
            if (!committed.get()) {
                TempFiles.deleteTree(staging);
            }
        }
        return cleanUp(plan, dir, staging, options.isMainProcess());
    }

    /**
     * What a save writes, decided before anything touches the folder: the tensors left after de-duplication, their
     * split into files, and the metadata of each file and of the index.
     */
    private record SavePlan(FilenamePattern pattern, boolean safetensors, Map<String, Tensor> tensors,
                            StateDictSplit split, Map<String, List<String>> files, Map<String, String> fileMetadata,
                            Map<String, String> indexMetadata) {
        static SavePlan of(Map<String, Tensor> stateDict, Path directory, SaveOptions options) {
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
            Map<String, String> removed = Map.of();
            StateDictSplit split;
            if (safetensors) {
                removed = removeSharedTensors(tensors, options.sharedTensorsToDiscard());
                if (!options.forceContiguous()) {
                    requireContiguous(tensors);
                }
                // After de-duplication no two tensors overlap: each counts its own bytes (what the file holds),
                // and only zero-byte tensors share hub's common empty id.
                split = Planner.split(tensors, Tensor::byteLength,
                        t -> t.byteLength() == 0 ? EMPTY_STORAGE : new IdentityKey(t), pattern, options.maxShardSize());
            } else {
                split = Planner.split(tensors, Tensor::storageSize, StateDicts::storageId, pattern,
                        options.maxShardSize());
            }
            Map<String, String> userAndRemoved = new LinkedHashMap<>(options.metadata());
            removed.forEach(userAndRemoved::putIfAbsent);
            Map<String, List<String>> files = new LinkedHashMap<>(split.filenameToTensors());
            if (files.isEmpty()) {
                files.put(pattern.single(), List.of()); // DECISIONS 9: an empty state dict is an empty file
            }
            Map<String, String> fileMetadata = new LinkedHashMap<>();
            fileMetadata.put("format", "pt");
            if (files.size() == 1) {
                fileMetadata.putAll(userAndRemoved);
            }
            return new SavePlan(pattern, safetensors, tensors, split, files, fileMetadata, userAndRemoved);
        }

        boolean sharded() {
            return files.size() > 1;
        }

        Map<String, Tensor> shard(List<String> names) {
            Map<String, Tensor> shard = new LinkedHashMap<>();
            for (String name : names) {
                shard.put(name, tensors.get(name));
            }
            return shard;
        }
    }

    private static void requireContiguous(Map<String, Tensor> tensors) {
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

    /**
     * Writes every new file into the staging folder under its final name (torch uses it inside its archive). A
     * safetensors shard is flushed while it is written and forced in the background while the next one is written,
     * so the disk writes overlap the copying throughout; the staging folder is forced once all are.
     */
    private static void writeFiles(SavePlan plan, TorchBridge.ShardWriter torch, Path dir, Path staging,
                                   boolean durable) throws IOException {
        try (DeferredForce forces = new DeferredForce(durable)) {
            for (Map.Entry<String, List<String>> f : plan.files().entrySet()) {
                Map<String, Tensor> shard = plan.shard(f.getValue());
                if (plan.safetensors()) {
                    forces.submit(writeSafetensorsShard(shard, plan.fileMetadata(), staging, dir, f.getKey(), durable));
                } else {
                    torch.write(shard, staging.resolve(f.getKey()), durable);
                }
            }
            forces.awaitAll();
        }
        if (durable) {
            AtomicFile.forceDirectory(staging);
        }
    }

    /**
     * Writes one safetensors shard to {@code staging/name}, flushing it to disk as it goes when {@code durable};
     * returns its channel, still open, for the final force.
     */
    private static FileChannel writeSafetensorsShard(Map<String, Tensor> shard, Map<String, String> metadata,
                                                     Path staging, Path dir, String name, boolean durable)
            throws IOException {
        Path tmp = staging.resolve(name);
        FsSteps.step("create " + staging.getFileName() + "/" + name);
        FileChannel ch;
        try {
            ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw AtomicFile.named(e, tmp, dir.resolve(name));
        }
        try (DeferredForce.Flushing early = DeferredForce.flushWhileWriting(ch, durable)) {
            Safetensors.write(shard, metadata, ch);
            FsSteps.afterContent(dir.resolve(name));
        } catch (IOException e) {
            ch.close();
            throw AtomicFile.named(e, tmp, dir.resolve(name));
        } catch (RuntimeException | Error e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /** Puts the staged files in place behind the index, the commit point (see {@link FolderCommit#commit}). */
    private static void commitIndex(SavePlan plan, Path dir, Path staging, SaveOptions options,
                                    FolderCommit.Committed committed) throws IOException {
        Map<String, String> where = plan.split().tensorToFilename();
        FolderCommit.commit(dir, staging, plan.pattern(), new ArrayList<>(plan.files().keySet()), plan.sharded(),
                rename -> indexJson(plan.split().totalSize(), where, rename, plan.indexMetadata())
                        .getBytes(StandardCharsets.US_ASCII), options.isMainProcess(), committed);
    }

    /**
     * After the commit: removes the staging folder and (main process only) stale files of the same pattern;
     * returns the files of the new checkpoint.
     */
    private static List<Path> cleanUp(SavePlan plan, Path dir, Path staging, boolean mainProcess)
            throws IOException {
        TempFiles.deleteTree(staging); // not forced: after a power loss it is a stale folder no index names
        FilenamePattern pattern = plan.pattern();
        List<Path> written = new ArrayList<>();
        for (String n : plan.files().keySet()) {
            written.add(dir.resolve(n));
        }
        if (plan.sharded() || Files.exists(dir.resolve(pattern.index()), LinkOption.NOFOLLOW_LINKS)) {
            written.add(dir.resolve(pattern.index())); // also the index naming one file (not the main process)
        }
        if (mainProcess) {
            Set<String> keep = new LinkedHashSet<>(plan.files().keySet());
            if (plan.sharded()) {
                keep.add(pattern.index());
            }
            deleteStaleFiles(dir, pattern, keep);
        }
        return written;
    }

    /**
     * What {@link #cleanTemporaryFiles} did.
     *
     * @param removed  the temporary files and folders removed (or, for a dry run, that would be)
     * @param bytes    the bytes freed by removing them
     * @param kept     temporary entries kept: their writer is alive, or an index names them
     * @param finished index files of committed saves that were finished (their staged files put in place)
     */
    public record CleanResult(List<Path> removed, long bytes, List<Path> kept, List<Path> finished) {
        /**
         * A result.
         *
         * @param removed  the entries removed
         * @param bytes    the bytes freed
         * @param kept     the entries kept
         * @param finished the indexes of finished saves
         */
        public CleanResult {
            removed = List.copyOf(removed);
            kept = List.copyOf(kept);
            finished = List.copyOf(finished);
        }
    }

    /**
     * Recovers a folder after interrupted writes: finishes the committed saves whose writer is gone (an index that
     * names files in a staging folder: they are put at their final names and the index rewritten, see
     * {@link #save}) and removes every temporary file and folder ({@code .weightmap-tmp-<pid>-<start>-<random>},
     * and the older {@code .weightmap-staging-*} and {@code .NAME.<n>.tmp} names once 15 minutes old) whose
     * writer is gone. Entries of a live writer are kept. {@link #save} does this itself before writing.
     *
     * @param directory the folder
     * @param dryRun    only report what would be removed (nothing is changed)
     * @return what was (or would be) removed and kept
     * @throws NoSuchFileException when the folder does not exist
     * @throws IOException         when the folder cannot be read or an entry cannot be removed
     */
    public static CleanResult cleanTemporaryFiles(Path directory, boolean dryRun) throws IOException {
        if (!Files.isDirectory(directory)) {
            throw new NoSuchFileException(directory.toString(), null, "not a folder");
        }
        FolderCommit.Recovery r = FolderCommit.recover(directory.toAbsolutePath(), dryRun);
        return new CleanResult(r.removed(), r.bytes(), r.kept(), r.finished());
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

    /** The index text, byte-identical to hub's {@code json.dump(index, f, indent=2)}. */
    static String indexJson(StateDictSplit split, Map<String, String> userAndRemoved) {
        return indexJson(split.totalSize(), split.tensorToFilename(), UnaryOperator.identity(), userAndRemoved);
    }

    private static String indexJson(long totalSize, Map<String, String> tensorToFilename,
                                    UnaryOperator<String> where, Map<String, String> userAndRemoved) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("total_size", totalSize);
        metadata.putAll(userAndRemoved);
        Map<String, Object> weightMap = new LinkedHashMap<>();
        tensorToFilename.forEach((k, v) -> weightMap.put(k, where.apply(v)));
        Map<String, Object> index = new LinkedHashMap<>();
        index.put("metadata", metadata);
        index.put("weight_map", weightMap);
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
                FsSteps.step("delete stale " + p.getFileName());
                Files.deleteIfExists(p);
            } catch (IOException ignored) {
                // like hub: a file that cannot be removed is left behind
            }
        }
    }

    /**
     * Removes tied duplicates (same view of one storage) from {@code tensors} and returns
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
