// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.simd.VectorizationProvider;
import dev.weightmap.internal.simd.Xxh3Kernel;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared fixture values (xxhsum 0.8.1, zlib, crc32c, sha256sum) and the Checksums/Hasher contract. */
class ChecksumsTest {
    static final Map<ChecksumAlgorithm, String> KEYS = Map.of(
            ChecksumAlgorithm.CRC32, "crc32", ChecksumAlgorithm.CRC32C, "crc32c",
            ChecksumAlgorithm.SHA256, "sha256", ChecksumAlgorithm.XXH64, "xxh64",
            ChecksumAlgorithm.XXH3_64, "xxh3_64", ChecksumAlgorithm.XXH3_128, "xxh128");

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> fixtureFiles() {
        Map<String, Object> root = (Map<String, Object>) JsonReader.parse(TestData.resource("checksums.json"));
        return (List<Map<String, Object>>) root.get("files");
    }

    @Test
    void sharedFixturesAllAlgorithms() {
        List<Map<String, Object>> files = fixtureFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(10);
        for (Map<String, Object> f : files) {
            byte[] bytes = TestData.resource((String) f.get("file"));
            assertThat(bytes.length).isEqualTo(((Number) f.get("size")).intValue());
            for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
                String expected = (String) f.get(KEYS.get(a));
                String what = a + " " + f.get("file");
                assertThat(Checksums.hex(a, MemorySegment.ofArray(bytes))).as(what).isEqualTo(expected);
                assertThat(Checksums.hex(a, MemorySegment.ofArray(bytes), 4)).as(what).isEqualTo(expected);
                Hasher h = Checksums.newHasher(a);
                for (int off = 0; off < bytes.length; off += 1000) {
                    h.update(bytes, off, Math.min(1000, bytes.length - off));
                }
                assertThat(h.hex()).as(what).isEqualTo(expected);
                assertThat(h.algorithm()).isEqualTo(a);
            }
        }
    }

    @Test
    void digestLengthsAndCanonicalOrder() {
        MemorySegment one = MemorySegment.ofArray(TestData.resource("rand_1.bin"));
        assertThat(Checksums.digest(ChecksumAlgorithm.CRC32, one)).hasSize(4);
        assertThat(Checksums.digest(ChecksumAlgorithm.XXH64, one)).hasSize(8);
        assertThat(Checksums.digest(ChecksumAlgorithm.XXH3_64, one)).hasSize(8);
        assertThat(Checksums.digest(ChecksumAlgorithm.XXH3_128, one)).hasSize(16);
        assertThat(Checksums.digest(ChecksumAlgorithm.SHA256, one)).hasSize(32);
        long[] h = Xxh3.hash128(one);
        assertThat(HexFormat.of().formatHex(Checksums.digest(ChecksumAlgorithm.XXH3_128, one)))
                .isEqualTo(Xxh3.hex128(h)).startsWith(String.format("%016x", h[1]));
    }

    @Test
    void hexOfFileEqualsSha256sumAndHandlesEmptyAndMissingFiles(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("x.bin");
        Files.write(p, TestData.resource("rand_1048589.bin"));
        Map<String, Object> big = fixtureFiles().stream().filter(f -> f.get("file").equals("rand_1048589.bin"))
                .findFirst().orElseThrow();
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            assertThat(Checksums.hexOfFile(a, p, 3)).as(a.name()).isEqualTo(big.get(KEYS.get(a)));
        }
        Path empty = dir.resolve("empty.bin");
        Files.write(empty, new byte[0]);
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.SHA256, empty, 2))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThatThrownBy(() -> Checksums.hexOfFile(ChecksumAlgorithm.SHA256, dir.resolve("nope"), 1))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void tensorsHashTheirLogicalBytes() {
        float[] v = new float[24];
        for (int i = 0; i < v.length; i++) {
            v[i] = i * 0.5f;
        }
        Tensor t = Tensor.ofFloats(v, 4, 6);
        Tensor tt = t.transpose(0, 1);
        assertThat(tt.isContiguous()).isFalse();
        MemorySegment logical = Arena.ofAuto().allocate(tt.byteLength());
        tt.copyTo(logical);
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            assertThat(Checksums.hexOfTensor(a, t)).isEqualTo(Checksums.hex(a, t.data()));
            assertThat(Checksums.hexOfTensor(a, tt)).as(a.name()).isEqualTo(Checksums.hex(a, logical));
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("z", t);
        m.put("a", tt);
        m.put("m", t.narrow(0, 1, 2));
        Map<String, String> hashes = Checksums.hexOfTensors(ChecksumAlgorithm.XXH3_64, m, 3);
        assertThat(hashes.keySet()).containsExactly("z", "a", "m");
        assertThat(hashes.get("a")).isEqualTo(Checksums.hex(ChecksumAlgorithm.XXH3_64, logical));
        assertThat(hashes.get("m")).isEqualTo(Checksums.hexOfTensor(ChecksumAlgorithm.XXH3_64, t.narrow(0, 1, 2)));
    }

    @Test
    void confinedSegmentsAreHashedOnTheCallingThread() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(20L << 20);
            s.fill((byte) 7);
            String single = Checksums.hex(ChecksumAlgorithm.CRC32C, s);
            assertThat(Checksums.hex(ChecksumAlgorithm.CRC32C, s, 4)).isEqualTo(single);
            Map<String, String> m = Checksums.hexOfTensors(ChecksumAlgorithm.CRC32,
                    Map.of("t", Tensor.of(s, DType.U8, s.byteSize())), 4);
            assertThat(m.get("t")).isEqualTo(Checksums.hex(ChecksumAlgorithm.CRC32, s));
        }
    }

    @Test
    void heapSegmentsOfOtherArraysWork() {
        long[] longs = new long[300];
        for (int i = 0; i < longs.length; i++) {
            longs[i] = TestData.splitmix64(i);
        }
        MemorySegment ls = MemorySegment.ofArray(longs);
        MemorySegment bs = MemorySegment.ofArray(ls.toArray(ValueLayout.JAVA_BYTE));
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            assertThat(Checksums.hex(a, ls.asSlice(3))).as(a.name()).isEqualTo(Checksums.hex(a, bs.asSlice(3)));
        }
    }

    @Test
    void seedsOnlyForXxh() {
        assertThatThrownBy(() -> Checksums.newHasher(ChecksumAlgorithm.CRC32, 5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("crc32 takes no seed");
        assertThat(Checksums.newHasher(ChecksumAlgorithm.SHA256, 0).algorithm()).isEqualTo(ChecksumAlgorithm.SHA256);
        MemorySegment s = MemorySegment.ofArray(TestData.bytes(1000));
        Hasher h = Checksums.newHasher(ChecksumAlgorithm.XXH3_64, 42);
        h.update(s);
        assertThat(h.hex()).isEqualTo(Xxh3.hex64(Xxh3.hash64(s, 42)));
    }

    @Test
    void digestDoesNotResetAndChannelFeedsTheHasher() throws IOException {
        byte[] b = TestData.bytes(5000);
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            Hasher h = Checksums.newHasher(a);
            WritableByteChannel ch = h.asChannel();
            assertThat(ch.write(ByteBuffer.wrap(b, 0, 2000))).isEqualTo(2000);
            assertThat(h.hex()).isEqualTo(Checksums.hex(a, MemorySegment.ofArray(b).asSlice(0, 2000)));
            ByteBuffer direct = ByteBuffer.allocateDirect(3000).put(b, 2000, 3000).flip();
            ch.write(direct);
            assertThat(direct.remaining()).isZero();
            assertThat(h.hex()).as(a.name()).isEqualTo(Checksums.hex(a, MemorySegment.ofArray(b)));
            assertThat(h.hex()).isEqualTo(Checksums.hex(a, MemorySegment.ofArray(b)));
            ch.close();
            assertThat(ch.isOpen()).isFalse();
            assertThatThrownBy(() -> ch.write(ByteBuffer.allocate(1))).isInstanceOf(ClosedChannelException.class);
        }
    }

    @Test
    void jdkAgreesOnCrcs() {
        byte[] b = TestData.bytes(100_003);
        CRC32 c = new CRC32();
        c.update(b);
        CRC32C cc = new CRC32C();
        cc.update(b);
        assertThat(Crc.crc32(MemorySegment.ofArray(b))).isEqualTo((int) c.getValue());
        assertThat(Crc.crc32c(MemorySegment.ofArray(b))).isEqualTo((int) cc.getValue());
    }

    @Test
    void combineMatchesConcatenation() {
        byte[] b = TestData.bytes(70_000);
        MemorySegment s = MemorySegment.ofArray(b);
        for (int cut : new int[] {0, 1, 7, 4096, 33_333, 69_999, 70_000}) {
            MemorySegment x = s.asSlice(0, cut);
            MemorySegment y = s.asSlice(cut);
            assertThat(Crc.combineCrc32(Crc.crc32(x), Crc.crc32(y), y.byteSize())).as("cut %d", cut)
                    .isEqualTo(Crc.crc32(s));
            assertThat(Crc.combineCrc32c(Crc.crc32c(x), Crc.crc32c(y), y.byteSize())).as("cut %d", cut)
                    .isEqualTo(Crc.crc32c(s));
        }
        assertThatThrownBy(() -> Crc.combineCrc32(0, 0, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void parallelCrcOverManyChunks() {
        try (Arena arena = Arena.ofShared()) {
            long n = 67L << 20 | 12345;
            MemorySegment s = arena.allocate(n);
            MemorySegment.copy(MemorySegment.ofArray(TestData.bytes(1 << 20)), 0, s, 5000, 1 << 20);
            s.set(ValueLayout.JAVA_BYTE, n - 1, (byte) 9);
            for (int threads : new int[] {1, 2, 3, 8}) {
                assertThat(Crc.crc32(s, threads)).isEqualTo(Crc.crc32(s));
                assertThat(Crc.crc32c(s, threads)).isEqualTo(Crc.crc32c(s));
            }
        }
    }

    @Test
    void vectorKernelChosenWhenModulePresent() {
        assertThat(ModuleLayer.boot().findModule("jdk.incubator.vector")).isPresent();
        if (!"false".equals(System.getProperty("weightmap.vectorization"))) {
            assertThat(Xxh3.implementation()).startsWith("vector");
        }
        assertThat(Xxh3.kernelFor(MemorySegment.ofArray(new long[4]))).isSameAs(Xxh3.SCALAR);
    }

    /**
     * Native input takes the scalar kernel until {@code VECTOR_AFTER} bytes of it have been asked for, or a stream
     * that long is announced, then the provider's, for good.
     */
    @Test
    void nativeInputTakesTheProvidersKernelAfterTheFirstMebibytes() {
        Xxh3Kernel provider = VectorizationProvider.get().xxh3();
        Xxh3.KernelChoice small = new Xxh3.KernelChoice();
        assertThat(small.forNative(4096)).isSameAs(Xxh3.SCALAR);
        assertThat(small.forNative(Xxh3.KernelChoice.VECTOR_AFTER - 4097)).isSameAs(Xxh3.SCALAR);
        assertThat(small.forNative(1)).isSameAs(provider);
        assertThat(small.forNative(10)).isSameAs(provider);
        Xxh3.KernelChoice large = new Xxh3.KernelChoice();
        assertThat(large.forNative(Xxh3.KernelChoice.VECTOR_AFTER)).isSameAs(provider);
        assertThat(large.forNative(1)).isSameAs(provider);
        Xxh3.KernelChoice stream = new Xxh3.KernelChoice();
        stream.expect(Xxh3.KernelChoice.VECTOR_AFTER - 1);
        assertThat(stream.forNative(1 << 20)).isSameAs(Xxh3.SCALAR);
        stream.expect(Xxh3.KernelChoice.VECTOR_AFTER);
        assertThat(stream.forNative(1 << 20)).isSameAs(provider);
        // the process's choice: whatever ran before, after VECTOR_AFTER bytes of native input it is the provider's
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment big = arena.allocate(Xxh3.KernelChoice.VECTOR_AFTER, 64);
            assertThat(Xxh3.kernelFor(big)).isSameAs(provider);
            assertThat(Xxh3.kernelFor(big.asSlice(0, 300))).isSameAs(provider);
        }
    }

    @Test
    void mismatchException() {
        ChecksumMismatchException e = new ChecksumMismatchException("2 tensors differ: a, b", List.of("a", "b"));
        assertThat(e.code()).isEqualTo("CHECKSUM_MISMATCH");
        assertThat(e.mismatches()).containsExactly("a", "b");
        assertThat(e).hasMessage("2 tensors differ: a, b");
    }
}
