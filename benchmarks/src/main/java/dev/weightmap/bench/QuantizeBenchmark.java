// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.gguf.GgmlType;
import dev.weightmap.gguf.Quantize;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Quantizing 16 Mi float32 values (a 4096 x 4096 weight, Gaussian) to GGML blocks on one thread and on all cores,
 * the work of gguf-py's {@code gguf.quants.quantize} on the same matrix. MB/s of F32 read = 64 MiB / score.
 * {@code -Dweightmap.vectorization=false} (in {@code -jvmArgsAppend}) measures the scalar code.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class QuantizeBenchmark {
    static final int ELEMENTS = 4096 * 4096;

    /** The block type. */
    @Param({"Q8_0", "Q4_0"})
    public String type;

    private float[] values;
    private GgmlType t;

    /** Seeded Gaussian values. */
    @Setup(Level.Trial)
    public void setUp() {
        t = GgmlType.valueOf(type);
        values = new float[ELEMENTS];
        Random r = new Random(7);
        for (int i = 0; i < ELEMENTS; i++) {
            values[i] = (float) r.nextGaussian();
        }
    }

    /**
     * One thread, the whole weight.
     *
     * @return the quantized bytes
     */
    @Benchmark
    public byte[] quantize() {
        return Quantize.quantize(t, values, 0, ELEMENTS);
    }

    /**
     * All cores, the whole weight.
     *
     * @return the quantized bytes
     */
    @Benchmark
    public byte[] quantizeAllCores() {
        return Quantize.quantize(t, values, 0, ELEMENTS, Runtime.getRuntime().availableProcessors());
    }
}
