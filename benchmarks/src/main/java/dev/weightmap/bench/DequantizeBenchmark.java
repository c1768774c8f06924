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
 * Dequantizing 16 Mi elements (a 4096 x 4096 weight) to F32 on one thread, against a plain copy of the F32
 * output's size (the ceiling). GB/s of F32 written = 64 MiB / score.
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
    private GgmlType t;

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
        copySource = arena.allocate(ELEMENTS * 4, 64);
    }

    /** Frees the memory. */
    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    /**
     * One thread, the whole weight.
     *
     * @return a value of the output
     */
    @Benchmark
    public float dequantize() {
        Dequantize.toF32(t, blocks, ELEMENTS, out);
        return out.get(ValueLayout.JAVA_FLOAT, 0);
    }

    /**
     * The ceiling: copying 64 MiB of F32.
     *
     * @return a value of the output
     */
    @Benchmark
    public float copyF32() {
        out.copyFrom(copySource);
        return out.get(ValueLayout.JAVA_FLOAT, 0);
    }
}
