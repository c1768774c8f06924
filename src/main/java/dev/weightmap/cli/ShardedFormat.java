// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.shard.Checkpoint;
import dev.weightmap.shard.CheckpointException;
import dev.weightmap.shard.Checkpoints;
import dev.weightmap.shard.LoadOptions;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A checkpoint folder or an {@code *.index.json} file, opened with {@link Checkpoints#open(Path)}. */
final class ShardedFormat implements CliFormat {
    @Override
    public String name() {
        return "sharded";
    }

    /**
     * Opens a file, an index or a folder; a folder holding no safetensors checkpoint is opened as a torch
     * ({@code pytorch_model*.bin}) checkpoint.
     */
    static Checkpoint openAny(Path in) throws IOException {
        if (!Files.isDirectory(in)) {
            return Checkpoints.open(in);
        }
        try {
            return Checkpoints.open(in, LoadOptions.defaults());
        } catch (CheckpointException e) {
            if (e.reason() != CheckpointException.Reason.NO_CHECKPOINT) {
                throw e;
            }
            return Checkpoints.open(in, LoadOptions.defaults().withSafe(false));
        }
    }

    @Override
    public boolean accepts(Path path) {
        return Files.isDirectory(path)
                || Files.isRegularFile(path) && path.getFileName().toString().endsWith(".index.json");
    }

    @Override
    public Opened open(Path path) throws IOException {
        Checkpoint c = openAny(path);
        return new Opened() {
            @Override
            public Map<String, Object> inspectJson() {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("format", "sharded");
                m.put("index", c.indexFile() == null ? null : c.indexFile().toString());
                m.put("metadata", new LinkedHashMap<>(c.metadata()));
                List<Object> files = new ArrayList<>();
                for (Path f : c.dataFiles()) {
                    files.add(f.toString());
                }
                m.put("files", files);
                List<Object> tensors = new ArrayList<>();
                for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
                    Map<String, Object> t = new LinkedHashMap<>();
                    t.put("name", e.getKey());
                    t.put("dtype", e.getValue().dtype().headerName());
                    t.put("shape", e.getValue().shape());
                    t.put("length", e.getValue().byteLength());
                    t.put("file", c.fileOf(e.getKey()).getFileName().toString());
                    tensors.add(t);
                }
                m.put("tensors", tensors);
                return m;
            }

            @Override
            public void printTable(PrintStream out) {
                out.printf("%s: sharded checkpoint, %d tensors in %d file(s)%s%n", path, c.size(), c.dataFiles().size(),
                        c.indexFile() == null ? "" : ", index " + c.indexFile().getFileName());
                if (!c.metadata().isEmpty()) {
                    out.println("metadata:");
                    c.metadata().forEach((k, v) -> out.printf("  %s = %s%n", k, v));
                }
                int w = 4;
                for (String n : c.names()) {
                    w = Math.min(80, Math.max(w, n.length()));
                }
                out.printf("%-" + w + "s  %-11s  %-20s  %12s  %s%n", "NAME", "DTYPE", "SHAPE", "BYTES", "FILE");
                for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
                    Tensor t = e.getValue();
                    out.printf("%-" + w + "s  %-11s  %-20s  %12d  %s%n", e.getKey(), t.dtype().headerName(),
                            java.util.Arrays.toString(t.shape()), t.byteLength(), c.fileOf(e.getKey()).getFileName());
                }
            }

            @Override
            public String verify() {
                c.verifyIndex();
                long bytes = 0;
                for (Tensor t : c.tensors().values()) {
                    bytes += t.byteLength();
                }
                return path + ": sharded, " + c.size() + " tensors in " + c.dataFiles().size() + " file(s), " + bytes
                        + " tensor bytes" + (c.indexFile() == null ? "" : ", index and shards agree");
            }

            @Override
            public Map<String, Tensor> tensors() {
                return c.tensors();
            }

            @Override
            public List<Path> files() {
                List<Path> all = new ArrayList<>();
                if (c.indexFile() != null) {
                    all.add(c.indexFile());
                }
                all.addAll(c.dataFiles());
                return all;
            }

            @Override
            public void close() {
                c.close();
            }
        };
    }
}
