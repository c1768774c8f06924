// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.Weights;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The "load" of a multi-GB sharded checkpoint: open it, make it resident and sum (or copy out) every tensor
 * ({@link LoadRun#load}), close. {@code cache=warm}: the files stay in the page cache between loads (each load maps
 * them again); {@code cache=cold}: before every load the files are dropped from the page cache with
 * {@code posix_fadvise(POSIX_FADV_DONTNEED)} ({@link Eviction}; not {@code drop_caches}, no root needed), so the
 * load reads the disk. {@code prefetch=true} calls {@link Weights#prefetch()} before the work. {@code work=sum}
 * sums every tensor as 64-bit words in the caller's loop; {@code work=copy} copies every tensor with
 * {@link Tensor#copyTo} into one reused 16 MiB buffer (a bulk copy, as Python's {@code load_file} copies). The
 * checkpoint is 200 F32 tensors of 16 MiB plus one small one (3.2 GB) in four shards written by
 * {@code StateDicts.save}, or the folder given by {@code -Dweightmap.bench.load.dir=DIR} (then kept). A fresh process's first load, the
 * interpreter and compilers included, is timed by {@link LoadRun} as a whole process.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx1g"})
@State(Scope.Benchmark)
public class LoadBenchmark {
    /** Tensors of 16 MiB in the generated checkpoint. */
    static final int TENSORS = 200;

    @Param({"warm", "cold"})
    public String cache;

    @Param({"false", "true"})
    public boolean prefetch;

    /** What the load does with the bytes: {@code sum} them in a caller's loop, or {@code copy} them out. */
    @Param({"sum", "copy"})
    public String work;

    private Path dir;
    private boolean generated;
    private List<Path> files;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        String given = System.getProperty("weightmap.bench.load.dir");
        if (given != null) {
            dir = Path.of(given);
        } else {
            dir = Files.createTempDirectory("wm-load");
            generated = true;
            write(dir);
        }
        try (Weights w = Weights.open(dir)) {
            files = w.files();
        }
    }

    /** Writes the 3.2 GB checkpoint into {@code dir} (four shards of at most 1 GB and the index). */
    static void write(Path dir) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int i = 0; i < TENSORS; i++) {
                MemorySegment t = arena.allocate(16L << 20, 64);
                for (long o = 0; o < t.byteSize(); o += 8) {
                    t.set(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, o, (o + i) * 0x9E3779B97F4A7C15L);
                }
                m.put("model.layers." + i / 8 + ".w" + i % 8 + ".weight", Tensor.of(t, DType.F32, 4096, 1024));
            }
            m.put("model.norm.weight", Tensor.of(arena.allocate(16384, 64), DType.F32, 4096));
            StateDicts.save(m, dir, SaveOptions.builder().maxShardSize(1_000_000_000L).build());
        }
    }

    @Setup(Level.Invocation)
    public void evict() throws IOException {
        if (cache.equals("cold")) {
            Eviction.evict(files);
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        if (generated) {
            BenchFiles.deleteTree(dir);
        }
    }

    /** Open, (prefetch,) sum or copy out every tensor, close. */
    @Benchmark
    public long load() throws IOException {
        return LoadRun.load(dir, work, prefetch, false, new long[14]);
    }
}
