// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.Weights;
import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.checksum.Hasher;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

/**
 * Hashing a 256 MiB file (page cache warm) by positional reads into a 1 MiB buffer, as the library does, against
 * running the same kernel straight over a memory mapping, as it did before (which crashes the JVM if the file is
 * truncated meanwhile). One op = one pass over 256 MiB: GB/s = 0.268435456 / (ms/op / 1000).
 *
 * <ul>
 *   <li>{@code fileRead}: {@code Checksums.hexOfFile(a, file, 1)}: open, positional reads, close.</li>
 *   <li>{@code fileMapping}: map the file, run the kernel over the mapping, unmap (the old {@code hexOfFile}).</li>
 *   <li>{@code tensorRead}: {@code Checksums.hexOfTensor} of a 256 MiB tensor of an open {@link Weights}: the
 *       library reads the tensor's bytes from its file.</li>
 *   <li>{@code tensorMapping}: the kernel straight over the same tensor's (already faulted-in) mapping.</li>
 *   <li>{@code fileReadChunk}: positional reads into a buffer of 256 KiB, 1 MiB or 4 MiB, one thread.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class PositionalReadBenchmark {
    static final long SIZE = 256L << 20;

    @Param({"crc32", "crc32c", "xxh3-64", "sha256"})
    public String algo;

    private ChecksumAlgorithm a;
    private Path dir;
    private Path file;
    private Weights weights;
    private Tensor tensor;
    private MemorySegment rawMapping;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        a = ChecksumAlgorithm.fromCliName(algo);
        dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", "/tmp")), "pread-bench");
        file = dir.resolve("w.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(SIZE, 64);
            long x = 0x9E3779B97F4A7C15L;
            for (long off = 0; off < SIZE; off += 8) {
                x ^= x << 13;
                x ^= x >>> 7;
                x ^= x << 17;
                data.set(ValueLayout.JAVA_LONG_UNALIGNED, off, x);
            }
            Safetensors.save(Map.of("w", Tensor.of(data, DType.U8, SIZE)), Map.of(), file);
        }
        weights = Weights.open(file);
        tensor = weights.tensor("w");
        // the same memory seen as a plain native segment: the library's checks for mappings do not apply to it,
        // so the kernels run straight over the mapping, as they did before
        MemorySegment d = tensor.data();
        rawMapping = MemorySegment.ofAddress(d.address()).reinterpret(d.byteSize());
        Checksums.hex(a, rawMapping); // fault the mapping in
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        weights.close();
        Files.deleteIfExists(file);
        Files.deleteIfExists(dir);
    }

    @Benchmark
    public String fileRead() throws IOException {
        return Checksums.hexOfFile(a, file, 1);
    }

    @Benchmark
    public String fileMapping() throws IOException {
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment m = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return Checksums.hex(a, MemorySegment.ofAddress(m.address()).reinterpret(m.byteSize()));
        }
    }

    /** The buffer size for {@link #fileReadChunk}: what {@code FileStreamer.CHUNK} (1 MiB) was chosen from. */
    @State(Scope.Benchmark)
    public static class Chunk {
        @Param({"256", "1024", "4096"})
        public int kib;

        MemorySegment buffer;
        private Arena arena;

        @Setup(Level.Trial)
        public void setup() {
            arena = Arena.ofShared();
            buffer = arena.allocate((long) kib << 10, 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    /** Positional reads into a buffer of {@code kib} KiB, each chunk fed to a hasher (what hexOfFile does). */
    @Benchmark
    public String fileReadChunk(Chunk c) throws IOException {
        Hasher h = Checksums.newHasher(a);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            java.nio.ByteBuffer bb = c.buffer.asByteBuffer();
            long size = ch.size();
            for (long pos = 0; pos < size; ) {
                bb.clear();
                int n = ch.read(bb, pos);
                h.update(c.buffer.asSlice(0, n));
                pos += n;
            }
        }
        return h.hex();
    }

    @Benchmark
    public String tensorRead() {
        return Checksums.hexOfTensor(a, tensor);
    }

    @Benchmark
    public String tensorMapping() {
        return Checksums.hex(a, rawMapping);
    }
}
