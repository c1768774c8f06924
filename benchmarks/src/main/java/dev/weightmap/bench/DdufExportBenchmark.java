// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.dduf.Dduf;
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
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Export of a pipeline folder of {@code sizeMiB} MiB (default 1 GiB: four components of a quarter each) against
 * {@code Files.copy} of the same files in the same run. The export forces its temporary file to disk before the
 * rename (atomic write), so {@code filesCopyAndForce} (copy + fsync of every file) is the like-for-like baseline;
 * plain {@code filesCopy} is the page-cache-only bound. Throughput = bytes / time, computed in the notes.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class DdufExportBenchmark {
    @Param({"1024"})
    public int sizeMiB;

    private Path dir;
    private Path folder;
    private Path out;
    private Path copyDir;
    private List<Path> files;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        dir = Files.createTempDirectory("wm-dduf-export");
        folder = dir.resolve("pipeline");
        copyDir = dir.resolve("copy");
        out = dir.resolve("out.dduf");
        Files.createDirectories(copyDir);
        Files.createDirectories(folder);
        StringBuilder index = new StringBuilder("{\"_class_name\": \"BenchPipeline\"");
        long perComponent = ((long) sizeMiB << 20) / 4;
        byte[] chunk = new byte[8 << 20];
        new Random(42).nextBytes(chunk);
        for (int i = 0; i < 4; i++) {
            Path c = folder.resolve("c" + i);
            Files.createDirectories(c);
            index.append(", \"c").append(i).append("\": [\"diffusers\", \"Component\"]");
            Files.writeString(c.resolve("config.json"), "{\"i\": " + i + "}");
            try (OutputStream os = Files.newOutputStream(c.resolve("model.safetensors"))) {
                for (long w = 0; w < perComponent; w += chunk.length) {
                    os.write(chunk, 0, (int) Math.min(chunk.length, perComponent - w));
                }
            }
        }
        Files.writeString(folder.resolve("model_index.json"), index.append('}').toString());
        files = Dduf.folderEntries(folder).stream().map(Dduf.Entry::file).toList();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        BenchFiles.deleteTree(dir);
    }

    /** weightmap: folder -> aligned DDUF, CRC-32 of everything, atomic (fsync + rename). */
    @Benchmark
    public long exportFolder() throws IOException {
        Dduf.exportFolder(out, folder);
        return Files.size(out);
    }

    /** Baseline: Files.copy of the same files (page cache, no fsync). */
    @Benchmark
    public long filesCopy() throws IOException {
        long n = 0;
        for (int i = 0; i < files.size(); i++) {
            Path t = copyDir.resolve(i + ".bin");
            Files.copy(files.get(i), t, StandardCopyOption.REPLACE_EXISTING);
            n += Files.size(t);
        }
        return n;
    }

    /** Baseline with the same durability as the export: Files.copy, then fsync of every copy. */
    @Benchmark
    public long filesCopyAndForce() throws IOException {
        long n = 0;
        for (int i = 0; i < files.size(); i++) {
            Path t = copyDir.resolve(i + ".bin");
            Files.copy(files.get(i), t, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel ch = FileChannel.open(t, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            n += Files.size(t);
        }
        return n;
    }
}
