// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.TensorLocation;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.safetensors.SafetensorsFile;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The readers' lazy views on an open file: iterating {@code tensors()}, looking every name up in it, and walking
 * {@code locations()}, for a 30,000-tensor safetensors file and a 500-tensor GGUF file. Tensors are made on first
 * access and kept, so after warm-up this measures the map and list machinery, not the views.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class TensorMapBenchmark {
    private Path dir;
    private SafetensorsFile st;
    private GgufFile gguf;
    private List<String> names;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-map-bench");
        st = SafetensorsFile.open(BenchFiles.manyTensors(dir, 30_000));
        gguf = GgufFile.open(GgufBenchFiles.llamaLike(dir.resolve("m.gguf"), 1000, 500));
        names = st.tensorNames();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        st.close();
        gguf.close();
        BenchFiles.deleteTree(dir);
    }

    @Benchmark
    public long safetensorsIterate30k() {
        long n = 0;
        for (Tensor t : st.tensors().values()) {
            n += t.byteLength();
        }
        return n;
    }

    @Benchmark
    public long safetensorsGetEach30k() {
        var m = st.tensors();
        long n = 0;
        for (String s : names) {
            n += m.get(s).byteLength();
        }
        return n;
    }

    @Benchmark
    public long safetensorsLocations30k() {
        long n = 0;
        for (TensorLocation l : st.locations()) {
            n += l.offset();
        }
        return n;
    }

    @Benchmark
    public long ggufIterate500() {
        long n = 0;
        for (Tensor t : gguf.tensors().values()) {
            n += t.byteLength();
        }
        return n;
    }
}
