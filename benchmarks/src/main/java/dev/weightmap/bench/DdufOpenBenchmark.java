// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.dduf.Dduf;
import dev.weightmap.dduf.DdufFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Open + validate (ZIP structure, names, model_index.json, folder rules) + close of a 20-entry and a 2,000-entry
 * DDUF archive; {@code parse} isolates the validation from the mmap/munmap system calls. Target: 20 entries in at
 * most 30 us (hub's {@code read_dduf_file} on the same layout: see benchmarks/README.md).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class DdufOpenBenchmark {
    @Param({"20", "2000"})
    public int entries;

    private Path dir;
    private Path archive;
    private MemorySegment inMemory;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-dduf-open");
        archive = dir.resolve("p" + entries + ".dduf");
        Dduf.exportEntries(archive, pipeline(entries));
        inMemory = MemorySegment.ofArray(Files.readAllBytes(archive));
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchFiles.deleteTree(dir);
    }

    /**
     * A pipeline of exactly {@code n} entries (n even, at least 4): {@code model_index.json}, a root
     * {@code README.txt}, then components {@code c<i>/} with {@code config.json} and a small
     * {@code model.safetensors}.
     */
    static List<Dduf.Entry> pipeline(int n) {
        int components = (n - 2) / 2;
        StringBuilder index = new StringBuilder("{\"_class_name\": \"BenchPipeline\"");
        for (int i = 0; i < components; i++) {
            index.append(", \"c").append(i).append("\": [\"diffusers\", \"Component\"]");
        }
        index.append('}');
        List<Dduf.Entry> list = new ArrayList<>(n);
        list.add(Dduf.entry("model_index.json", index.toString().getBytes(StandardCharsets.UTF_8)));
        list.add(Dduf.entry("README.txt", "benchmark pipeline".getBytes(StandardCharsets.UTF_8)));
        byte[] st = smallSafetensors();
        for (int i = 0; i < components; i++) {
            list.add(Dduf.entry("c" + i + "/config.json", ("{\"i\": " + i + "}").getBytes(StandardCharsets.UTF_8)));
            list.add(Dduf.entry("c" + i + "/model.safetensors", st));
        }
        return list;
    }

    static byte[] smallSafetensors() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[16],\"data_offsets\":[0,64]}}";
        while (header.length() % 8 != 0) {
            header += " ";
        }
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[8 + h.length + 64];
        b[0] = (byte) h.length;
        System.arraycopy(h, 0, b, 8, h.length);
        return b;
    }

    /** The hub-written 21-entry fixture (hub's {@code export_folder_as_dduf}) with the default open. */
    @Benchmark
    public int openHubFixture() throws IOException {
        try (DdufFile f = DdufFile.open(BenchFiles.fixture("dduf/pipeline-folder.dduf"))) {
            return f.entries().size();
        }
    }

    /** The hub-written fixture through the front door, {@code Weights.open} (format detection included). */
    @Benchmark
    public int openHubFixtureWeights() throws IOException {
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(BenchFiles.fixture("dduf/pipeline-folder.dduf"))) {
            return ((DdufFile) w).entries().size();
        }
    }

    /** The hub-written fixture mapped into a confined arena (no shared-arena handshake on close). */
    @Benchmark
    public int openHubFixtureConfined() throws IOException {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            return DdufFile.open(BenchFiles.fixture("dduf/pipeline-folder.dduf"), arena).entries().size();
        }
    }

    /** Map + validate + unmap. */
    @Benchmark
    public int open() throws IOException {
        try (DdufFile d = DdufFile.open(archive)) {
            return d.entries().size();
        }
    }

    /** Map into a confined arena + validate + unmap (no shared-arena handshake on close). */
    @Benchmark
    public int openConfinedArena() throws IOException {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            return DdufFile.open(archive, arena).entries().size();
        }
    }

    /** Validation only, over bytes already in memory. */
    @Benchmark
    public int parse() {
        return DdufFile.parse(inMemory, "bench.dduf").entries().size();
    }
}
