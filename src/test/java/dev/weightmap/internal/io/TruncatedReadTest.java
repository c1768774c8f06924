// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.cli.Main;
import dev.weightmap.dduf.Dduf;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Files truncated while they are read, in child JVMs (a crash there cannot take the test run down): the CLI's
 * streaming commands and the library's tensor reads fail with {@code FILE_CHANGED} naming the file, one error
 * line, exit 1, no stack trace and no {@code hs_err} file. The file is truncated at a fixed point of the read
 * (a hook in {@link FileStreamer}, or before the read), not after a sleep.
 */
class TruncatedReadTest {
    private static final long BIG = 256L << 20;
    private static final long CUT_AFTER = 64L << 20;
    private static final long CUT_TO = 1L << 20;

    @TempDir
    static Path dir;

    private static Path big;

    @BeforeAll
    static void bigFile() throws IOException {
        big = dir.resolve("big.bin");
        try (RandomAccessFile f = new RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(BIG); // sparse: reads as zeros
            f.seek(BIG / 2);
            f.write(new byte[] {1, 2, 3});
        }
    }

    /**
     * Child entry points. {@code cli FILE AFTER TO ARGS...}: runs the CLI, truncating FILE to TO bytes once a
     * streamed read of it has passed AFTER bytes. {@code tensors FILE}: the library-level scenarios.
     *
     * @param args the mode and its arguments
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
        if (args[0].equals("cli")) {
            Path file = Path.of(args[1]);
            long after = Long.parseLong(args[2]);
            long to = Long.parseLong(args[3]);
            String target = file.toString();
            boolean[] done = {false};
            FileStreamer.hook = (name, end) -> {
                synchronized (done) {
                    if (!done[0] && end >= after && name.contains(target)) {
                        done[0] = true;
                        truncate(file, to);
                    }
                }
            };
            System.exit(Main.run(Arrays.copyOfRange(args, 4, args.length), System.out, System.err, false));
        }
        if (args[0].equals("tensors")) {
            tensors(Path.of(args[1]));
            System.exit(0);
        }
        throw new IllegalArgumentException(args[0]);
    }

    static void truncate(Path file, long to) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(to);
        }
    }

    /** Opens a checkpoint, truncates it under the mapping, then reads each tensor every way the library offers. */
    private static void tensors(Path src) throws Exception {
        Map<String, Supplier<Object>> reads = new LinkedHashMap<>();
        Path file = src.resolveSibling("cut.safetensors");
        Files.copy(src, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        try (Weights w = Weights.open(file)) {
            Tensor small = w.tensor("small"); // < 1 MiB: copied out of the mapping chunk by chunk
            Tensor large = w.tensor("large"); // >= 1 MiB: read from the file by positional reads
            Tensor view = large.narrow(0, 1, large.numel() - 1); // a view keeps its file
            truncate(file, 4096);
            for (Tensor t : List.of(small, large, view)) {
                String n = t == small ? "small" : t == large ? "large" : "view";
                reads.put(n + ".toFloatArray", t::toFloatArray);
                reads.put(n + ".getFloat", () -> t.getFloat(t.shape()[0] - 1));
                reads.put(n + ".copyTo", () -> {
                    t.copyTo(Arena.ofAuto().allocate(t.byteLength()));
                    return null;
                });
                reads.put(n + ".copyAsF32", () -> {
                    t.copyAsF32(Arena.ofAuto().allocate(t.numel() * 4));
                    return null;
                });
                reads.put(n + ".writeTo", () -> {
                    try {
                        t.writeTo(java.nio.channels.Channels.newChannel(new ByteArrayOutputStream()));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    return null;
                });
                reads.put(n + ".writeTo-file", () -> io(() -> {
                    try (FileChannel out = FileChannel.open(file.resolveSibling(n + ".raw"), StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                        t.writeTo(out);
                    }
                }));
                reads.put(n + ".save", () -> io(() -> Safetensors.save(Map.of("x", t), Map.of(),
                        file.resolveSibling(n + "-copy.safetensors"))));
                reads.put(n + ".export-dduf", () -> io(() -> Dduf.exportEntries(file.resolveSibling(n + ".dduf"),
                        List.of(Dduf.entry("model_index.json", "{}".getBytes(StandardCharsets.UTF_8)),
                                Dduf.entry("x.safetensors", t.data())))));
                reads.put(n + ".cast", () -> {
                    dev.weightmap.tensor.Casts.copy(t, Tensor.of(Arena.ofAuto().allocate(t.numel() * 4), DType.F32,
                            t.numel()));
                    return null;
                });
                for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
                    reads.put(n + ".hash-" + a.cliName(), () -> Checksums.hexOfTensor(a, t));
                }
            }
            for (Map.Entry<String, Supplier<Object>> e : reads.entrySet()) {
                String outcome;
                try {
                    e.getValue().get();
                    outcome = "OK";
                } catch (WeightmapException x) {
                    outcome = x.code() + " " + x.file();
                } catch (Throwable x) {
                    outcome = "THROWN " + x;
                }
                System.out.println("READ " + e.getKey() + " " + outcome);
            }
        }
    }

    @FunctionalInterface
    private interface IoAction {
        void run() throws IOException;
    }

    private static Object io(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return null;
    }

    private record Run(int exit, String out, String err, List<Path> hsErr) {
    }

    private static Run child(Path work, String... args) throws Exception {
        Files.createDirectories(work);
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:ErrorFile=" + work.resolve("hs_err_pid%p.log"), "-Xmx256m",
                "-cp", System.getProperty("java.class.path"), TruncatedReadTest.class.getName()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(work.resolve("out.txt").toFile()).redirectError(work.resolve("err.txt").toFile())
                .start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child did not finish: " + cmd);
        }
        List<Path> hs;
        try (Stream<Path> s = Files.list(work)) {
            hs = s.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
        }
        return new Run(p.exitValue(), Files.readString(work.resolve("out.txt")),
                Files.readString(work.resolve("err.txt")), hs);
    }

    private static void assertOneFileChangedLine(Run r, Path file) {
        assertThat(r.hsErr()).as(r.err()).isEmpty();
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        List<String> lines = r.err().lines().filter(l -> !l.startsWith("WARNING")).toList();
        assertThat(lines).as(r.err()).hasSize(1);
        assertThat(lines.get(0)).startsWith("error: FILE_CHANGED: ").contains(file.toString());
        assertThat(r.err()).doesNotContain("Exception", "\tat ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"crc32", "crc32c", "xxh3-64", "sha256"})
    void hashOfAFileTruncatedWhileReadFailsTyped(String algo) throws Exception {
        Path f = dir.resolve("hash-" + algo + ".bin");
        Files.copy(big, f);
        Run r = child(dir.resolve("run-hash-" + algo), "cli", f.toString(), String.valueOf(CUT_AFTER),
                String.valueOf(CUT_TO), "hash", "--algo", algo, "--threads", "2", f.toString());
        assertOneFileChangedLine(r, f);
        assertThat(r.out()).isEmpty();
        Files.delete(f);
    }

    @Test
    void verifyOfADdufTruncatedWhileItsCrcsAreCheckedFailsTyped() throws Exception {
        Path dduf = dir.resolve("cut.dduf");
        Dduf.exportEntries(dduf, List.of(Dduf.entry("model_index.json", "{}".getBytes(StandardCharsets.UTF_8)),
                Dduf.entry("blob.txt", big)));
        Run r = child(dir.resolve("run-verify-dduf"), "cli", dduf.toString(), String.valueOf(CUT_AFTER),
                String.valueOf(CUT_TO), "verify", dduf.toString());
        assertOneFileChangedLine(r, dduf);
        Files.delete(dduf);
    }

    @Test
    void verifyManifestOfAFileTruncatedWhileHashedFailsTyped() throws Exception {
        Path st = dir.resolve("manifest.safetensors");
        MemorySegment data = Arena.ofAuto().allocate(96L << 20);
        Safetensors.save(Map.of("w", Tensor.of(data, DType.F32, data.byteSize() / 4)), Map.of(), st);
        Path manifest = dir.resolve("m.json");
        assertThat(Main.run(new String[] {"hash", "--algo", "xxh3-64", "--manifest", manifest.toString(),
                st.toString()}, new PrintStream(new ByteArrayOutputStream()), System.err, false)).isZero();
        Run r = child(dir.resolve("run-verify-manifest"), "cli", st.toString(), String.valueOf(32L << 20),
                String.valueOf(CUT_TO), "verify", "--manifest", manifest.toString(), st.toString());
        assertOneFileChangedLine(r, st);
        Files.delete(st);
    }

    @Test
    void tensorReadsAfterTruncationFailTyped() throws Exception {
        Path st = dir.resolve("tensors.safetensors");
        MemorySegment smallData = Arena.ofAuto().allocate(64L << 10);
        MemorySegment largeData = Arena.ofAuto().allocate(4L << 20);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("small", Tensor.of(smallData, DType.BF16, smallData.byteSize() / 2));
        m.put("large", Tensor.of(largeData, DType.BF16, largeData.byteSize() / 2));
        Safetensors.save(m, Map.of(), st);
        Run r = child(dir.resolve("run-tensors"), "tensors", st.toString());
        assertThat(r.hsErr()).as(r.err()).isEmpty();
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        List<String> reads = r.out().lines().filter(l -> l.startsWith("READ ")).toList();
        assertThat(reads).as(r.out()).hasSize(3 * (9 + ChecksumAlgorithm.values().length));
        Path cut = st.resolveSibling("cut.safetensors");
        // a DDUF entry given as a bare segment carries no file: it is read through the mapping, the file unnamed
        assertThat(reads).as(r.out()).allSatisfy(l -> assertThat(l).endsWith(l.contains(".export-dduf ")
                ? " FILE_CHANGED a memory-mapped file" : " FILE_CHANGED " + cut));
    }
}
