// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
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
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reading tensor data through the zero-copy view of a mapped safetensors file versus a heap {@code float[]},
 * and BF16 → F32 conversion into a native buffer.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class TensorReadBenchmark {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final int N = 16 << 20; // 16 Mi floats = 64 MB

    private Path dir;
    private SafetensorsFile file;
    private MemorySegment view;
    private float[] heap;
    private Tensor bf16;
    private Arena arena;
    private MemorySegment out;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-read-bench");
        Path p = dir.resolve("read.safetensors");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment f = a.allocate((long) N * 4, 64);
            MemorySegment b = a.allocate((long) N * 2, 64);
            for (long i = 0; i < N; i++) {
                float v = (float) Math.sin(i * 1e-3);
                f.set(F32, i * 4, v);
                b.set(ValueLayout.JAVA_SHORT_UNALIGNED, i * 2, (short) (Float.floatToRawIntBits(v) >>> 16));
            }
            Safetensors.save(Map.of("f32", Tensor.of(f, DType.F32, N), "bf16", Tensor.of(b, DType.BF16, N)), null, p);
        }
        file = SafetensorsFile.open(p);
        view = file.tensor("f32").data();
        heap = file.tensor("f32").toFloatArray();
        bf16 = file.tensor("bf16");
        arena = Arena.ofShared();
        out = arena.allocate((long) N * 4, 64);
        // fault the pages in once so both sides read from RAM
        sumView();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        file.close();
        arena.close();
        BenchFiles.deleteTree(dir);
    }

    /** Sum of 64 MB of F32 read through the zero-copy view of the mapping (8 accumulators). */
    @Benchmark
    public float sumView() {
        MemorySegment s = view;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        long n = s.byteSize();
        for (long i = 0; i < n; i += 32) {
            a0 += s.get(F32, i);
            a1 += s.get(F32, i + 4);
            a2 += s.get(F32, i + 8);
            a3 += s.get(F32, i + 12);
            a4 += s.get(F32, i + 16);
            a5 += s.get(F32, i + 20);
            a6 += s.get(F32, i + 24);
            a7 += s.get(F32, i + 28);
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }

    /** The same sum over a heap float[] (the baseline). */
    @Benchmark
    public float sumHeapArray() {
        float[] h = heap;
        float a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
        for (int i = 0; i < h.length; i += 8) {
            a0 += h[i];
            a1 += h[i + 1];
            a2 += h[i + 2];
            a3 += h[i + 3];
            a4 += h[i + 4];
            a5 += h[i + 5];
            a6 += h[i + 6];
            a7 += h[i + 7];
        }
        return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7;
    }

    /** BF16 → F32 of 16 Mi elements (32 MB in, 64 MB out) into a native buffer. */
    @Benchmark
    public MemorySegment bf16ToF32() {
        bf16.copyAsF32(out);
        return out;
    }

    /** memcpy of 64 MB for reference (same output size as {@link #bf16ToF32()}). */
    @Benchmark
    public MemorySegment memcpy64MB() {
        MemorySegment.copy(view, 0, out, 0, view.byteSize());
        return out;
    }
}
