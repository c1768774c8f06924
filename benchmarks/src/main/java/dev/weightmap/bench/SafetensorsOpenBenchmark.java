// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.SafetensorsFile;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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
 * on file size). The default open reads a header of up to 256 KiB by positional reads and maps the file when
 * tensor bytes are first asked for; the {@code ...ReadOne...} cases touch one tensor, so they map and unmap (in
 * the default's shared arena, a handshake with every JVM thread at close).
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
    /** Files per arena in {@link #open300TensorsReadOneGroupedSharedArena()}. */
    static final int GROUP = 16;
    /** The first tensor in data order of the 300-tensor fixture, set up once. */
    private String first;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-open-bench");
        many300 = BenchFiles.fixture("safetensors/many_tensors_300.safetensors");
        many30k = BenchFiles.manyTensors(dir, 30_000);
        sparse4g = BenchFiles.sparse(dir, 6L << 30);
        small = BenchFiles.sparse(dir, 64L << 20);
        header30kInMemory = BenchFiles.heapCopy(many30k);
        header300InMemory = BenchFiles.heapCopy(many300);
        try (SafetensorsFile f = SafetensorsFile.open(many300)) {
            first = f.names().getFirst();
        }
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

    /** The 300-tensor fixture mapped into a shared arena the caller owns and closes: a mapping plus the handshake. */
    @Benchmark
    public int open300TensorsSharedArena() throws IOException {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
             SafetensorsFile f = SafetensorsFile.open(many300, arena)) {
            return f.size();
        }
    }

    /** The default open, then the first tensor (a scalar) read: the file is mapped, and unmapped at close. */
    @Benchmark
    public float open300TensorsReadOne() throws IOException {
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(many300)) {
            return w.tensor(first).getFloat();
        }
    }

    /** As {@link #open300TensorsReadOne()} in a confined arena the caller owns. */
    @Benchmark
    public float open300TensorsReadOneConfinedArena() throws IOException {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined();
             SafetensorsFile f = SafetensorsFile.open(many300, arena)) {
            return f.tensor(first).getFloat();
        }
    }

    /**
     * As {@link #open300TensorsReadOne()}, {@value #GROUP} files in one shared arena the caller closes once: the
     * handshake shared by the group (time per file).
     */
    @Benchmark
    @OperationsPerInvocation(GROUP)
    public float open300TensorsReadOneGroupedSharedArena() throws IOException {
        float sum = 0;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared()) {
            for (int i = 0; i < GROUP; i++) {
                try (SafetensorsFile f = SafetensorsFile.open(many300, arena)) {
                    sum += f.tensor(first).getFloat();
                }
            }
        }
        return sum;
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
