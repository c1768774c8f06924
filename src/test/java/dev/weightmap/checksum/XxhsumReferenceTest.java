// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.internal.simd.VectorizationProvider;
import dev.weightmap.internal.simd.Xxh3Kernel;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every length 0..4096 plus 1 MiB+13 and 10 MB against values from libxxhash 0.8.1 (seed 0 columns
 * cross-checked with the xxhsum 0.8.1 CLI -H1/-H2/-H3 for every length), over heap and misaligned native
 * segments, with the chosen (vector) kernel, the scalar kernel and the streaming hasher.
 */
class XxhsumReferenceTest {
    record Row(int len, String xxh64, String xxh3, String xxh128, String xxh64s, String xxh3s, String xxh128s) {
    }

    static final long SEED = 0x9e3779b97e693972L;
    static List<Row> rows;
    static byte[] data;

    @BeforeAll
    static void load() {
        rows = new ArrayList<>();
        for (String line : TestData.text("xxhsum-lengths.txt").split("\n")) {
            if (line.startsWith("#") || line.isBlank()) {
                if (line.startsWith("# seed")) {
                    assertThat(line).contains(Long.toHexString(SEED));
                }
                continue;
            }
            String[] p = line.trim().split(" ");
            rows.add(new Row(Integer.parseInt(p[0]), p[1], p[2], p[3],
                    p.length > 4 ? p[4] : null, p.length > 5 ? p[5] : null, p.length > 6 ? p[6] : null));
        }
        data = TestData.bytes(10_000_000);
    }

    @Test
    void fileCoversAllLengths() {
        assertThat(rows).hasSize(4099);
        assertThat(rows.stream().filter(r -> r.xxh3s() != null).count()).isGreaterThan(1000);
    }

    @Test
    void oneShotHeapSegments() {
        for (Row r : rows) {
            MemorySegment s = MemorySegment.ofArray(data).asSlice(0, r.len());
            check(r, s);
        }
    }

    @Test
    void oneShotMisalignedNativeSegments() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(data.length + 64, 64);
            for (int shift : new int[] {1, 3, 7}) {
                MemorySegment s = buf.asSlice(shift, data.length);
                MemorySegment.copy(MemorySegment.ofArray(data), 0, s, 0, data.length);
                for (Row r : rows) {
                    if (shift == 1 || r.len() % 61 == 0 || r.len() > 4096) {
                        check(r, s.asSlice(0, r.len()));
                    }
                }
            }
        }
    }

    @Test
    void scalarKernel() {
        Xxh3Kernel k = Xxh3.SCALAR;
        for (Row r : rows) {
            MemorySegment s = MemorySegment.ofArray(data).asSlice(0, r.len());
            assertThat(Xxh3.hex64(Xxh3.hash64(k, s, 0))).as("len %d", r.len()).isEqualTo(r.xxh3());
            assertThat(Xxh3.hex128(Xxh3.hash128(k, s, 0))).as("len %d", r.len()).isEqualTo(r.xxh128());
            if (r.xxh3s() != null) {
                assertThat(Xxh3.hex64(Xxh3.hash64(k, s, SEED))).as("len %d", r.len()).isEqualTo(r.xxh3s());
                assertThat(Xxh3.hex128(Xxh3.hash128(k, s, SEED))).as("len %d", r.len()).isEqualTo(r.xxh128s());
            }
        }
    }

    @Test
    void streamingInOddChunks() {
        for (Row r : rows) {
            if (r.len() % 5 != 0 && r.len() > 600 && r.len() <= 4096) {
                continue;
            }
            for (int chunk : new int[] {1, 63, 64, 255, 256, 257, 1000}) {
                if (chunk == 1 && r.len() > 2000) {
                    continue;
                }
                assertThat(streamed(ChecksumAlgorithm.XXH3_64, 0, r.len(), chunk)).as("len %d chunk %d", r.len(), chunk)
                        .isEqualTo(r.xxh3());
                assertThat(streamed(ChecksumAlgorithm.XXH3_128, 0, r.len(), chunk)).as("len %d chunk %d", r.len(), chunk)
                        .isEqualTo(r.xxh128());
                assertThat(streamed(ChecksumAlgorithm.XXH64, 0, r.len(), chunk)).as("len %d chunk %d", r.len(), chunk)
                        .isEqualTo(r.xxh64());
                if (r.xxh3s() != null) {
                    assertThat(streamed(ChecksumAlgorithm.XXH3_64, SEED, r.len(), chunk)).isEqualTo(r.xxh3s());
                    assertThat(streamed(ChecksumAlgorithm.XXH3_128, SEED, r.len(), chunk)).isEqualTo(r.xxh128s());
                    assertThat(streamed(ChecksumAlgorithm.XXH64, SEED, r.len(), chunk)).isEqualTo(r.xxh64s());
                }
            }
        }
    }

    /**
     * Native chunks through the streaming hasher with the provider's kernel (partial blocks included): the process's
     * kernel choice is made warm first, so this does not depend on how much the tests before it hashed.
     */
    @Test
    void streamingNativeChunksWithTheProvidersKernel() {
        Xxh3.KernelChoice.PROCESS.expect(Xxh3.KernelChoice.VECTOR_AFTER);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment native_ = arena.allocate(data.length, 64);
            MemorySegment.copy(MemorySegment.ofArray(data), 0, native_, 0, data.length);
            assertThat(Xxh3.kernelFor(native_.asSlice(0, 64))).isSameAs(VectorizationProvider.get().xxh3());
            for (Row r : rows) {
                if (r.len() < 240 || (r.len() % 7 != 0 && r.len() < 4000)) {
                    continue;
                }
                for (int chunk : new int[] {63, 64, 1000, 1024, 4096}) {
                    Hasher h = Checksums.newHasher(ChecksumAlgorithm.XXH3_64);
                    Hasher h128 = Checksums.newHasher(ChecksumAlgorithm.XXH3_128);
                    for (int off = 0; off < r.len(); off += chunk) {
                        MemorySegment part = native_.asSlice(off, Math.min(chunk, r.len() - off));
                        h.update(part);
                        h128.update(part);
                    }
                    assertThat(h.hex()).as("len %d chunk %d", r.len(), chunk).isEqualTo(r.xxh3());
                    assertThat(h128.hex()).as("len %d chunk %d", r.len(), chunk).isEqualTo(r.xxh128());
                }
            }
        }
    }

    @Test
    void streamingWholeAtOnce() {
        for (Row r : rows) {
            Hasher h = Checksums.newHasher(ChecksumAlgorithm.XXH3_64);
            h.update(data, 0, r.len());
            assertThat(h.hex()).as("len %d", r.len()).isEqualTo(r.xxh3());
        }
    }

    private static String streamed(ChecksumAlgorithm a, long seed, int len, int chunk) {
        Hasher h = Checksums.newHasher(a, seed);
        for (int off = 0; off < len; off += chunk) {
            h.update(data, off, Math.min(chunk, len - off));
        }
        return h.hex();
    }

    private static void check(Row r, MemorySegment s) {
        assertThat(Checksums.hex(ChecksumAlgorithm.XXH64, s)).as("xxh64 len %d", r.len()).isEqualTo(r.xxh64());
        assertThat(Checksums.hex(ChecksumAlgorithm.XXH3_64, s)).as("xxh3 len %d", r.len()).isEqualTo(r.xxh3());
        assertThat(Checksums.hex(ChecksumAlgorithm.XXH3_128, s)).as("xxh128 len %d", r.len()).isEqualTo(r.xxh128());
        assertThat(Xxh3.hex64(Xxh3.hash64(s))).isEqualTo(r.xxh3());
        assertThat(Xxh3.hex128(Xxh3.hash128(s))).isEqualTo(r.xxh128());
        if (r.xxh3s() != null) {
            assertThat(String.format("%016x", Checksums.xxh64(s, SEED))).as("xxh64 seeded len %d", r.len())
                    .isEqualTo(r.xxh64s());
            assertThat(Xxh3.hex64(Xxh3.hash64(s, SEED))).as("xxh3 seeded len %d", r.len()).isEqualTo(r.xxh3s());
            assertThat(Xxh3.hex128(Xxh3.hash128(s, SEED))).as("xxh128 seeded len %d", r.len()).isEqualTo(r.xxh128s());
        }
    }
}
