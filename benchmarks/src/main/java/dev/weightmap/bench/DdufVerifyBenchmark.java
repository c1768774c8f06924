// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.dduf.Dduf;
import dev.weightmap.dduf.DdufEntry;
import dev.weightmap.dduf.DdufFile;
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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * CRC-32 over {@code sizeMiB} MiB of DDUF entries (8 entries), data in the page cache: one thread
 * ({@code crc32OneThread}, the target's measure: at least 20 GB/s) and the full {@code verify()} (entries in
 * parallel, plus the safetensors header check). Throughput = bytes / time.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class DdufVerifyBenchmark {
    @Param({"1024"})
    public int sizeMiB;

    private Path dir;
    private DdufFile dduf;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-dduf-verify");
        Path archive = dir.resolve("v.dduf");
        long per = ((long) sizeMiB << 20) / 8;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(per, 64);
            byte[] chunk = new byte[1 << 20];
            new Random(7).nextBytes(chunk);
            for (long off = 0; off < per; off += chunk.length) {
                MemorySegment.copy(MemorySegment.ofArray(chunk), 0, data, off, Math.min(chunk.length, per - off));
            }
            StringBuilder index = new StringBuilder("{");
            List<Dduf.Entry> entries = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                index.append(i == 0 ? "" : ", ").append("\"c").append(i).append("\": [\"a\", \"b\"]");
            }
            entries.add(Dduf.entry("model_index.json", index.append('}').toString().getBytes(StandardCharsets.UTF_8)));
            for (int i = 0; i < 8; i++) {
                entries.add(Dduf.entry("c" + i + "/config.json", "{}".getBytes(StandardCharsets.UTF_8)));
                entries.add(Dduf.entry("c" + i + "/weights.txt", data));
            }
            Dduf.exportEntries(archive, entries);
        }
        dduf = DdufFile.open(archive);
        dduf.verify(); // fault the pages in
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        dduf.close();
        BenchFiles.deleteTree(dir);
    }

    /** CRC-32 of every entry on one thread. */
    @Benchmark
    public long crc32OneThread() {
        long x = 0;
        for (DdufEntry e : dduf.entries().values()) {
            x += e.computeCrc32();
        }
        return x;
    }

    /** The full verify(): entries in parallel on the common pool. */
    @Benchmark
    public long verify() {
        return dduf.verify().bytes();
    }
}
