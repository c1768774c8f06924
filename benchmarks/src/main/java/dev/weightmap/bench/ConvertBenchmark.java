// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;
import dev.weightmap.torch.TorchCheckpoints;
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
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code .bin → .safetensors} conversion (open the torch checkpoint zero-copy, write safetensors atomically)
 * against {@code Files.copy} of the same bytes, with and without forcing the copy to disk (our writer forces
 * before its atomic rename).
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ConvertBenchmark {
    /** Size of the generated checkpoint in MiB. */
    @Param({"512"})
    public int sizeMiB;

    private Path dir;
    private Path bin;
    private Path out;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-convert-bench");
        bin = dir.resolve("pytorch_model.bin");
        out = dir.resolve("model.safetensors");
        int tensors = 256;
        long each = ((long) sizeMiB << 20) / tensors / 2;
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> sd = new LinkedHashMap<>();
            for (int i = 0; i < tensors; i++) {
                MemorySegment s = arena.allocate(each * 2, 64);
                s.fill((byte) i);
                s.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, i);
                sd.put("model.layers." + (i / 8) + ".w" + (i % 8), Tensor.of(s, DType.BF16, each / 1024, 1024));
            }
            TorchCheckpoints.save(sd, bin);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchFiles.deleteTree(dir);
    }

    /** Open the .bin (no pickle executed, zero-copy) and write .safetensors atomically (temp, force, rename). */
    @Benchmark
    public long convertBinToSafetensors() throws IOException {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(bin)) {
            Safetensors.save(ckpt.stateDict(), Map.of("format", "pt"), out);
        }
        return Files.size(out);
    }

    /** Files.copy of the same bytes (page cache only). */
    @Benchmark
    public long filesCopy() throws IOException {
        Files.copy(bin, out, StandardCopyOption.REPLACE_EXISTING);
        return Files.size(out);
    }

    /** Files.copy then fsync: the durable baseline our atomic writer corresponds to. */
    @Benchmark
    public long filesCopyAndForce() throws IOException {
        Files.copy(bin, out, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(out, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return Files.size(out);
    }
}
