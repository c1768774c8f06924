// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.gguf.GgufFile;
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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Opening and validating a llama-like GGUF file with 300 tensors and a vocabulary of 1,500 or 150,000 tokens: the
 * vocabulary is skipped by length (its strings are walked, not decoded), so the cost grows only with the walk.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class GgufOpenBenchmark {
    /** Tokens in the vocabulary. */
    @Param({"1500", "150000"})
    public int vocab;

    private Path dir;
    private Path file;
    private MemorySegment image;
    private Arena imageArena;

    /**
     * Writes the file.
     *
     * @throws IOException when writing fails
     */
    @Setup(Level.Trial)
    public void setUp() throws IOException {
        dir = Files.createTempDirectory("gguf-bench");
        file = GgufBenchFiles.llamaLike(dir.resolve("model.gguf"), vocab, 300);
        imageArena = Arena.ofShared();
        image = imageArena.allocate(Files.size(file), 64);
        image.copyFrom(MemorySegment.ofArray(Files.readAllBytes(file)));
    }

    /**
     * Deletes the file.
     *
     * @throws IOException when deleting fails
     */
    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        imageArena.close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    /**
     * Map, validate, close (shared arena).
     *
     * @return the tensor count
     * @throws IOException when reading fails
     */
    @Benchmark
    public int open() throws IOException {
        try (GgufFile g = GgufFile.open(file)) {
            return g.infos().size();
        }
    }

    /**
     * Map into a confined arena, validate, close.
     *
     * @return the tensor count
     * @throws IOException when reading fails
     */
    @Benchmark
    public int openConfined() throws IOException {
        try (Arena a = Arena.ofConfined()) {
            return GgufFile.open(file, a).infos().size();
        }
    }

    /**
     * Validation alone, over an image already in memory.
     *
     * @return the tensor count
     */
    @Benchmark
    public int parse() {
        return GgufFile.parse(image, "model.gguf").infos().size();
    }
}
