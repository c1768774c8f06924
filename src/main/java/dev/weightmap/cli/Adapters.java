// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.OpenOptions;
import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.dduf.DdufCorruptedFileException;
import dev.weightmap.dduf.DdufEntry;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.safetensors.SafetensorsException;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.TensorInfo;
import dev.weightmap.shard.Checkpoint;
import dev.weightmap.shard.CheckpointException;
import dev.weightmap.shard.Checkpoints;
import dev.weightmap.shard.LoadOptions;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * TEMPORARY: today's readers seen as {@link Weights}, for as long as the library registers no
 * {@link dev.weightmap.spi.WeightsFormat} providers ({@link Input#open} uses them only then). The readers
 * themselves implement {@code Weights} once the front-door work lands; this class is then deleted, and
 * {@link #unwrap(Weights)} with it.
 */
final class Adapters {
    private Adapters() {
    }

    /** The concrete reader behind an adapter, or {@code w} itself. */
    static Object unwrap(Weights w) {
        return w instanceof Base b ? b.reader : w;
    }

    /** Opens {@code path} with today's readers, detecting the format by content first, then by name. */
    static Weights open(Path path, OpenOptions options) throws IOException {
        if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString(), null, "no such file or folder: " + path);
        }
        if (Files.isDirectory(path)) {
            return sharded(path, folder(path, options));
        }
        if (!Files.isRegularFile(path)) {
            throw new WeightmapException(WeightmapException.Common.NOT_A_REGULAR_FILE, path.toString(), null,
                    path + ": not a regular file", null);
        }
        byte[] head = new byte[4096];
        int n;
        long size;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            size = ch.size();
            ByteBuffer b = ByteBuffer.wrap(head);
            while (b.hasRemaining() && ch.read(b, b.position()) > 0) {
                // fill
            }
            n = b.position();
        }
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        String headText = new String(head, 0, n, StandardCharsets.ISO_8859_1);
        if (n >= 9 && head[8] == '{' && ByteBuffer.wrap(head, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() <= size - 8) {
            return safetensors(path);
        }
        if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            int nameLen = n >= 30 ? (head[26] & 0xFF) | (head[27] & 0xFF) << 8 : 0;
            String first = n >= 30 + nameLen ? headText.substring(30, 30 + nameLen) : "";
            return first.endsWith("data.pkl") || first.endsWith("/.format") || first.endsWith("/byteorder")
                    ? torch(path) : dduf(path);
        }
        if (n >= 2 && (head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5) {
            return torch(path);
        }
        if (name.endsWith(".index.json") || headText.stripLeading().startsWith("{") && headText.contains("\"weight_map\"")) {
            return sharded(path, Checkpoints.open(path));
        }
        if (name.endsWith(".safetensors")) {
            return safetensors(path);
        }
        if (name.endsWith(".dduf")) {
            return dduf(path);
        }
        if (name.endsWith(".bin") || name.endsWith(".pt") || name.endsWith(".pth") || name.endsWith(".ckpt")) {
            return torch(path);
        }
        if (headText.startsWith("GGUF")) {
            throw new WeightmapException(WeightmapException.Common.UNSUPPORTED_FORMAT, path.toString(), null, path
                    + ": a GGUF file (magic 'GGUF'); GGUF is not supported yet", null);
        }
        throw new WeightmapException(WeightmapException.Common.UNKNOWN_FORMAT, path.toString(), null, path
                + ": not a format weightmap reads (" + (size == 0 ? "an empty file" : size + " bytes") + ")", null);
    }

    private static Checkpoint folder(Path in, OpenOptions options) throws IOException {
        LoadOptions lo = LoadOptions.defaults().withFilenamePattern(options.filenamePattern());
        try {
            return Checkpoints.open(in, lo);
        } catch (CheckpointException e) {
            if (e.reason() != CheckpointException.Reason.NO_CHECKPOINT || options.safe()) {
                throw e;
            }
            return Checkpoints.open(in, lo.withSafe(false));
        }
    }

    private static Weights safetensors(Path path) throws IOException {
        return new Safetensors(path, SafetensorsFile.open(path));
    }

    private static Weights dduf(Path path) throws IOException {
        DdufFile d = DdufFile.open(path);
        try {
            return new Dduf(path, d);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    private static Weights torch(Path path) throws IOException {
        TorchCheckpoint c = TorchCheckpoint.open(path);
        try {
            c.entries(); // names must be unique to be listed
            return new Torch(path, c);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    private static Weights sharded(Path path, Checkpoint c) {
        return new Sharded(path, c);
    }

    /** What every adapter shares. */
    private abstract static class Base implements Weights {
        final Path path;
        final Object reader;
        private final AutoCloseable closer;
        private boolean open = true;

        Base(Path path, Object reader, AutoCloseable closer) {
            this.path = path;
            this.reader = reader;
            this.closer = closer;
        }

        @Override
        public Path path() {
            return path;
        }

        @Override
        public String displayName() {
            return path.toString();
        }

        @Override
        public List<String> tensorNames() {
            return List.copyOf(tensors().keySet());
        }

        @Override
        public Tensor tensor(String name) {
            Tensor t = tensors().get(name);
            if (t == null) {
                throw new WeightmapException(WeightmapException.Common.TENSOR_NOT_FOUND, path.toString(), name,
                        path + ": no tensor named '" + name + "'", null);
            }
            return t;
        }

        @Override
        public List<Path> files() {
            return List.of(path);
        }

        @Override
        public Lease retain() {
            return () -> { };
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            open = false;
            try {
                closer.close();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static List<TensorLocation> safetensorsLocations(SafetensorsFile f, Path file, long base, String entry) {
        List<TensorLocation> out = new ArrayList<>();
        for (TensorInfo t : f.infos()) {
            long off = base + t.absoluteOffset(f.dataStart());
            out.add(new TensorLocation(entry == null ? t.name() : entry + "::" + t.name(), t.dtype(), t.shape(), file,
                    off, t.length(), TensorLocation.alignmentOf(off), entry == null ? Map.of() : Map.of("entry", entry)));
        }
        return out;
    }

    private static final class Safetensors extends Base {
        private final SafetensorsFile f;

        Safetensors(Path path, SafetensorsFile f) {
            super(path, f, f);
            this.f = f;
        }

        @Override
        public String format() {
            return SAFETENSORS;
        }

        @Override
        public Map<String, Tensor> tensors() {
            return f.tensors();
        }

        @Override
        public Map<String, ?> metadata() {
            return f.metadata();
        }

        @Override
        public VerifyReport verify() {
            return new VerifyReport(SAFETENSORS, f.size(), 1, f.segment().byteSize(), 0,
                    List.of("header, dtypes, shapes and offsets valid"));
        }

        @Override
        public List<TensorLocation> locations() {
            return safetensorsLocations(f, path, 0, null);
        }
    }

    private static final class Dduf extends Base {
        private final DdufFile dduf;
        private final Map<String, SafetensorsFile> safetensors = new LinkedHashMap<>();
        private final Map<String, Tensor> tensors = new LinkedHashMap<>();

        Dduf(Path path, DdufFile dduf) {
            super(path, dduf, dduf);
            this.dduf = dduf;
            for (DdufEntry e : dduf.entries().values()) {
                if (e.name().endsWith(".safetensors")) {
                    try {
                        safetensors.put(e.name(), e.openSafetensors());
                    } catch (SafetensorsException x) {
                        throw new DdufCorruptedFileException(path + ": entry '" + e.name() + "': invalid safetensors: "
                                + x.getMessage(), x);
                    }
                }
            }
            safetensors.forEach((entry, st) -> {
                for (String n : st.names()) {
                    tensors.put(entry + "::" + n, st.tensor(n));
                }
            });
        }

        @Override
        public String format() {
            return DDUF;
        }

        @Override
        public Map<String, Tensor> tensors() {
            return Collections.unmodifiableMap(tensors);
        }

        @Override
        public Map<String, ?> metadata() {
            return dduf.modelIndex();
        }

        @Override
        public VerifyReport verify() {
            long bytes = dduf.verify();
            return new VerifyReport(DDUF, tensors.size(), 1, bytes, dduf.entries().size(),
                    List.of("CRC-32 of every entry matches"));
        }

        @Override
        public List<TensorLocation> locations() {
            List<TensorLocation> out = new ArrayList<>();
            safetensors.forEach((entry, st) ->
                    out.addAll(safetensorsLocations(st, path, dduf.entries().get(entry).offset(), entry)));
            return out;
        }
    }

    private static final class Torch extends Base {
        private final TorchCheckpoint c;

        Torch(Path path, TorchCheckpoint c) {
            super(path, c, c);
            this.c = c;
        }

        @Override
        public String format() {
            return TORCH;
        }

        @Override
        public Map<String, Tensor> tensors() {
            return c.stateDict();
        }

        @Override
        public Map<String, ?> metadata() {
            return Map.of();
        }

        @Override
        public VerifyReport verify() {
            int crcs = c.verify();
            return new VerifyReport(TORCH, c.entries().size(), 1, c.segment().byteSize(), crcs,
                    List.of(crcs + " record CRCs checked"));
        }

        @Override
        public List<TensorLocation> locations() {
            return torchLocations(c, path);
        }
    }

    private static List<TensorLocation> torchLocations(TorchCheckpoint c, Path file) {
        List<TensorLocation> out = new ArrayList<>();
        for (TorchCheckpoint.TensorEntry t : c.entries().values()) {
            Tensor x = t.tensor();
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("torch_dtype", t.torchDtype());
            extras.put("stride", x.strides());
            extras.put("storage_offset", x.storageOffset());
            extras.put("storage", t.storageKey());
            extras.put("contiguous", x.isContiguous());
            if (t.parameter()) {
                extras.put("parameter", true);
            }
            out.add(new TensorLocation(t.name(), x.dtype(), x.shape(), file, t.fileOffset(), x.byteLength(),
                    TensorLocation.alignmentOf(t.fileOffset()), extras));
        }
        return out;
    }

    private static final class Sharded extends Base {
        private final Checkpoint c;

        Sharded(Path path, Checkpoint c) {
            super(path, c, c);
            this.c = c;
        }

        @Override
        public String format() {
            return SHARDED;
        }

        @Override
        public Map<String, Tensor> tensors() {
            return c.tensors();
        }

        @Override
        public Map<String, ?> metadata() {
            return c.metadata();
        }

        @Override
        public VerifyReport verify() {
            c.verifyIndex();
            long bytes = 0;
            for (Tensor t : c.tensors().values()) {
                bytes += t.byteLength();
            }
            return new VerifyReport(SHARDED, c.size(), files().size(), bytes, 0,
                    c.indexFile() == null ? List.of() : List.of("index and shards agree"));
        }

        @Override
        public List<Path> files() {
            List<Path> all = new ArrayList<>();
            if (c.indexFile() != null) {
                all.add(c.indexFile());
            }
            all.addAll(c.files());
            return all;
        }

        @Override
        public List<TensorLocation> locations() {
            Map<Path, Map<String, Long>> offsets = new LinkedHashMap<>();
            for (Path f : c.files()) {
                Map<String, Long> m = new LinkedHashMap<>();
                try {
                    Weights shard = open(f, OpenOptions.defaults());
                    try (shard) {
                        for (TensorLocation l : shard.locations()) {
                            m.put(l.name(), l.offset());
                        }
                    }
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                offsets.put(f, m);
            }
            List<TensorLocation> out = new ArrayList<>();
            for (Map.Entry<String, Tensor> e : c.tensors().entrySet()) {
                Tensor t = e.getValue();
                Path file = c.fileOf(e.getKey());
                long off = offsets.getOrDefault(file, Map.of()).getOrDefault(e.getKey(), 0L);
                out.add(new TensorLocation(e.getKey(), t.dtype(), t.shape(), file, off, t.byteLength(),
                        TensorLocation.alignmentOf(off), Map.of("file", file.getFileName().toString())));
            }
            return out;
        }
    }
}
