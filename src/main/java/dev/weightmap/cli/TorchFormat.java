// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** PyTorch checkpoints ({@code .bin}, {@code .pt}, {@code .pth}, {@code .ckpt}; zip and legacy formats). */
final class TorchFormat implements CliFormat {
    private static final List<String> EXTENSIONS = List.of(".bin", ".pt", ".pth", ".ckpt");

    @Override
    public String name() {
        return "torch";
    }

    @Override
    public boolean accepts(Path path) {
        String n = path.getFileName() == null ? "" : path.getFileName().toString().toLowerCase(Locale.ROOT);
        return Files.isRegularFile(path) && EXTENSIONS.stream().anyMatch(n::endsWith);
    }

    @Override
    public Opened open(Path path) throws IOException {
        TorchCheckpoint c = TorchCheckpoint.open(path);
        try {
            c.entries(); // names must be unique to be listed
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
        return new Opened() {
            @Override
            public Map<String, Object> inspectJson() {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("format", "torch");
                m.put("container", c.container().name().toLowerCase(Locale.ROOT));
                if (c.zipPrefix() != null) {
                    m.put("zip_prefix", c.zipPrefix());
                }
                m.put("version", (long) c.version());
                m.put("byteorder", "little");
                List<Object> storages = new ArrayList<>();
                for (TorchCheckpoint.Storage s : c.storages().values()) {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("key", s.key());
                    e.put("storage_type", s.storageType());
                    e.put("location", s.location());
                    e.put("numel", s.numel());
                    e.put("offset", s.dataOffset());
                    e.put("length", s.segment().byteSize());
                    storages.add(e);
                }
                m.put("storages", storages);
                List<Object> tensors = new ArrayList<>();
                for (TorchCheckpoint.TensorEntry t : c.entries().values()) {
                    Tensor x = t.tensor();
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("name", t.name());
                    e.put("dtype", x.dtype().headerName());
                    e.put("torch_dtype", t.torchDtype());
                    e.put("shape", x.shape());
                    e.put("stride", x.strides());
                    e.put("storage_offset", x.storageOffset());
                    e.put("storage", t.storageKey());
                    e.put("offset", t.fileOffset());
                    e.put("length", x.byteLength());
                    e.put("contiguous", x.isContiguous());
                    if (t.parameter()) {
                        e.put("parameter", true);
                    }
                    tensors.add(e);
                }
                m.put("tensors", tensors);
                return m;
            }

            @Override
            public void printTable(PrintStream out) {
                out.printf("%s: torch (%s%s), %d tensors, %d storages, %d bytes%n", path,
                        c.container().name().toLowerCase(Locale.ROOT),
                        c.zipPrefix() == null ? "" : ", folder " + c.zipPrefix() + "/",
                        c.entries().size(), c.storages().size(), c.segment().byteSize());
                int w = 4;
                for (String n : c.entries().keySet()) {
                    w = Math.max(w, n.length());
                }
                w = Math.min(w, 80);
                out.printf("%-" + w + "s  %-11s  %-16s  %-12s  %7s  %10s  %10s%n", "NAME", "DTYPE", "SHAPE", "STRIDE",
                        "STORAGE", "OFFSET", "BYTES");
                for (TorchCheckpoint.TensorEntry t : c.entries().values()) {
                    Tensor x = t.tensor();
                    out.printf("%-" + w + "s  %-11s  %-16s  %-12s  %7s  %10d  %10d%n", t.name(), x.dtype().headerName(),
                            Arrays.toString(x.shape()), Arrays.toString(x.strides()), t.storageKey(), t.fileOffset(),
                            x.byteLength());
                }
            }

            @Override
            public String verify() {
                int crcs = c.verify().checksums();
                return path + ": torch " + c.container().name().toLowerCase(Locale.ROOT) + ", " + c.entries().size()
                        + " tensors, " + c.storages().size() + " storages, " + crcs + " record CRCs checked";
            }

            @Override
            public Map<String, Tensor> tensors() {
                return c.stateDict();
            }

            @Override
            public List<Path> files() {
                return List.of(path);
            }

            @Override
            public void close() {
                c.close();
            }
        };
    }
}
