// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.SafetensorsFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Open + validate + close of safetensors files: the 300-tensor fixture, a generated 30,000-tensor header
 * (also parsed from memory to isolate the header parser) and a multi-GB sparse file (open time must not depend
 * on file size).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class SafetensorsOpenBenchmark {
    private Path dir;
    private Path many300;
    private Path many30k;
    private Path sparse4g;
    private Path small;
    private MemorySegment header30kInMemory;
    private MemorySegment header300InMemory;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-open-bench");
        many300 = BenchFiles.fixture("safetensors/many_tensors_300.safetensors");
        many30k = BenchFiles.manyTensors(dir, 30_000);
        sparse4g = BenchFiles.sparse(dir, 6L << 30);
        small = BenchFiles.sparse(dir, 64L << 20);
        header30kInMemory = BenchFiles.heapCopy(many30k);
        header300InMemory = BenchFiles.heapCopy(many300);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchFiles.deleteTree(dir);
    }

    /** The 300-tensor fixture written by the Rust crate. */
    @Benchmark
    public int open300Tensors() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(many300)) {
            return f.size();
        }
    }

    /** The 300-tensor fixture through the front door, {@code Weights.open}, with its default options. */
    @Benchmark
    public int open300TensorsWeights() throws IOException {
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(many300)) {
            return w.tensorNames().size();
        }
    }

    /** The 300-tensor fixture mapped into a confined arena the caller owns (no shared-arena close handshake). */
    @Benchmark
    public int open300TensorsConfinedArena() throws IOException {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
             SafetensorsFile f = SafetensorsFile.open(many300, arena)) {
            return f.size();
        }
    }

    /** The 300-tensor fixture's header parsed from memory (no mapping): the parser alone. */
    @Benchmark
    public int parse300TensorsFromMemory() {
        return SafetensorsFile.parse(header300InMemory, "heap").size();
    }

    /** A 30,000-tensor header (about 2.7 MB of JSON), mapped. */
    @Benchmark
    public int open30000Tensors() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(many30k)) {
            return f.size();
        }
    }

    /** The same header parsed from a heap segment: header parse throughput alone. */
    @Benchmark
    public int parse30000TensorsFromMemory() {
        return SafetensorsFile.parse(header30kInMemory, "heap").size();
    }

    /** A 6 GiB sparse file with 4 tensors. */
    @Benchmark
    public int openSparse6GiB() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(sparse4g)) {
            return f.size();
        }
    }

    /** A 64 MiB sparse file with the same 4-tensor header: compare with {@link #openSparse6GiB()}. */
    @Benchmark
    public int openSparse64MiB() throws IOException {
        try (SafetensorsFile f = SafetensorsFile.open(small)) {
            return f.size();
        }
    }
}
