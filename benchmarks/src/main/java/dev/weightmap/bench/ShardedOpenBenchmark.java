// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.shard.Checkpoint;
import dev.weightmap.shard.Checkpoints;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Opening a 3-shard checkpoint of 1,000 tensors (index parse, shard-name validation, three mappings, header
 * parses, the name -> tensor map) vs the same 1,000 tensors in one file opened the same way. Target: sharded
 * &lt;= 3x single.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class ShardedOpenBenchmark {
    private Path dir;
    private Path shardedDir;
    private Path singleFile;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-sharded-open");
        shardedDir = Files.createDirectory(dir.resolve("sharded"));
        Path singleDir = Files.createDirectory(dir.resolve("single"));
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int i = 0; i < 1000; i++) {
                MemorySegment s = arena.allocate(256, 64);
                s.fill((byte) i);
                m.put("model.layers." + (i / 10) + ".block" + (i % 10) + ".weight", Tensor.of(s, DType.F32, 8, 8));
            }
            // 256,000 bytes in 3 shards of at most 86,000 bytes
            StateDicts.save(m, shardedDir, SaveOptions.builder().maxShardSize(86_000).build());
            StateDicts.save(m, singleDir, SaveOptions.defaults());
            singleFile = singleDir.resolve("model.safetensors");
            Safetensors.save(m, Map.of("format", "pt"), dir.resolve("x.safetensors"));
        }
        try (Checkpoint c = Checkpoints.open(shardedDir)) {
            if (c.dataFiles().size() != 3 || c.size() != 1000) {
                throw new IllegalStateException("expected 3 shards of 1000 tensors, got " + c);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchFiles.deleteTree(dir);
    }

    /** Index + 3 shards: open, build the 1,000-entry map, touch one tensor per shard, close. */
    @Benchmark
    public long openSharded3() throws IOException {
        try (Checkpoint c = Checkpoints.open(shardedDir)) {
            return c.size() + c.tensor("model.layers.0.block0.weight").byteLength()
                    + c.tensor("model.layers.99.block9.weight").byteLength();
        }
    }

    /** The same 1,000 tensors in one file, through the same API. */
    @Benchmark
    public long openSingle() throws IOException {
        try (Checkpoint c = Checkpoints.open(singleFile)) {
            return c.size() + c.tensor("model.layers.0.block0.weight").byteLength()
                    + c.tensor("model.layers.99.block9.weight").byteLength();
        }
    }
}
