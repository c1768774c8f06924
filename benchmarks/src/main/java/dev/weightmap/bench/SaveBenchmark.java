// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.shard.SaveOptions;
import dev.weightmap.shard.StateDicts;
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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Saving 1 GB (32 tensors of 32 MiB, read from a mapped safetensors file) as 5 shards + index with
 * {@link StateDicts#save} vs {@code Files.copy} of the source file (the same bytes) in the same run. Every save
 * forces each shard to disk before renaming (atomic writes); {@code copyAndForce} is the like-for-like baseline.
 * The in-memory pair ({@code save1FileFromMemory}, {@code writeAndForceFromMemory}) writes tensors held in native
 * memory, as a training loop hands them over. Target: every save within 1.1x of its copy-and-force floor.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 1)
@Measurement(iterations = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class SaveBenchmark {
    private static final int TENSORS = 32;
    private static final long TENSOR_BYTES = 32L << 20;

    private Path dir;
    private Path source;
    private SafetensorsFile file;
    private Map<String, Tensor> tensors;
    private Arena memoryArena;
    private Map<String, Tensor> inMemory;
    private Path out;
    private int round;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-save-bench");
        source = dir.resolve("source.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int i = 0; i < TENSORS; i++) {
                MemorySegment s = arena.allocate(TENSOR_BYTES, 64);
                s.fill((byte) (i * 7 + 1));
                m.put(String.format("model.layers.%02d.weight", i), Tensor.of(s, DType.BF16, TENSOR_BYTES / 2));
            }
            Safetensors.save(m, Map.of("format", "pt"), source);
        }
        file = SafetensorsFile.open(source);
        tensors = new LinkedHashMap<>(file.tensors());
        memoryArena = Arena.ofShared();
        inMemory = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            MemorySegment s = memoryArena.allocate(e.getValue().byteLength(), 64);
            e.getValue().copyTo(s);
            inMemory.put(e.getKey(), Tensor.of(s, e.getValue().dtype(), e.getValue().shape()));
        }
    }

    @Setup(Level.Iteration)
    public void freshOutput() throws IOException {
        out = Files.createDirectory(dir.resolve("out" + round++));
    }

    @TearDown(Level.Iteration)
    public void dropOutput() throws IOException {
        BenchFiles.deleteTree(out);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        file.close();
        memoryArena.close();
        BenchFiles.deleteTree(dir);
    }

    /** 1 GiB of tensors as 5 shards (max 220 MB each) + index, atomic and forced. */
    @Benchmark
    public long save5Shards() throws IOException {
        StateDicts.save(tensors, out, SaveOptions.builder().maxShardSize(220_000_000L).build());
        return Files.size(out.resolve("model.safetensors.index.json"));
    }

    /** 1 GiB of tensors as one file, atomic and forced: the case where nothing comes after the shard to overlap
     * its force with, so only flushing it while it is written does. */
    @Benchmark
    public long save1File() throws IOException {
        StateDicts.save(tensors, out, SaveOptions.builder().build());
        return Files.size(out.resolve("model.safetensors"));
    }

    /** Baseline: Files.copy of the 1 GiB source file. */
    @Benchmark
    public long filesCopy() throws IOException {
        Path target = out.resolve("copy.safetensors");
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        return Files.size(target);
    }

    /** Baseline with the same durability as the save: Files.copy then fsync. */
    @Benchmark
    public long filesCopyAndForce() throws IOException {
        Path target = out.resolve("copy.safetensors");
        Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        return Files.size(target);
    }

    /** 1 GiB of tensors in memory (not mapped: written from the segments) as one file, atomic and forced. */
    @Benchmark
    public long save1FileFromMemory() throws IOException {
        StateDicts.save(inMemory, out, SaveOptions.builder().build());
        return Files.size(out.resolve("model.safetensors"));
    }

    /** Floor of {@link #save1FileFromMemory}: the same segments written to a new file, forced, its folder forced. */
    @Benchmark
    public long writeAndForceFromMemory() throws IOException {
        Path target = out.resolve("copy.safetensors");
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (Tensor t : inMemory.values()) {
                java.nio.ByteBuffer b = t.data().asByteBuffer();
                while (b.hasRemaining()) {
                    ch.write(b);
                }
            }
            ch.force(true);
        }
        try (FileChannel d = FileChannel.open(out, StandardOpenOption.READ)) {
            d.force(true);
        }
        return Files.size(target);
    }
}
