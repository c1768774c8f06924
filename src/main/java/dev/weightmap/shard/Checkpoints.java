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

    /** {@link #open(Path, LoadOptions)} with {@link LoadOptions#defaults()}. */
    public static Checkpoint open(Path fileOrDir) throws IOException {
        return open(fileOrDir, LoadOptions.defaults());
    }

    /**
     * Opens a checkpoint file, an index file ({@code *.index.json}) or a folder. For a folder, as hub's
     * {@code load_torch_model}: the index named by the pattern (explicit pattern, else
     * {@code model{suffix}.safetensors}, or {@code pytorch_model{suffix}.bin} when {@code safe} is false and there is
     * no safetensors index) wins; else exactly one {@code *.safetensors} ({@code safe}) or {@code *.bin} file.
     * Every shard name of an index is validated before any shard is opened; each shard is mapped once.
     *
     * @throws NoSuchFileException when the path (or a shard) does not exist
     * @throws CheckpointException {@code NO_CHECKPOINT}, {@code INVALID_INDEX}, {@code INDEX_MISMATCH},
     *                             {@code UNSUPPORTED_FORMAT}
     */
    public static Checkpoint open(Path fileOrDir, LoadOptions options) throws IOException {
        if (!Files.exists(fileOrDir)) {
            throw new NoSuchFileException(fileOrDir.toString(), null, "Checkpoint path " + fileOrDir
                    + " does not exist");
        }
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
        } else {
            pattern = FilenamePattern.of(FilenamePattern.SAFETENSORS);
            if (!Files.isRegularFile(fileOrDir.resolve(pattern.index())) && !options.safe()) {
                pattern = FilenamePattern.of(FilenamePattern.PYTORCH);
            }
        }
        Path index = fileOrDir.resolve(pattern.index());
        if (Files.isRegularFile(index)) {
            return openSharded(index, pattern.extension(), options);
        }
        String ext = options.safe() ? ".safetensors" : ".bin";
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(fileOrDir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.endsWith(ext) && !n.startsWith(".") && Files.isRegularFile(p)) {
                    found.add(p);
                }
            }
        }
        if (found.size() != 1) {
            throw new CheckpointException(CheckpointException.Reason.NO_CHECKPOINT, "Directory '" + fileOrDir
                    + "' does not contain a valid checkpoint. Expected either a sharded checkpoint with an index"
                    + " file, or a single model file.");
        }
        return loadStateDictFromFile(found.get(0), options);
    }

    /**
     * Opens a checkpoint through its index file; the shards' expected extension comes from the index's name
     * ({@code model.safetensors.index.json}: {@code .safetensors}), any extension for an index of another name.
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
     * Opens one checkpoint file (hub's {@code load_state_dict_from_file}): a safetensors file zero-copy (its
     * {@code format} metadata, when there is metadata, must be {@code pt} or {@code mlx}); a torch checkpoint
     * through the torch reader (pickle is never executed). The format is detected by content as
     * {@link Weights#open(Path)} detects it, whatever the file's name.
     *
     * @throws NoSuchFileException when {@code file} is not a regular file
     * @throws CheckpointException {@code UNSUPPORTED_FORMAT} for other {@code format} metadata, or for a file
     *                             of another format (a DDUF archive, an index file)
     */
    public static Checkpoint loadStateDictFromFile(Path file) throws IOException {
        return loadStateDictFromFile(file, LoadOptions.defaults());
    }

    /** {@link #loadStateDictFromFile(Path)} with the header limit of {@code options}. */
    static Checkpoint loadStateDictFromFile(Path file, LoadOptions options) throws IOException {
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
        List<AutoCloseable> resources = new ArrayList<>();
        SharedMapping mapping = SharedMapping.owned(file.toString());
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
                    Map.of(file, tensors));
        } catch (IOException | RuntimeException | Error e) {
            closeAll(resources, e);
            mapping.close();
            throw e;
        }
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
        Path dir = indexPath.toAbsolutePath().getParent();
        List<AutoCloseable> resources = new ArrayList<>();
        SharedMapping mapping = SharedMapping.owned(indexPath.toString());
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
                if (shard.endsWith(".safetensors")) {
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
            Map<Path, Map<String, Tensor>> contents = new LinkedHashMap<>();
            shardTensors.forEach((shard, m) -> contents.put(shardPaths.get(shard), m));
            return new Checkpoint(mapping, indexPath, index.metadata(), tensors, fileOf, new ArrayList<>(shardPaths.values()),
                    resources, contents);
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
