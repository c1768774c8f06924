// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Opening a PyTorch {@code .bin} checkpoint: a generated 1 GB file and a 10 MB one with the same 320 tensor names
 * (so the same pickle). Opening maps the file, reads the zip central directory and runs the restricted pickle
 * machine; it never touches tensor data, so the two must cost the same (O(pickle), not O(data)).
 *
 * <p>{@code main(path, bytes)} writes such a file for measuring {@code torch.load} by hand.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class TorchOpenBenchmark {
    static final int TENSORS = 320;

    private Path dir;
    private Path big;
    private Path small;

    /**
     * Writes a checkpoint of about {@code totalBytes} with {@link #TENSORS} F32 tensors named like a transformer's.
     * The tensor bytes come from a sparse scratch file, so generating needs no heap.
     */
    static Path generate(Path file, long totalBytes) throws IOException {
        long per = (totalBytes / TENSORS) & ~63L;
        Path scratch = Files.createTempFile(file.toAbsolutePath().getParent(), "scratch", ".bin");
        try (RandomAccessFile raf = new RandomAccessFile(scratch.toFile(), "rw")) {
            raf.setLength(per * TENSORS);
        }
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(scratch)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, per * TENSORS, arena);
            Map<String, Tensor> m = new LinkedHashMap<>();
            String[] kinds = {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
                "input_layernorm.weight", "post_attention_layernorm.weight", "mlp.down_proj.bias"};
            for (int i = 0; i < TENSORS; i++) {
                long rows = per / 4 / 64;
                m.put("model.layers." + (i / 10) + "." + kinds[i % 10],
                        Tensor.of(all.asSlice(i * per, per), DType.F32, rows, 64));
            }
            TorchCheckpoints.save(m, file);
        } finally {
            Files.deleteIfExists(scratch);
        }
        return file;
    }

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-torch-bench");
        big = generate(dir.resolve("pytorch_model_1g.bin"), 1L << 30);
        small = generate(dir.resolve("pytorch_model_10m.bin"), 10L << 20);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchFiles.deleteTree(dir);
    }

    /** 1 GiB, 320 tensors. */
    @Benchmark
    public int open1GiB() throws IOException {
        try (TorchCheckpoint c = TorchCheckpoint.open(big)) {
            return c.stateDict().size();
        }
    }

    /** 10 MiB, the same 320 tensor names: must cost the same as {@link #open1GiB()}. */
    @Benchmark
    public int open10MiB() throws IOException {
        try (TorchCheckpoint c = TorchCheckpoint.open(small)) {
            return c.stateDict().size();
        }
    }

    /** The 1.13 fixture with a nested training checkpoint (dicts, lists, floats, an optimizer state). */
    @Benchmark
    public int openNestedFixture() throws IOException {
        try (TorchCheckpoint c = TorchCheckpoint.open(BenchFiles.fixture("torch/nested_checkpoint.pt"))) {
            return c.stateDict().size();
        }
    }

    /** Writes a generated checkpoint: {@code TorchOpenBenchmark <path> [bytes]}. */
    public static void main(String[] args) throws IOException {
        long bytes = args.length > 1 ? Long.parseLong(args[1]) : 1L << 30;
        generate(Path.of(args[0]), bytes);
    }
}
