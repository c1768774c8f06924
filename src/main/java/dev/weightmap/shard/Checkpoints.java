// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Opening checkpoints: huggingface_hub's {@code load_torch_model} file selection, {@code _load_sharded_checkpoint}
 * and {@code load_state_dict_from_file}, zero-copy.
 *
 * <pre>{@code
 * try (Checkpoint ckpt = Checkpoints.open(Path.of("my-model"))) {
 *     ckpt.tensors().forEach((name, t) -> System.out.println(name + " " + t + " in " + ckpt.fileOf(name)));
 * }
 * }</pre>
 */
public final class Checkpoints {
    private Checkpoints() {
    }

    /**
     * {@link #open(Path, LoadOptions)} with {@link LoadOptions#defaults()} ({@code safe = true}, as hub's default).
     *
     * @param fileOrDir a checkpoint file, an index file or a folder
     * @return the opened checkpoint; close it
     * @throws IOException when a file cannot be read
     */
    public static Checkpoint open(Path fileOrDir) throws IOException {
        return open(fileOrDir, LoadOptions.defaults());
    }

    /**
     * Opens a checkpoint file, an index file ({@code *.index.json}) or a folder, with huggingface_hub 2.0.0's
     * {@code load_torch_model} rules. For a folder:
     * <ol>
     * <li>an explicit filename pattern that does not describe safetensors files (its single-file name does not end
     * in {@code .safetensors}, compared ignoring case) is refused when {@code safe} is true
     * ({@code PICKLE_REFUSED}, hub's message);</li>
     * <li>the index named by the pattern wins: the explicit pattern's, else {@code model.safetensors.index.json},
     * or {@code pytorch_model.bin.index.json} when {@code safe} is false and there is no safetensors index;</li>
     * <li>else exactly one entry named {@code *.safetensors} (hidden names and folders count, as hub's glob counts
     * them); with {@code safe} false, when that does not give exactly one, exactly one {@code *.bin} entry. So a
     * lone {@code model.safetensors} and a {@code model.safetensors} next to a {@code pytorch_model.bin} load the
     * safetensors file whatever {@code safe} says.</li>
     * </ol>
     * The chosen single file is read by {@link #loadStateDictFromFile(Path, boolean)} with the same {@code safe}.
     * A file path is read the same way; an index file path is opened as the folder's index would be. Every shard
     * name of an index is validated before any shard is opened; each shard is mapped once.
     *
     * @param fileOrDir a checkpoint file, an index file or a folder
     * @param options   hub's {@code safe} switch and {@code filename_pattern}
     * @return the opened checkpoint; close it
     * @throws NoSuchFileException when the path (or a shard) does not exist
     * @throws CheckpointException {@code NO_CHECKPOINT}, {@code PICKLE_REFUSED}, {@code INVALID_INDEX},
     *                             {@code INDEX_MISMATCH}, {@code UNSUPPORTED_FORMAT}
     * @throws IOException         when a file cannot be read
     */
    public static Checkpoint open(Path fileOrDir, LoadOptions options) throws IOException {
        if (!Files.exists(fileOrDir)) {
            throw new NoSuchFileException(fileOrDir.toString(), null, "Checkpoint path " + fileOrDir
                    + " does not exist");
        }
        boolean safe = options.safe();
        if (!Files.isDirectory(fileOrDir)) {
            String name = fileOrDir.getFileName().toString();
            if (name.endsWith(".index.json") || Weights.SHARDED.equals(Weights.detect(fileOrDir))) {
                return openIndex(fileOrDir, options); // also an index under another name (a hub cache blob)
            }
            return loadStateDictFromFile(fileOrDir, options);
        }
        FilenamePattern pattern;
        if (options.filenamePattern() != null) {
            pattern = FilenamePattern.of(options.filenamePattern());
            if (safe && !isSafetensorsName(pattern.single())) {
                throw new CheckpointException(CheckpointException.Reason.PICKLE_REFUSED, "`filename_pattern='"
                        + pattern.pattern() + "'` does not describe safetensors files but `safe=True`. Pass"
                        + " `safe=False` to explicitly allow loading pickled weights (weightmap reads them without"
                        + " executing code).");
            }
        } else {
            pattern = FilenamePattern.of(FilenamePattern.SAFETENSORS);
            if (!Files.isRegularFile(fileOrDir.resolve(pattern.index())) && !safe) {
                pattern = FilenamePattern.of(FilenamePattern.PYTORCH);
            }
        }
        Path index = fileOrDir.resolve(pattern.index());
        if (Files.isRegularFile(index)) {
            return openSharded(index, pattern.extension(), options);
        }
        List<Path> found = entriesEndingWith(fileOrDir, ".safetensors");
        if (found.size() != 1 && !safe) {
            found = entriesEndingWith(fileOrDir, ".bin");
        }
        if (found.size() != 1) {
            String hint = "";
            if (safe) { // hub's message, plus what safe=false would consider
                List<String> pickles = new ArrayList<>();
                for (Path p : entriesEndingWith(fileOrDir, ".bin")) {
                    pickles.add(p.getFileName().toString());
                }
                if (Files.isRegularFile(fileOrDir.resolve(FilenamePattern.of(FilenamePattern.PYTORCH).index()))) {
                    pickles.add(0, FilenamePattern.of(FilenamePattern.PYTORCH).index());
                }
                if (!pickles.isEmpty()) {
                    hint = " It holds pickle checkpoint files (" + String.join(", ", pickles.subList(0,
                            Math.min(3, pickles.size()))) + (pickles.size() > 3 ? ", ..." : "") + "), which"
                            + " `safe=True` does not consider: pass `safe=False` to load them.";
                }
            }
            throw new CheckpointException(CheckpointException.Reason.NO_CHECKPOINT, "Directory '" + fileOrDir
                    + "' does not contain a valid checkpoint. Expected either a sharded checkpoint with an index"
                    + " file, or a single model file." + hint);
        }
        return loadStateDictFromFile(found.get(0), options).selectedFromFolder();
    }

    /** hub's {@code _is_safetensors}: the name ends in {@code .safetensors}, ignoring case. */
    static boolean isSafetensorsName(String name) {
        return name.toLowerCase(java.util.Locale.ROOT).endsWith(".safetensors");
    }

    /**
     * hub's {@code glob("*" + ext)} on the folder: every entry (hidden names and folders included) whose name ends
     * with {@code ext}, case-sensitively, sorted by name.
     */
    private static List<Path> entriesEndingWith(Path dir, String ext) throws IOException {
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (p.getFileName().toString().endsWith(ext)) {
                    found.add(p);
                }
            }
        }
        found.sort(null);
        return found;
    }

    /**
     * Opens a checkpoint through its index file; the shards' expected extension comes from the index's name
     * ({@code model.safetensors.index.json}: {@code .safetensors}), any extension for an index of another name.
     * With {@code safe}, a shard that is not a safetensors file is refused ({@code PICKLE_REFUSED}).
     */
    static Checkpoint openIndex(Path index, LoadOptions options) throws IOException {
        String name = index.getFileName().toString();
        String ext = "";
        if (name.endsWith(".index.json")) {
            String single = name.substring(0, name.length() - ".index.json".length());
            int dot = single.lastIndexOf('.');
            ext = dot <= 0 ? "" : single.substring(dot);
        }
        return openSharded(index, ext, options);
    }

    /**
     * {@link #loadStateDictFromFile(Path, boolean)} with hub's default {@code safe = true}: only a safetensors
     * file is opened.
     *
     * @param file the checkpoint file
     * @return the opened checkpoint; close it
     * @throws NoSuchFileException when {@code file} is not a regular file
     * @throws CheckpointException {@code PICKLE_REFUSED} for a torch (pickle) checkpoint, {@code UNSUPPORTED_FORMAT}
     *                             for other {@code format} metadata or a file of another format
     * @throws IOException         when the file cannot be read
     */
    public static Checkpoint loadStateDictFromFile(Path file) throws IOException {
        return loadStateDictFromFile(file, LoadOptions.defaults());
    }
    /**
     * Opens one checkpoint file (hub's {@code load_state_dict_from_file}). The format is detected by content as
     * {@link Weights#open(Path)} detects it, whatever the file's name: a safetensors file is opened zero-copy (its
     * {@code format} metadata, when there is metadata, must be {@code pt} or {@code mlx}); a torch checkpoint
     * through the torch reader.
     *
     * <p><b>What {@code safe} means here.</b> hub's {@code safe=True} exists because {@code torch.load} can execute
     * code hidden in a pickle. weightmap's pickle reader never executes code (it interprets an allowlist of
     * opcodes and classes), so reading a torch checkpoint is not a code-execution risk. The switch keeps hub's
     * contract anyway: with {@code safe = true} only safetensors files are opened and a pickle checkpoint is
     * refused with {@code PICKLE_REFUSED} and hub's message, so a caller can insist on safetensors only (for
     * example to serve exactly what a safetensors-only consumer would). Unlike hub, {@code safe = false} still
     * opens a safetensors file named {@code *.bin} (detection is by content).
     *
     * @param file the checkpoint file
     * @param safe true to open safetensors files only (hub's default)
     * @return the opened checkpoint; close it
     * @throws NoSuchFileException when {@code file} is not a regular file
     * @throws CheckpointException {@code PICKLE_REFUSED} for a torch checkpoint when {@code safe};
     *                             {@code UNSUPPORTED_FORMAT} for other {@code format} metadata, or for a file
     *                             of another format (a DDUF archive, an index file)
     * @throws IOException         when the file cannot be read
     */
    public static Checkpoint loadStateDictFromFile(Path file, boolean safe) throws IOException {
        return loadStateDictFromFile(file, LoadOptions.defaults().withSafe(safe));
    }

    /** {@link #loadStateDictFromFile(Path, boolean)} with the {@code safe} switch and header limit of {@code options}. */
    static Checkpoint loadStateDictFromFile(Path file, LoadOptions options) throws IOException {
        boolean safe = options.safe();
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "No checkpoint file found at '" + file
                    + "'. Please verify the path is correct and the file has been properly downloaded.");
        }
        String format = Weights.detect(file);
        if (!Weights.SAFETENSORS.equals(format) && !Weights.TORCH.equals(format)) {
            throw new CheckpointException(CheckpointException.Reason.UNSUPPORTED_FORMAT, "'" + file + "' is a "
                    + format + " file, not a single checkpoint file (safetensors or torch); open it with"
                    + " Weights.open");
        }
        if (safe && Weights.TORCH.equals(format)) {
            throw pickleRefused(file);
        }
        List<AutoCloseable> resources = new ArrayList<>();
        SharedMapping mapping = mappingFor(file.toString(), options);
        try {
            Map<String, Tensor> tensors;
            Map<String, Object> metadata;
            if (Weights.SAFETENSORS.equals(format)) {
                SafetensorsFile f = SafetensorsFile.open(file, OpenOptions.defaults()
                        .withMaxHeaderBytes(options.maxHeaderBytes()).withArena(mapping.arena()));
                resources.add(f);
                checkFormat(f, file);
                tensors = new LinkedHashMap<>(f.tensors());
                metadata = new LinkedHashMap<>(f.metadata());
            } else {
                TorchCheckpoint t = TorchCheckpoint.open(file, mapping.arena());
                resources.add(t);
                tensors = new LinkedHashMap<>(t.stateDict());
                metadata = new LinkedHashMap<>();
            }
            Map<String, Path> fileOf = new LinkedHashMap<>();
            for (String n : tensors.keySet()) {
                fileOf.put(n, file);
            }
            return new Checkpoint(mapping, null, metadata, tensors, fileOf, List.of(file), resources,
                    Map.of(file, tensors), java.util.Set.of(), List.of());
        } catch (IOException | RuntimeException | Error e) {
            closeAll(resources, e);
            mapping.close();
            throw e;
        }
    }

    /**
     * hub 2.0's warning for shard tensors the index does not list ({@code Shard files contain tensors absent from
     * the index: ['a', 'b']}: names sorted, in Python's list notation), followed by the index file.
     */
    static String unindexedWarning(java.util.SortedSet<String> names, Path index) {
        StringBuilder sb = new StringBuilder("Shard files contain tensors absent from the index: [");
        for (String n : names) {
            if (sb.charAt(sb.length() - 1) != '[') {
                sb.append(", ");
            }
            sb.append('\'').append(n).append('\'');
        }
        return sb.append("] (index file '").append(index).append("')").toString();
    }

    /** Whether the content of {@code p} is a safetensors file (false for any other or unknown content). */
    private static boolean holdsSafetensors(Path p) throws IOException {
        try {
            return Weights.SAFETENSORS.equals(Weights.detect(p));
        } catch (dev.weightmap.WeightmapException e) {
            return false; // not safetensors: the torch reader reports what is wrong with it
        }
    }

    private static SharedMapping mappingFor(String name, LoadOptions options) {
        return options.arena() == null ? SharedMapping.owned(name) : SharedMapping.external(name, options.arena());
    }

    /** hub's {@code safe=True} refusal of a pickle file, naming it. */
    private static CheckpointException pickleRefused(Path file) {
        return new CheckpointException(CheckpointException.Reason.PICKLE_REFUSED, "Cannot load '" + file + "' as"
                + " safetensors: it is a pickle (torch) checkpoint. If this is intended, pass `safe=False` to allow it"
                + " (weightmap reads pickle checkpoints without executing code).");
    }

    private static void checkFormat(SafetensorsFile f, Path file) {
        Map<String, String> md = f.metadata();
        if (!md.isEmpty()) {
            String format = md.get("format");
            if (!"pt".equals(format) && !"mlx".equals(format)) {
                throw new CheckpointException(CheckpointException.Reason.UNSUPPORTED_FORMAT, "The safetensors archive"
                        + " passed at " + file + " does not contain the valid metadata. Make sure you save your model"
                        + " with the `save_torch_model` method.");
            }
        }
    }

    /** A parsed, validated index: metadata and weight map (name -> shard name). */
    record Index(Path path, Map<String, Object> metadata, Map<String, String> weightMap) {
    }

    /**
     * Reads and validates an index: JSON object with a {@code weight_map} object of strings and an optional
     * {@code metadata} object; every shard name safe and with {@code expectedExtension}.
     */
    @SuppressWarnings("unchecked")
    static Index readIndex(Path index, String expectedExtension, long maxIndexBytes) throws IOException {
        long size = Files.size(index);
        if (size > maxIndexBytes) {
            throw new CheckpointException(CheckpointException.Reason.LIMIT_EXCEEDED, "Index file '" + index
                    + "' is " + size + " bytes, more than the limit of " + maxIndexBytes + " bytes (as huggingface_hub,"
                    + " 10 MiB by default; raise it with OpenOptions.withMaxIndexBytes or"
                    + " LoadOptions.withMaxIndexBytes)");
        }
        byte[] bytes = Files.readAllBytes(index);
        Object root;
        try {
            root = JsonReader.parse(bytes);
        } catch (JsonException e) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid index file '" + index
                    + "': " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> obj)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid index file '" + index
                    + "': the top level must be a JSON object");
        }
        Object wm = obj.get("weight_map");
        if (!(wm instanceof Map<?, ?> wmap)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid index file '" + index
                    + "': 'weight_map' must be an object of tensor name -> shard file name");
        }
        Object md = obj.get("metadata");
        if (md != null && !(md instanceof Map<?, ?>)) {
            throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid index file '" + index
                    + "': 'metadata' must be an object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : wmap.entrySet()) {
            if (!(e.getValue() instanceof String shard)) {
                throw new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid index file '" + index
                        + "': the shard of tensor '" + e.getKey() + "' is not a string");
            }
            weightMap.put((String) e.getKey(), shard);
        }
        for (String shard : new java.util.LinkedHashSet<>(weightMap.values())) {
            ShardNames.validate(shard, index, expectedExtension);
        }
        Map<String, Object> metadata = md == null ? new LinkedHashMap<>() : new LinkedHashMap<>((Map<String, Object>) md);
        return new Index(index, metadata, weightMap);
    }

    private static Checkpoint openSharded(Path indexPath, String expectedExtension, LoadOptions options)
            throws IOException {
        Index index = readIndex(indexPath, expectedExtension, options.maxIndexBytes());
        boolean safe = options.safe();
        Path dir = indexPath.getParent() == null ? Path.of("") : indexPath.getParent(); // paths as given
        List<AutoCloseable> resources = new ArrayList<>();
        SharedMapping mapping = mappingFor(indexPath.toString(), options);
        try {
            Map<String, Map<String, Tensor>> shardTensors = new LinkedHashMap<>();
            Map<String, Path> shardPaths = new LinkedHashMap<>();
            for (String shard : new java.util.LinkedHashSet<>(index.weightMap().values())) {
                Path p = dir.resolve(shard);
                if (!Files.isRegularFile(p)) {
                    throw new NoSuchFileException(p.toString(), null, "shard '" + shard + "' listed in index file '"
                            + indexPath + "' is missing");
                }
                shardPaths.put(shard, p);
                // a shard named .safetensors is read as safetensors whatever it holds (as hub does); another name
                // by content, so safetensors bytes under a .bin name are no pickle
                boolean asSafetensors = shard.endsWith(".safetensors") || holdsSafetensors(p);
                if (!asSafetensors && safe) {
                    throw pickleRefused(p);
                }
                if (asSafetensors) {
                    SafetensorsFile f = SafetensorsFile.open(p, OpenOptions.defaults()
                            .withMaxHeaderBytes(options.maxHeaderBytes()).withArena(mapping.arena()));
                    resources.add(f);
                    checkFormat(f, p);
                    shardTensors.put(shard, f.tensors());
                } else {
                    TorchCheckpoint t = TorchCheckpoint.open(p, mapping.arena());
                    resources.add(t);
                    shardTensors.put(shard, t.stateDict());
                }
            }
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            Map<String, Path> fileOf = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : index.weightMap().entrySet()) {
                Tensor t = shardTensors.get(e.getValue()).get(e.getKey());
                if (t == null) {
                    throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "Tensor '" + e.getKey()
                            + "' is listed in index file '" + indexPath + "' under shard '" + e.getValue()
                            + "', which does not contain it");
                }
                tensors.put(e.getKey(), t);
                fileOf.put(e.getKey(), shardPaths.get(e.getValue()));
            }
            // hub 2.0: what the shards hold is loaded, even a tensor the index does not list (with a warning)
            Map<String, String> unindexed = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, Tensor>> e : shardTensors.entrySet()) {
                for (Map.Entry<String, Tensor> t : e.getValue().entrySet()) {
                    String name = t.getKey();
                    if (index.weightMap().containsKey(name)) {
                        continue;
                    }
                    String other = unindexed.putIfAbsent(name, e.getKey());
                    if (other != null) {
                        throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "Tensor '" + name
                                + "', which index file '" + indexPath + "' does not list, is in both shard '" + other
                                + "' and shard '" + e.getKey() + "'");
                    }
                    tensors.put(name, t.getValue());
                    fileOf.put(name, shardPaths.get(e.getKey()));
                }
            }
            List<String> warnings = new ArrayList<>();
            if (!unindexed.isEmpty()) {
                warnings.add(unindexedWarning(new java.util.TreeSet<>(unindexed.keySet()), indexPath));
            }
            Map<Path, Map<String, Tensor>> contents = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, Tensor>> e : shardTensors.entrySet()) {
                contents.put(shardPaths.get(e.getKey()), e.getValue());
            }
            return new Checkpoint(mapping, indexPath, index.metadata(), tensors, fileOf, new ArrayList<>(shardPaths.values()),
                    resources, contents, unindexed.keySet(), warnings);
        } catch (IOException | RuntimeException | Error e) {
            closeAll(resources, e);
            mapping.close();
            throw e;
        }
    }

    private static void closeAll(List<AutoCloseable> resources, Throwable primary) {
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception suppressed) {
                primary.addSuppressed(suppressed);
            }
        }
    }
}
