// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.gguf.Dequantize;
import dev.weightmap.gguf.GgmlType;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Dequantizing 16 Mi elements (a 4096 x 4096 weight) to F32, each way against a plain copy of the F32 output's
 * size done the same way (the ceiling): into a reused destination that is already faulted in (what an inference
 * engine's scratch buffer is), into fresh memory per call (what NumPy's {@code dequantize} returns), on all
 * cores into the reused destination, and streamed 16 rows (256 KiB of F32, cache-sized) at a time through one
 * reused scratch buffer. GB/s of F32 written = 64 MiB / score.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class DequantizeBenchmark {
    static final long ELEMENTS = 4096L * 4096;

    /** The block type. */
    @Param({"Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_XS"})
    public String type;

    private Arena arena;
    private MemorySegment blocks;
    private MemorySegment out;
    private MemorySegment copySource;
    private MemorySegment scratch;
    private GgmlType t;
    private int threads;

    /** Rows of 4096 values streamed per call in {@link #streamRows}. */
    static final int STREAM_ROWS = 16;

    /** Random blocks whose float16 scales are all 0.0078125 (finite). */
    @Setup(Level.Trial)
    public void setUp() {
        t = GgmlType.valueOf(type);
        arena = Arena.ofShared();
        long bytes = t.byteLength(ELEMENTS);
        blocks = arena.allocate(bytes, 64);
        Random r = new Random(7);
        byte[] block = new byte[t.typeSize()];
        for (long b = 0; b < bytes / t.typeSize(); b++) {
            r.nextBytes(block);
            blocks.asSlice(b * t.typeSize(), t.typeSize()).copyFrom(MemorySegment.ofArray(block));
        }
        int[] scaleOffsets = switch (t) {
            case Q4_0, Q8_0, IQ4_XS -> new int[] {0};
            case Q4_K -> new int[] {0, 2};
            case Q6_K -> new int[] {208};
            default -> new int[0];
        };
        for (long b = 0; b < bytes / t.typeSize(); b++) {
            for (int o : scaleOffsets) {
                blocks.set(ValueLayout.JAVA_SHORT_UNALIGNED, b * t.typeSize() + o, (short) 0x2000);
            }
        }
        out = arena.allocate(ELEMENTS * 4, 64);
        out.fill((byte) 1); // faulted in before the first call
        copySource = arena.allocate(ELEMENTS * 4, 64);
        copySource.fill((byte) 2);
        scratch = arena.allocate(STREAM_ROWS * 4096L * 4, 64);
        scratch.fill((byte) 3);
        threads = Runtime.getRuntime().availableProcessors();
    }

    /** Frees the memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /**
     * One thread, the whole weight, into the reused destination.
     *
     * @return a value of the output
     */
    @Benchmark
    public float dequantize() {
        Dequantize.toF32(t, blocks, ELEMENTS, out);
        return out.get(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * The ceiling of {@link #dequantize}: copying 64 MiB of F32 into the reused destination.
     *
     * @return a value of the output
     */
    @Benchmark
    public float copyF32() {
        out.copyFrom(copySource);
        return out.get(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * One thread, the whole weight, into fresh memory (allocated, zeroed and faulted in by the call).
     *
     * @return a value of the output
     */
    @Benchmark
    public float dequantizeFresh() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fresh = a.allocate(ELEMENTS * 4, 64);
            Dequantize.toF32(t, blocks, ELEMENTS, fresh);
            return fresh.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    /**
     * The ceiling of {@link #dequantizeFresh}: copying 64 MiB of F32 into fresh memory.
     *
     * @return a value of the output
     */
    @Benchmark
    public float copyF32Fresh() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment fresh = a.allocate(ELEMENTS * 4, 64);
            fresh.copyFrom(copySource);
            return fresh.get(ValueLayout.JAVA_FLOAT, 0);
        }
    }

    /**
     * All cores, the whole weight, into the reused destination.
     *
     * @return a value of the output
     */
    @Benchmark
    public float dequantizeAllCores() {
        Dequantize.toF32(t, blocks, ELEMENTS, out, threads);
        return out.get(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * The ceiling of {@link #dequantizeAllCores}: copying 64 MiB of F32 into the reused destination, one
     * contiguous part per core.
     *
     * @return a value of the output
     * @throws InterruptedException never in practice
     */
    @Benchmark
    public float copyF32AllCores() throws InterruptedException {
        Thread[] workers = new Thread[threads];
        long part = ELEMENTS * 4 / threads;
        for (int i = 0; i < threads; i++) {
            long at = i * part;
            workers[i] = Thread.ofPlatform().start(() -> out.asSlice(at, part).copyFrom(copySource.asSlice(at, part)));
        }
        for (Thread w : workers) {
            w.join();
        }
        return out.get(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * One thread, the whole weight streamed {@value #STREAM_ROWS} rows at a time through one reused 256 KiB
     * scratch buffer (a consumer would use each slice before the next).
     *
     * @return a value of the output
     */
    @Benchmark
    public float streamRows() {
        long rowBytes = t.byteLength(4096);
        float sum = 0;
        for (long row = 0; row < 4096; row += STREAM_ROWS) {
            Dequantize.toF32(t, blocks.asSlice(row * rowBytes, STREAM_ROWS * rowBytes), STREAM_ROWS * 4096L,
                    scratch);
            sum += scratch.get(ValueLayout.JAVA_FLOAT, 0);
        }
        return sum;
    }

    /**
     * The ceiling of {@link #streamRows}: copying the 64 MiB of F32 the same way, 256 KiB at a time into the
     * scratch buffer.
     *
     * @return a value of the output
     */
    @Benchmark
    public float copyF32StreamRows() {
        long chunk = scratch.byteSize();
        float sum = 0;
        for (long at = 0; at < ELEMENTS * 4; at += chunk) {
            scratch.copyFrom(copySource.asSlice(at, chunk));
            sum += scratch.get(ValueLayout.JAVA_FLOAT, 0);
        }
        return sum;
    }
}
