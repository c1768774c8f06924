// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Checksum throughput over 1 GiB: a native segment filled once, and a memory-mapped file (a 1 GiB safetensors
 * file in /dev/shm, or -Dbench.dir, so the page cache is warm: mapped-memory speed, not disk speed). One op = one pass over 1 GiB, so GB/s = 1.073741824 / (ms/op / 1000). {@code threads} is passed to
 * {@link Checksums#hex(ChecksumAlgorithm, MemorySegment, int)}: only CRC32/CRC32C split one stream; 0 = all
 * cores. {@code perTensorManifest} vs {@code wholeSafetensorsFile}: 1 GiB safetensors file with 256 tensors.
 *
 * <p>{@code readLoop} is the floor the one-thread hashes are held to: a plain loop that reads every 8-byte word of
 * the same native segment (512-bit loads into four independent sums, so the adds never limit it) and does nothing else; it ignores
 * {@code algo}. {@code inCache} hashes a 256 KiB slice 4,096 times (1 GiB per op, from the core's L2): the kernel's
 * compute speed without the memory stream.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class ChecksumBenchmark {
    static final long SIZE = 1L << 30;

    @Param({"xxh3-64", "xxh3-128", "xxh64", "crc32c", "crc32", "sha256"})
    public String algo;

    @Param({"1", "0"})
    public int threads;

    private ChecksumAlgorithm a;
    private int nThreads;
    private Arena arena;
    private MemorySegment memory;
    private Path stFile;
    private Arena mapArena;
    private MemorySegment mapped;
    private SafetensorsFile st;
    private Map<String, Tensor> tensors;

    @Setup(Level.Trial)
    public void setup() throws IOException {
        a = ChecksumAlgorithm.fromCliName(algo);
        nThreads = threads == 0 ? Runtime.getRuntime().availableProcessors() : threads;
        arena = Arena.ofShared();
        memory = arena.allocate(SIZE, 64);
        long x = 0x9E3779B97F4A7C15L;
        for (long off = 0; off < SIZE; off += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            memory.set(ValueLayout.JAVA_LONG_UNALIGNED, off, x);
        }
        Map<String, Tensor> src = new LinkedHashMap<>();
        long per = SIZE / 256;
        for (int i = 0; i < 256; i++) {
            src.put(String.format("model.layers.%03d.weight", i),
                    Tensor.of(memory.asSlice(i * per, per), DType.BF16, per / 2048, 1024));
        }
        Path dir = Path.of(System.getProperty("bench.dir", Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm" : System.getProperty("java.io.tmpdir")));
        stFile = Files.createTempFile(dir, "weightmap-bench-", ".safetensors");
        Safetensors.save(src, Map.of(), stFile);
        st = SafetensorsFile.open(stFile);
        mapArena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(stFile, StandardOpenOption.READ)) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), mapArena);
        }
        tensors = st.tensors();
        // no warm-up hash here: each fork should see one segment kind only (see "Known limitations" in
        // docs/ARCHITECTURE.md on JIT profile pollution between native and mapped segments)
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        st.close();
        mapArena.close();
        arena.close();
        Files.deleteIfExists(stFile);
    }

    /** 1 GiB native segment. */
    @Benchmark
    public String memory() {
        return Checksums.hex(a, memory, nThreads);
    }

    /** Plain one-thread read of the same 1 GiB native segment: what one core streams from RAM here. */
    @Benchmark
    public long readLoop() {
        return readAll(memory);
    }

    static long readAll(MemorySegment s) {
        // 512-bit loads, four independent sums: the loop issues loads as fast as the core takes them
        VectorSpecies<Long> sp = LongVector.SPECIES_512;
        LongVector a0 = LongVector.zero(sp), a1 = a0, a2 = a0, a3 = a0;
        long n = s.byteSize() & ~255L;
        for (long off = 0; off < n; off += 256) {
            a0 = a0.add(LongVector.fromMemorySegment(sp, s, off, ByteOrder.LITTLE_ENDIAN));
            a1 = a1.add(LongVector.fromMemorySegment(sp, s, off + 64, ByteOrder.LITTLE_ENDIAN));
            a2 = a2.add(LongVector.fromMemorySegment(sp, s, off + 128, ByteOrder.LITTLE_ENDIAN));
            a3 = a3.add(LongVector.fromMemorySegment(sp, s, off + 192, ByteOrder.LITTLE_ENDIAN));
        }
        return a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
    }

    /** A 256 KiB slice of the native segment hashed 4,096 times (1 GiB per op): the kernel from cache. */
    @Benchmark
    public int inCache() {
        MemorySegment slice = memory.asSlice(0, SIZE / 4096);
        int h = 0;
        for (int i = 0; i < 4096; i++) {
            h += Checksums.hex(a, slice, 1).hashCode();
        }
        return h;
    }

    /** 1 GiB memory-mapped file. */
    @Benchmark
    public String mappedFile() {
        return Checksums.hex(a, mapped, nThreads);
    }

    /** Whole safetensors file (1 GiB + header), mapped per call as {@code weightmap hash} does. */
    @Benchmark
    public String wholeSafetensorsFile() throws IOException {
        return Checksums.hexOfFile(a, stFile, nThreads);
    }

    /** Per-tensor manifest of the same file (256 tensors of 4 MiB), parallel across tensors. */
    @Benchmark
    public Map<String, String> perTensorManifest() {
        return Checksums.hexOfTensors(a, tensors, nThreads);
    }
}
