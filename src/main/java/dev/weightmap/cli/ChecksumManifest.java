// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.ChecksumMismatchException;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.checksum.Crc;
import dev.weightmap.checksum.Hasher;
import dev.weightmap.internal.io.MappedFile;
import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Checksum manifests ({@code hash --manifest}, {@code verify --manifest}): hashing with progress on a terminal,
 * building the manifest object and comparing an input against one.
 */
final class ChecksumManifest {
    /** Slice hashed between two progress updates. */
    private static final long SLICE = 256L << 20;

    private ChecksumManifest() {
    }

    /** {@code {"algo","format","tensors","files"}} for one input; file keys are relative to it. */
    static Map<String, Object> build(Cli cli, ChecksumAlgorithm algo, Path p, int threads) throws IOException {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algo", algo.cliName());
        CliFormat format = Formats.detect(p);
        m.put("format", format.name());
        try (CliFormat.Opened o = format.open(p)) {
            m.put("tensors", hashTensors(cli, algo, o, threads, p.toString()));
            Map<String, String> files = new LinkedHashMap<>();
            hashFiles(cli, algo, o.files(), threads).forEach((f, h) -> files.put(relative(p, f), h));
            m.put("files", files);
        }
        return m;
    }

    private static String relative(Path input, Path file) {
        if (Files.isDirectory(input)) {
            return input.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString();
        }
        return file.getFileName().toString();
    }

    private static Path resolve(Path input, String name) {
        Path base = Files.isDirectory(input) ? input : input.toAbsolutePath().getParent();
        return base.resolve(name);
    }

    /** Every tensor's hex digest on {@code threads} threads, in the format's order, with progress. */
    static Map<String, String> hashTensors(Cli cli, ChecksumAlgorithm algo, CliFormat.Opened o, int threads,
                                           String label) {
        Map<String, Tensor> tensors = o.tensors();
        long total = 0;
        for (Tensor t : tensors.values()) {
            total += t.byteLength();
        }
        Cli.Progress progress = cli.progress("hashing " + label, total);
        try {
            if (tensors.size() <= 1 || threads <= 1) {
                Map<String, String> out = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    out.put(e.getKey(), Checksums.hexOfTensors(algo, Map.of(e.getKey(), e.getValue()), threads)
                            .get(e.getKey()));
                    progress.add(e.getValue().byteLength());
                }
                return out;
            }
            try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, tensors.size()))) {
                List<Future<String>> futures = new ArrayList<>();
                for (Tensor t : tensors.values()) {
                    futures.add(pool.submit(() -> {
                        String h = Checksums.hexOfTensor(algo, t);
                        progress.add(t.byteLength());
                        return h;
                    }));
                }
                Map<String, String> out = new LinkedHashMap<>();
                int i = 0;
                for (String name : tensors.keySet()) {
                    out.put(name, join(futures.get(i++)));
                }
                return out;
            }
        } finally {
            progress.done();
        }
    }

    private static String join(Future<String> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while hashing", e);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Hex digests of several files, in order. CRCs split each file over the threads; the sequential algorithms
     * (SHA-256, XXH) hash up to {@code threads} files at once instead (without per-file progress).
     */
    static Map<Path, String> hashFiles(Cli cli, ChecksumAlgorithm algo, List<Path> files, int threads)
            throws IOException {
        Map<Path, String> out = new LinkedHashMap<>();
        boolean crc = algo == ChecksumAlgorithm.CRC32 || algo == ChecksumAlgorithm.CRC32C;
        if (crc || threads <= 1 || files.size() <= 1) {
            for (Path f : files) {
                out.put(f, hashFile(cli, algo, f, threads));
            }
            return out;
        }
        try (ExecutorService pool = Executors.newFixedThreadPool(Math.min(threads, files.size()))) {
            List<Future<String>> futures = new ArrayList<>();
            for (Path f : files) {
                futures.add(pool.submit(() -> Checksums.hexOfFile(algo, f, 1)));
            }
            for (int i = 0; i < files.size(); i++) {
                try {
                    out.put(files.get(i), futures.get(i).get());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while hashing " + files.get(i), e);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    join(futures.get(i)); // rethrows the runtime exception or error
                }
            }
        }
        return out;
    }

    /** A whole file's hex digest (mapped; CRCs chunked over threads), with progress for big files. */
    static String hashFile(Cli cli, ChecksumAlgorithm algo, Path file, int threads) throws IOException {
        try (MappedFile f = MappedFile.open(file)) {
            MemorySegment s = f.segment();
            long len = s.byteSize();
            Cli.Progress progress = cli.progress("hashing " + file, len);
            if (len < Cli.PROGRESS_THRESHOLD || !cli.isTerminal()) {
                return Checksums.hex(algo, s, threads);
            }
            try {
                if (algo == ChecksumAlgorithm.CRC32 || algo == ChecksumAlgorithm.CRC32C) {
                    int crc = 0;
                    for (long off = 0; off < len; off += SLICE) {
                        MemorySegment part = s.asSlice(off, Math.min(SLICE, len - off));
                        int c = algo == ChecksumAlgorithm.CRC32 ? Crc.crc32(part, threads) : Crc.crc32c(part, threads);
                        crc = algo == ChecksumAlgorithm.CRC32 ? Crc.combineCrc32(crc, c, part.byteSize())
                                : Crc.combineCrc32c(crc, c, part.byteSize());
                        progress.add(part.byteSize());
                    }
                    return String.format("%08x", crc);
                }
                Hasher h = Checksums.newHasher(algo);
                for (long off = 0; off < len; off += SLICE) {
                    MemorySegment part = s.asSlice(off, Math.min(SLICE, len - off));
                    h.update(part);
                    progress.add(part.byteSize());
                }
                return h.hex();
            } finally {
                progress.done();
            }
        }
    }

    /**
     * Re-hashes {@code input} and compares it with the manifest at {@code manifestPath}; returns a summary or
     * throws {@link ChecksumMismatchException} naming every tensor and file that differs, is missing or is new.
     */
    static String verify(Cli cli, CliFormat.Opened o, Path input, Path manifestPath, int threads)
            throws IOException {
        Map<String, Object> m = read(manifestPath);
        ChecksumAlgorithm algo = ChecksumAlgorithm.fromCliName((String) m.get("algo"));
        Map<String, String> tensors = strings(m, "tensors", manifestPath);
        Map<String, String> files = strings(m, "files", manifestPath);
        Map<String, String> actual = hashTensors(cli, algo, o, threads, input.toString());
        List<String> bad = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (Map.Entry<String, String> e : tensors.entrySet()) {
            String now = actual.get(e.getKey());
            if (now == null) {
                bad.add(e.getKey());
                details.add("tensor " + e.getKey() + " missing");
            } else if (!now.equalsIgnoreCase(e.getValue())) {
                bad.add(e.getKey());
                details.add("tensor " + e.getKey() + " " + algo.cliName() + " " + now + " != " + e.getValue());
            }
        }
        for (String name : actual.keySet()) {
            if (!tensors.containsKey(name)) {
                bad.add(name);
                details.add("tensor " + name + " not in manifest");
            }
        }
        for (String name : files.keySet()) {
            checkRelative(name, manifestPath);
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path f = resolve(input, e.getKey());
            if (!Files.isRegularFile(f)) {
                bad.add(e.getKey());
                details.add("file " + e.getKey() + " missing");
                continue;
            }
            String now = hashFile(cli, algo, f, threads);
            if (!now.equalsIgnoreCase(e.getValue())) {
                bad.add(e.getKey());
                details.add("file " + e.getKey() + " " + algo.cliName() + " " + now + " != " + e.getValue());
            }
        }
        if (!bad.isEmpty()) {
            throw new ChecksumMismatchException(input + " does not match " + manifestPath + ": " + bad.size()
                    + (bad.size() == 1 ? " difference: " : " differences: ") + String.join("; ", details), bad);
        }
        return "manifest " + manifestPath + ": " + tensors.size() + " tensors, " + files.size() + " files match ("
                + algo.cliName() + ")";
    }

    /** File keys must stay inside the input: relative, no {@code ..} component. */
    private static void checkRelative(String name, Path manifestPath) throws IOException {
        Path rel;
        try {
            rel = Path.of(name);
        } catch (java.nio.file.InvalidPathException e) {
            throw new IOException("manifest " + manifestPath + ": file key \"" + name + "\" is not a valid path", e);
        }
        boolean dotdot = false;
        for (Path part : rel) {
            dotdot |= part.toString().equals("..");
        }
        if (name.isEmpty() || rel.isAbsolute() || dotdot) {
            throw new IOException("manifest " + manifestPath + ": file key \"" + name
                    + "\" must be a relative path inside the input (no absolute path, no ..)");
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> read(Path manifestPath) throws IOException {
        Object root;
        try {
            root = JsonReader.parse(Files.readAllBytes(manifestPath));
        } catch (JsonException e) {
            throw new IOException("manifest " + manifestPath + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw new IOException("manifest " + manifestPath + " must be a JSON object");
        }
        Object algo = map.get("algo");
        if (!(algo instanceof String s) || ChecksumAlgorithm.fromCliName(s) == null) {
            throw new IOException("manifest " + manifestPath + ": \"algo\" must be one of crc32, crc32c, sha256,"
                    + " xxh64, xxh3-64, xxh3-128, got " + algo);
        }
        return (Map<String, Object>) map;
    }

    private static Map<String, String> strings(Map<String, Object> m, String key, Path manifestPath)
            throws IOException {
        Object v = m.getOrDefault(key, Map.of());
        if (!(v instanceof Map<?, ?> map)) {
            throw new IOException("manifest " + manifestPath + ": \"" + key + "\" must be an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new IOException("manifest " + manifestPath + ": \"" + key + "\"." + e.getKey()
                        + " must be a hex string");
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }
}
