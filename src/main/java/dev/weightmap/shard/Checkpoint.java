// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.Weights;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.tensor.Casts;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * An opened checkpoint: one file, or every shard of a sharded checkpoint, each mapped once. {@link #tensors()} is
 * a zero-copy name -> tensor map over all of them. Every file is mapped into one shared arena the checkpoint owns:
 * {@link #close()} marks it closed at once (library methods then throw {@link dev.weightmap.WeightsClosedException})
 * and unmaps every file in one step once no {@linkplain #retain() lease} is held; tensors must not be used after.
 *
 * <p>As {@link Weights}: format {@code sharded} when opened through an index (or a folder holding one), else the
 * single file's format; {@link #tensorNames()} in index order (the file's own order for one file);
 * {@link #metadata()} the index's {@code metadata} object; {@link #verify()} runs {@link #verifyIndex()} and
 * verifies every shard; {@link #files()} lists the index first, then the shards.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoints.open(dir, LoadOptions.defaults())) {
 *     Tensor w = ckpt.tensor("lm_head.weight");       // a slice of the shard's mapping
 *     LoadResult r = ckpt.loadInto(myModel, true);      // global key check, then copy
 * }
 * }</pre>
 */
public final class Checkpoint implements Weights {
    private final SharedMapping mapping;
    private final Path indexFile;
    private final Map<String, Object> metadata;
    private final Map<String, Tensor> tensors;
    private final Map<String, Path> fileOf;
    private final List<Path> files;
    private final List<AutoCloseable> resources;
    private final Map<Path, Map<String, Tensor>> fileContents;
    private final Set<String> unindexed;
    private final List<String> warnings;

    private volatile List<String> names;
    /** Set once, before the checkpoint is handed out, when it was selected from a folder. */
    private volatile boolean openedAsFolder;

    Checkpoint(SharedMapping mapping, Path indexFile, Map<String, Object> metadata, Map<String, Tensor> tensors,
               Map<String, Path> fileOf, List<Path> files, List<AutoCloseable> resources,
               Map<Path, Map<String, Tensor>> fileContents, Set<String> unindexed, List<String> warnings) {
        this.mapping = mapping;
        this.unindexed = Set.copyOf(unindexed);
        this.warnings = List.copyOf(warnings);
        this.fileContents = fileContents;
        this.indexFile = indexFile;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
        this.fileOf = Collections.unmodifiableMap(fileOf);
        this.files = List.copyOf(files);
        this.resources = resources;
    }

    /**
     * Every tensor by name: for a sharded checkpoint, index order, then the tensors a shard holds that the index
     * does not list (shard order; see {@link #warnings()}); the file's data order for one file.
     */
    @Override
    public Map<String, Tensor> tensors() {
        mapping.ensureOpen();
        return tensors;
    }

    /**
     * One tensor.
     *
     * @throws CheckpointException {@code INDEX_MISMATCH} when there is no such tensor
     */
    @Override
    public Tensor tensor(String name) {
        mapping.ensureOpen();
        Tensor t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "No tensor named '" + name
                    + "' in checkpoint " + (indexFile != null ? indexFile : files.get(0)));
        }
        return t;
    }

    /**
     * Tensor names, in {@link #tensors()} order.
     *
     * @return a new mutable list
     */
    public List<String> names() {
        mapping.ensureOpen();
        return new ArrayList<>(tensors.keySet());
    }

    /**
     * Number of tensors.
     *
     * @return the count
     */
    public int size() {
        return tensors.size();
    }

    /** Whether there is a tensor {@code name}. */
    @Override
    public boolean contains(String name) {
        mapping.ensureOpen();
        return tensors.containsKey(name);
    }

    /**
     * The index's {@code metadata} object for a sharded checkpoint ({@code total_size} is a Long), or the single
     * file's {@code __metadata__} strings.
     */
    @Override
    public Map<String, Object> metadata() {
        mapping.ensureOpen();
        return metadata;
    }

    /**
     * The file holding a tensor.
     *
     * @param name the tensor's name
     * @return the file, or null when there is no such tensor
     */
    public Path fileOf(String name) {
        mapping.ensureOpen();
        return fileOf.get(name);
    }

    /**
     * The data files (shards in index order, or the one file). Before {@link Weights#files()}, this was
     * {@code files()}.
     *
     * @return the data files
     */
    public List<Path> dataFiles() {
        return files;
    }

    /**
     * {@inheritDoc} The index file first (when there is one), then {@link #dataFiles()}.
     *
     * @return the files
     */
    @Override
    public List<Path> files() {
        if (indexFile == null) {
            return files;
        }
        List<Path> all = new ArrayList<>(files.size() + 1);
        all.add(indexFile);
        all.addAll(files);
        return List.copyOf(all);
    }

    /**
     * The index file.
     *
     * @return the index file, or null for a single-file checkpoint
     */
    public Path indexFile() {
        return indexFile;
    }

    /**
     * Checks that the index and the shards agree beyond what opening checked (every indexed tensor is in its
     * shard): no shard holds a tensor the index places in another shard, and the index's {@code total_size},
     * when present, equals the bytes of the distinct storages of the indexed tensors. A tensor the index does not
     * list at all is not an error (hub 2.0 loads it and warns: see {@link #warnings()}). Does nothing for a
     * single file.
     *
     * @throws CheckpointException {@code INDEX_MISMATCH} naming the index, the shard and the tensor or both sizes
     */
    public void verifyIndex() {
        mapping.ensureOpen();
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
            for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                Tensor t = e.getValue();
                if (!unindexed.contains(e.getKey()) && seen.add(StateDicts.storageId(t))) {
                    total += t.storageSize();
                }
            }
            if (!(declared instanceof Long l) || l != total) {
                throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "Index file '" + indexFile
                        + "' declares total_size " + declared + " but its tensors' storages hold " + total + " bytes");
            }
        }
    }

    /**
     * {@inheritDoc} For a sharded checkpoint: hub 2.0's {@code Shard files contain tensors absent from the index:
     * [...]} when a shard holds tensors the index does not list. Those tensors are loaded anyway, as hub loads
     * them: they are in {@link #tensors()} and {@link #loadInto} copies them.
     *
     * @return the warnings, empty when there is nothing to report
     */
    @Override
    public List<String> warnings() {
        mapping.ensureOpen();
        return warnings;
    }

    /** Marks a checkpoint selected from a folder (see {@link #format()}); called before it is handed out. */
    Checkpoint selectedFromFolder() {
        openedAsFolder = true;
        return this;
    }

    /**
     * Whether this checkpoint was opened through an index.
     *
     * @return true when there is an index file
     */
    public boolean isSharded() {
        return indexFile != null;
    }

    /**
     * Copies the checkpoint's tensors into {@code model.stateDict()} (see {@link #loadInto(Map, boolean)}); the
     * strict error names the model's class as hub does.
     *
     * @param model  the model whose state dict receives the tensors
     * @param strict whether missing or unexpected keys are an error
     * @return the keys that did not match, and the checkpoint's warnings
     */
    public LoadResult loadInto(StateDictProvider model, boolean strict) {
        return loadInto(model.stateDict(), strict, model.getClass().getSimpleName());
    }

    /**
     * Copies every checkpoint tensor whose name is in {@code target} into that destination tensor (contiguous,
     * writable, same shape). Keys are compared once, globally, over every shard; in strict mode any missing or
     * unexpected key fails before anything is copied, with hub's message
     * ({@code Error(s) in loading state_dict for X\nMissing key(s): "a","b".}). Unlike hub, strict loading of a
     * valid multi-shard checkpoint succeeds.
     *
     * <p>Like torch's {@code load_state_dict} (which copies with {@code param.copy_(input)}), a destination of
     * another dtype receives the values converted by {@link Casts#copy} with torch's rules: F32 into a BF16 or F16
     * model rounds to nearest even (on the Vector API where it is present), BF16/F16 into F32 is exact, integers
     * widen or wrap as torch's do. A different shape is still an error.
     *
     * @param target the destination tensors by name
     * @param strict whether missing or unexpected keys are an error
     * @return the keys that did not match, and the checkpoint's {@linkplain #warnings() warnings}
     * @throws CheckpointException {@code KEY_MISMATCH} (strict), {@code SHAPE_MISMATCH} for a different shape, a
     *                             non-contiguous destination or a dtype pair {@link Casts#supports} rejects (all
     *                             checked for every pair before the first copy)
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
            if (!Casts.supports(src.dtype(), dst.dtype())) {
                throw new CheckpointException(CheckpointException.Reason.SHAPE_MISMATCH, "dtype mismatch for " + k
                        + ": the checkpoint has " + src.dtype() + ", the destination is " + dst.dtype()
                        + ", and there is no conversion between them.");
            }
            if (!dst.isContiguous()) {
                throw new CheckpointException(CheckpointException.Reason.SHAPE_MISMATCH, "destination tensor " + k
                        + " is not contiguous; give a contiguous destination");
            }
        }
        for (String k : common) {
            Casts.copy(tensors.get(k), target.get(k));
        }
        return new LoadResult(missing, unexpected, warnings);
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

    /**
     * Marks the checkpoint closed and unmaps every file (one arena) once no lease is held; idempotent.
     */
    @Override
    public void close() {
        if (!mapping.isOpen()) {
            return;
        }
        try {
            closeReaders();
        } finally {
            mapping.close();
        }
    }

    private void closeReaders() {
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

    // ---------------------------------------------------------------- Weights

    /**
     * {@inheritDoc}
     *
     * @return the index file, or the single file
     */
    @Override
    public Path path() {
        return indexFile != null ? indexFile : files.get(0);
    }

    /**
     * {@inheritDoc}
     *
     * @return the path as a string
     */
    @Override
    public String displayName() {
        return path().toString();
    }

    /**
     * {@inheritDoc} The format of the input that was opened, so that it always equals
     * {@link Weights#detect(Path)} of that input: {@code "sharded"} for a checkpoint opened through a folder or an
     * index file, even when the folder holds a single file (a folder is a checkpoint input, whatever it
     * selects: the CLI prints it the same way); the file's own format ({@code "safetensors"}, {@code "torch"})
     * for a checkpoint opened from one file ({@link Checkpoints#loadStateDictFromFile(Path, boolean)}, or
     * {@link Checkpoints#open(Path, LoadOptions)} of a file). {@link #isSharded()} says whether there is an index.
     *
     * @return the format name
     */
    @Override
    public String format() {
        if (indexFile != null || openedAsFolder) {
            return SHARDED;
        }
        Weights w = readers().get(files.get(0));
        return w == null ? SHARDED : w.format();
    }

    /**
     * {@inheritDoc} Index order (the file's own order for a single file).
     *
     * @return the names
     */
    @Override
    public List<String> tensorNames() {
        mapping.ensureOpen();
        List<String> n = names;
        if (n == null) {
            n = List.copyOf(tensors.keySet());
            names = n;
        }
        return n;
    }

    /** The shard readers by file. */
    private Map<Path, Weights> readers() {
        Map<Path, Weights> out = new LinkedHashMap<>();
        for (AutoCloseable r : resources) {
            if (r instanceof Weights w && !w.files().isEmpty()) {
                out.put(w.files().get(0), w);
            }
        }
        return out;
    }

    /**
     * {@inheritDoc} For a sharded checkpoint: {@link #verifyIndex()}, then every shard's own verify (record
     * CRC-32s of torch shards).
     *
     * @return the report
     * @throws CheckpointException {@code INDEX_MISMATCH} when index and shards disagree
     * @throws IOException         when a shard cannot be read
     */
    @Override
    public VerifyReport verify() throws IOException {
        verifyIndex();
        Map<Path, Weights> readers = readers();
        if (indexFile == null && readers.size() == 1) {
            return readers.values().iterator().next().verify();
        }
        long bytes = 0;
        int checksums = 0;
        Set<String> checks = new LinkedHashSet<>();
        checks.add("every indexed tensor is in its shard, every shard tensor is indexed");
        if (metadata.get("total_size") != null) {
            checks.add("total_size matches the tensors' storages");
        }
        for (Weights w : readers.values()) {
            VerifyReport r = w.verify();
            bytes += r.bytes();
            checksums += r.checksums();
            for (String c : r.checks()) {
                checks.add(r.format() + " shards: " + c);
            }
        }
        return new VerifyReport(format(), tensors.size(), files().size(), bytes, checksums, List.copyOf(checks));
    }

    /**
     * {@inheritDoc} Offsets are absolute in each shard; the extra {@code file} (a sharded checkpoint only) is the
     * shard's file name, followed by the shard format's own extras.
     *
     * @return the locations, in index order
     */
    @Override
    public List<TensorLocation> locations() {
        mapping.ensureOpen();
        Map<Path, Map<String, TensorLocation>> byFile = new LinkedHashMap<>();
        readers().forEach((file, w) -> {
            Map<String, TensorLocation> m = new LinkedHashMap<>();
            for (TensorLocation l : w.locations()) {
                m.put(l.name(), l);
            }
            byFile.put(file, m);
        });
        List<TensorLocation> out = new ArrayList<>(tensors.size());
        for (String name : tensors.keySet()) {
            Path file = fileOf.get(name);
            TensorLocation l = byFile.getOrDefault(file, Map.of()).get(name);
            if (l == null) {
                Tensor t = tensors.get(name);
                l = new TensorLocation(name, t.dtype(), t.shape(), file, -1, t.byteLength(), 0, Map.of());
            }
            if (indexFile == null) {
                out.add(l);
                continue;
            }
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("file", file.getFileName().toString());
            extras.putAll(l.extras());
            out.add(new TensorLocation(name, l.dtype(), l.shape(), file, l.offset(), l.length(), l.alignment(),
                    extras));
        }
        return List.copyOf(out);
    }

    /**
     * {@inheritDoc} One lease covers every shard (they share one arena).
     *
     * @return the lease
     */
    @Override
    public Lease retain() {
        return mapping.retain();
    }

    /**
     * {@inheritDoc}
     *
     * @return true while open
     */
    @Override
    public boolean isOpen() {
        return mapping.isOpen();
    }

    @Override
    public String toString() {
        return "Checkpoint[" + (indexFile != null ? indexFile : files.get(0)) + ", " + tensors.size() + " tensors in "
                + files.size() + " file(s)]";
    }
}
