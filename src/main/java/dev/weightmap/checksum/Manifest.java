// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * A checksum manifest: the digest of every tensor's logical bytes and of every file of a checkpoint, written as
 * JSON ({@code weightmap hash --manifest}) and checked later ({@code weightmap verify --manifest}).
 *
 * <pre>{@code
 * try (Weights w = Weights.open(dir)) {
 *     Manifest.create(w, ChecksumAlgorithm.XXH3_64, 8).write(dir.resolve("../model.manifest.json"));
 * }
 * // later, or on another machine
 * try (Weights w = Weights.open(dir)) {
 *     Manifest.read(manifestPath).verify(w, 8);   // ChecksumMismatchException names every difference
 * }
 * }</pre>
 *
 * <p>The JSON form is one object, {@code {"algo","format","tensors":{name:hex},"files":{file:hex}}}, printed
 * with an indent of two spaces (as Python's {@code json.dumps(indent=2)}) and a final newline. File keys are
 * relative to the checkpoint: the file name for a single file, the path inside the folder for a folder; keys that
 * are absolute or contain {@code ..} are refused, so a manifest from elsewhere cannot make {@code verify} read
 * files outside the checkpoint.
 *
 * <p>Hashing runs on up to {@code threads} short-lived platform threads of its own (never the common pool), and
 * tensors and files are hashed together, longest first, so every thread has work until the end. CRC32 and CRC32C
 * also cut tensors and files of 32 MiB or more into up to {@code threads} pieces hashed in parallel and joined by
 * the CRC combine math (the value is the one-thread value). SHA-256 and the XXH family hash each tensor and each file as one sequential
 * stream (their state after a byte depends on all bytes before it): they use several cores only by hashing
 * several tensors or files at once. An optional {@link LongConsumer} hears how many bytes are done, in
 * increments, from any of those threads.
 *
 * <p>A malformed manifest fails with a {@link WeightmapException} of reason {@code IO_ERROR} naming the manifest
 * and the rule (the code {@code weightmap verify} has always printed for it).
 */
public final class Manifest {
    private static final LongConsumer NO_PROGRESS = bytes -> { };

    private final ChecksumAlgorithm algorithm;
    private final String format;
    private final Map<String, String> tensors;
    private final Map<String, String> files;
    private final String source;

    private Manifest(ChecksumAlgorithm algorithm, String format, Map<String, String> tensors,
                     Map<String, String> files, String source) {
        this.algorithm = Objects.requireNonNull(algorithm, "algorithm");
        this.format = format;
        this.tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        this.files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        this.source = source;
        for (String key : this.files.keySet()) {
            checkRelative(key, source == null ? "manifest" : "manifest " + source);
        }
    }

    /**
     * A manifest from digests computed elsewhere.
     *
     * @param algorithm the algorithm of every digest
     * @param format    the checkpoint's format name ({@link Weights#format()}), or null
     * @param tensors   lower-case hex digest by tensor name, in order
     * @param files     lower-case hex digest by relative file name, in order
     * @return the manifest
     * @throws WeightmapException {@code IO_ERROR} when a file key is absolute or contains {@code ..}
     */
    public static Manifest of(ChecksumAlgorithm algorithm, String format, Map<String, String> tensors,
                              Map<String, String> files) {
        return new Manifest(algorithm, format, tensors, files, null);
    }

    /**
     * Hashes every tensor and every file of an opened checkpoint.
     *
     * @param weights   the checkpoint
     * @param algorithm the algorithm
     * @param threads   threads to use, at least 1
     * @return the manifest
     * @throws IOException when a file cannot be read
     */
    public static Manifest create(Weights weights, ChecksumAlgorithm algorithm, int threads) throws IOException {
        return create(weights, algorithm, threads, NO_PROGRESS, NO_PROGRESS);
    }

    /**
     * Hashes every tensor and every file of an opened checkpoint, reporting progress.
     *
     * @param weights        the checkpoint
     * @param algorithm      the algorithm
     * @param threads        threads to use, at least 1
     * @param tensorProgress hears the tensor bytes hashed, in increments (their total is the sum of
     *                       {@link Tensor#byteLength()})
     * @param fileProgress   hears the file bytes hashed, in increments (their total is the sum of the file sizes)
     * @return the manifest
     * @throws IOException when a file cannot be read
     */
    public static Manifest create(Weights weights, ChecksumAlgorithm algorithm, int threads,
                                  LongConsumer tensorProgress, LongConsumer fileProgress) throws IOException {
        HashPlan.Result r = HashPlan.run(algorithm, weights.tensors(), weights.files(), threads, tensorProgress,
                fileProgress);
        Path base = baseOf(weights.path());
        Map<String, String> f = new LinkedHashMap<>();
        r.files().forEach((file, hex) -> f.put(relative(base, file), hex));
        Map<String, String> t = r.tensors();
        return new Manifest(algorithm, weights.format(), t, f, null);
    }

    /**
     * Reads a manifest file.
     *
     * @param file the manifest
     * @return the manifest; messages about it name {@code file}
     * @throws java.nio.file.NoSuchFileException when it does not exist
     * @throws WeightmapException                 {@code IO_ERROR} when it is not a valid manifest (not JSON, not
     *                                            an object, unknown {@code algo}, a digest that is not a string, a
     *                                            file key that is absolute or contains {@code ..})
     * @throws IOException                        when it cannot be read
     */
    public static Manifest read(Path file) throws IOException {
        return parse(Files.readAllBytes(file), file.toString());
    }

    /**
     * Parses a manifest's JSON.
     *
     * @param json   the bytes
     * @param source the name used in messages (the manifest's path), or null
     * @return the manifest
     * @throws WeightmapException {@code IO_ERROR} when the bytes are not a valid manifest
     */
    public static Manifest parse(byte[] json, String source) {
        String what = source == null ? "manifest" : "manifest " + source;
        Object root;
        try {
            root = JsonReader.parse(json);
        } catch (JsonException e) {
            throw invalid(source, null, what + " is not valid JSON: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> map)) {
            throw invalid(source, null, what + " must be a JSON object", null);
        }
        Object algo = map.get("algo");
        ChecksumAlgorithm a = algo instanceof String s ? ChecksumAlgorithm.fromCliName(s) : null;
        if (a == null) {
            throw invalid(source, null, what + ": \"algo\" must be one of crc32, crc32c, sha256, xxh64, xxh3-64,"
                    + " xxh3-128, got " + algo, null);
        }
        Object format = map.get("format");
        return new Manifest(a, format instanceof String s ? s : null, strings(map, "tensors", source, what),
                strings(map, "files", source, what), source);
    }

    private static Map<String, String> strings(Map<?, ?> m, String key, String source, String what) {
        Object v = m.containsKey(key) ? m.get(key) : Map.of();
        if (!(v instanceof Map<?, ?> map)) {
            throw invalid(source, null, what + ": \"" + key + "\" must be an object", null);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw invalid(source, (String) e.getKey(), what + ": \"" + key + "\"." + e.getKey()
                        + " must be a hex string", null);
            }
            out.put((String) e.getKey(), s);
        }
        return out;
    }

    private static WeightmapException invalid(String source, String item, String message, Throwable cause) {
        return new WeightmapException(WeightmapException.Common.IO_ERROR, source, item, message, cause);
    }

    /** File keys must stay inside the checkpoint: relative, no {@code ..} component. */
    private static void checkRelative(String name, String what) {
        Path rel;
        try {
            rel = Path.of(name);
        } catch (InvalidPathException e) {
            throw invalid(null, name, what + ": file key \"" + name + "\" is not a valid path", e);
        }
        boolean dotdot = false;
        for (Path part : rel) {
            dotdot |= part.toString().equals("..");
        }
        if (name.isEmpty() || rel.isAbsolute() || dotdot) {
            throw invalid(null, name, what + ": file key \"" + name
                    + "\" must be a relative path inside the input (no absolute path, no ..)", null);
        }
    }

    /**
     * The JSON form, byte for byte what {@link #write(Path)} writes.
     *
     * @return the JSON text with a final newline
     */
    public String toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("algo", algorithm.cliName());
        m.put("format", format);
        m.put("tensors", tensors);
        m.put("files", files);
        return JsonWriter.python(2).write(m) + "\n";
    }

    /**
     * Writes the manifest atomically: the file is complete or untouched.
     *
     * @param file where to write
     * @throws IOException when writing fails
     */
    public void write(Path file) throws IOException {
        byte[] json = toJson().getBytes(StandardCharsets.UTF_8);
        AtomicFile.write(file, ch -> {
            ByteBuffer bb = ByteBuffer.wrap(json);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        });
    }

    /**
     * The algorithm of every digest.
     *
     * @return the algorithm
     */
    public ChecksumAlgorithm algorithm() {
        return algorithm;
    }

    /**
     * The checkpoint's format when the manifest was made.
     *
     * @return the format name, or null when the manifest records none
     */
    public String format() {
        return format;
    }

    /**
     * Hex digest by tensor name.
     *
     * @return a read-only ordered map
     */
    public Map<String, String> tensors() {
        return tensors;
    }

    /**
     * Hex digest by relative file name.
     *
     * @return a read-only ordered map
     */
    public Map<String, String> files() {
        return files;
    }

    /**
     * Where the manifest was read from.
     *
     * @return its path as given to {@link #read(Path)}, or null
     */
    public String source() {
        return source;
    }

    /**
     * What {@link #verify} compared.
     *
     * @param tensors   tensors that matched
     * @param files     files that matched
     * @param algorithm the algorithm
     */
    public record Verification(int tensors, int files, ChecksumAlgorithm algorithm) {
    }

    /**
     * Re-hashes an opened checkpoint and compares it with this manifest.
     *
     * @param weights the checkpoint (its files are resolved against its folder)
     * @param threads threads to use, at least 1
     * @return what matched
     * @throws ChecksumMismatchException naming every tensor and file that differs, is missing or is not in the
     *                                   manifest
     * @throws IOException               when a file cannot be read
     */
    public Verification verify(Weights weights, int threads) throws IOException {
        return verify(weights.tensors(), weights.path(), weights.displayName(), threads, NO_PROGRESS, NO_PROGRESS);
    }

    /**
     * Re-hashes tensors and files and compares them with this manifest.
     *
     * @param tensors        the tensors, by name
     * @param input          the checkpoint's path: a folder, or a file whose folder holds the files
     * @param subject        the name of the checkpoint in the mismatch message
     * @param threads        threads to use, at least 1
     * @param tensorProgress hears the tensor bytes hashed, in increments
     * @param fileProgress   hears the file bytes hashed, in increments
     * @return what matched
     * @throws ChecksumMismatchException naming every tensor and file that differs, is missing or is not in the
     *                                   manifest
     * @throws IOException               when a file cannot be read
     */
    public Verification verify(Map<String, Tensor> tensors, Path input, String subject, int threads,
                               LongConsumer tensorProgress, LongConsumer fileProgress) throws IOException {
        Path base = baseOf(input);
        Map<String, Path> present = new LinkedHashMap<>();
        for (String key : files.keySet()) {
            Path f = base == null ? Path.of(key) : base.resolve(key);
            if (Files.isRegularFile(f)) {
                present.put(key, f);
            }
        }
        HashPlan.Result rehashed = HashPlan.run(algorithm, tensors, new ArrayList<>(present.values()), threads,
                tensorProgress, fileProgress);
        Map<String, String> actual = rehashed.tensors();
        List<String> bad = new ArrayList<>();
        List<String> details = new ArrayList<>();
        for (Map.Entry<String, String> e : this.tensors.entrySet()) {
            String now = actual.get(e.getKey());
            if (now == null) {
                bad.add(e.getKey());
                details.add("tensor " + e.getKey() + " missing");
            } else if (!now.equalsIgnoreCase(e.getValue())) {
                bad.add(e.getKey());
                details.add("tensor " + e.getKey() + " " + algorithm.cliName() + " " + now + " != " + e.getValue());
            }
        }
        for (String name : actual.keySet()) {
            if (!this.tensors.containsKey(name)) {
                bad.add(name);
                details.add("tensor " + name + " not in manifest");
            }
        }
        for (Map.Entry<String, String> e : files.entrySet()) {
            Path f = present.get(e.getKey());
            if (f == null) {
                bad.add(e.getKey());
                details.add("file " + e.getKey() + " missing");
                continue;
            }
            String hex = rehashed.files().get(f);
            if (!hex.equalsIgnoreCase(e.getValue())) {
                bad.add(e.getKey());
                details.add("file " + e.getKey() + " " + algorithm.cliName() + " " + hex + " != " + e.getValue());
            }
        }
        if (!bad.isEmpty()) {
            throw new ChecksumMismatchException(subject + " does not match " + (source == null ? "the manifest"
                    : source) + ": " + bad.size() + (bad.size() == 1 ? " difference: " : " differences: ")
                    + String.join("; ", details), bad);
        }
        return new Verification(this.tensors.size(), files.size(), algorithm);
    }

    /** The folder file keys are relative to: the input itself when it is a folder, else its parent. */
    private static Path baseOf(Path input) {
        if (input == null) {
            return null;
        }
        return Files.isDirectory(input) ? input : input.toAbsolutePath().getParent();
    }

    private static String relative(Path base, Path file) {
        if (base == null) {
            return file.getFileName().toString();
        }
        return base.toAbsolutePath().normalize().relativize(file.toAbsolutePath().normalize()).toString();
    }

    // ------------------------------------------------------------------------------------------------ hashing

    /**
     * Every tensor's hex digest (logical row-major bytes, as {@link Checksums#hexOfTensor}), in map order.
     * Tensors are spread over the threads, longest first; a large CRC tensor is cut into pieces hashed in
     * parallel. Tensors of a confined arena are hashed on the calling thread.
     *
     * @param algorithm the algorithm
     * @param tensors   the tensors, by name
     * @param threads   threads to use, at least 1
     * @param progress  hears the bytes hashed, in increments (may be called from several threads)
     * @return hex digest by name, in {@code tensors} order
     */
    public static Map<String, String> hashTensors(ChecksumAlgorithm algorithm, Map<String, Tensor> tensors,
                                                  int threads, LongConsumer progress) {
        Objects.requireNonNull(algorithm, "algorithm");
        try {
            return HashPlan.run(algorithm, tensors, List.of(), threads, progress, null).tensors();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // no file is read
        }
    }

    /**
     * Hex digests of whole files, in order. CRCs cut large files into pieces hashed in parallel; SHA-256 and the
     * XXH family hash up to {@code threads} files at once, each as one sequential stream.
     *
     * @param algorithm the algorithm
     * @param files     the files (a file listed twice is hashed once)
     * @param threads   threads to use, at least 1
     * @param progress  hears the bytes hashed, in increments (may be called from several threads)
     * @return hex digest by file, in {@code files} order
     * @throws IOException when a file cannot be read
     */
    public static Map<Path, String> hashFiles(ChecksumAlgorithm algorithm, List<Path> files, int threads,
                                              LongConsumer progress) throws IOException {
        Objects.requireNonNull(algorithm, "algorithm");
        return HashPlan.run(algorithm, Map.of(), files, threads, null, progress).files();
    }

    /**
     * A whole file's hex digest, read by positional reads (never through a mapping, so a file truncated meanwhile
     * fails with {@code FILE_CHANGED} instead of crashing the JVM); CRCs split the file into ranges over the
     * threads. Progress is reported for every chunk read.
     *
     * @param algorithm the algorithm
     * @param file      the file
     * @param threads   threads to use for the CRCs, at least 1
     * @param progress  hears the bytes hashed, in increments, or null
     * @return the hex digest
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE} for a FIFO, device, directory or {@code /proc} file;
     *                            {@code FILE_CHANGED} when the file shrinks while it is read
     * @throws IOException        when the file cannot be read
     */
    public static String hashFile(ChecksumAlgorithm algorithm, Path file, int threads, LongConsumer progress)
            throws IOException {
        return Checksums.hexOfFile(algorithm, file, threads, progress);
    }
}
