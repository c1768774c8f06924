// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.internal.simd.VectorizationProvider;
import dev.weightmap.internal.simd.Xxh3Kernel;
import dev.weightmap.testing.Seeded;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Vector vs scalar XXH3, streaming vs one-shot for every algorithm, parallel vs single CRC. */
@ExtendWith(Seeded.Extension.class)
class ChecksumProperties {

    /** Seeds worth trying in every seeded hash: zero takes another path, the limits test the arithmetic. */
    private static final long[] EDGE_SEEDS = {0, 1, -1, Long.MIN_VALUE, Long.MAX_VALUE};

    private static MemorySegment nativeCopy(Arena arena, byte[] b, int shift) {
        MemorySegment s = arena.allocate(b.length + shift + 1, 64).asSlice(shift, b.length);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, s, 0, b.length);
        return s;
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void vectorEqualsScalar(Seeded seeded) {
        seeded.tries(300, g -> vectorEqualsScalar(g.bytes(9000), g.intIn(0, 63), g.anyLong()));
    }

    @Test
    void vectorEqualsScalarEdgeCases() {
        // XXH3's length classes (0, 1-3, 4-8, 9-16, 17-128, 129-240, stripes, blocks) at their borders
        int[] lengths = {0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 9000};
        for (int len : lengths) {
            byte[] data = TestData.bytes(len);
            for (int shift : new int[] {0, 1, 63}) {
                for (long seed : EDGE_SEEDS) {
                    Seeded.example("len " + len + " shift " + shift + " seed " + seed,
                            () -> vectorEqualsScalar(data, shift, seed));
                }
            }
        }
        Seeded.example("one 0xFF byte", () -> vectorEqualsScalar(new byte[] {-1}, 0, 0));
    }

    private static void vectorEqualsScalar(byte[] data, int shift, long seed) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = nativeCopy(arena, data, shift);
            Xxh3Kernel best = VectorizationProvider.get().xxh3();
            Xxh3Kernel scalar = Xxh3.SCALAR;
            assertThat(Xxh3.hash64(best, s, 0)).isEqualTo(Xxh3.hash64(scalar, s, 0));
            assertThat(Xxh3.hash64(best, s, seed)).isEqualTo(Xxh3.hash64(scalar, s, seed));
            assertThat(Xxh3.hash128(best, s, seed)).containsExactly(Xxh3.hash128(scalar, s, seed));
            MemorySegment heap = MemorySegment.ofArray(data);
            assertThat(Xxh3.hash64(best, heap, seed)).isEqualTo(Xxh3.hash64(scalar, s, seed));
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void vectorEqualsScalarOnLargeInputs(Seeded seeded) {
        seeded.tries(100, g -> vectorEqualsScalarOnLargeInputs(g.intIn(4097, 200_000), g.intIn(0, 15), g.anyLong()));
    }

    @Test
    void vectorEqualsScalarOnLargeInputsEdgeCases() {
        for (int len : new int[] {4097, 4098, 1024 * 1024 / 8 + 1, 200_000}) {
            for (int shift : new int[] {0, 15}) {
                for (long seed : new long[] {0, -1, Long.MAX_VALUE}) {
                    Seeded.example("len " + len + " shift " + shift + " seed " + seed,
                            () -> vectorEqualsScalarOnLargeInputs(len, shift, seed));
                }
            }
        }
    }

    private static void vectorEqualsScalarOnLargeInputs(int len, int shift, long seed) {
        byte[] data = TestData.bytes(len + shift);
        MemorySegment s = MemorySegment.ofArray(data).asSlice(shift);
        assertThat(Xxh3.hash64(VectorizationProvider.get().xxh3(), s, seed)).isEqualTo(Xxh3.hash64(Xxh3.SCALAR, s, seed));
        assertThat(Xxh3.hash128(VectorizationProvider.get().xxh3(), s, seed))
                .containsExactly(Xxh3.hash128(Xxh3.SCALAR, s, seed));
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void streamingInRandomChunksEqualsOneShot(Seeded seeded) {
        seeded.tries(300, g -> streamingInRandomChunksEqualsOneShot(g.bytes(6000), g.ints(0, 12, 0, 3000),
                g.anyLong()));
    }

    @Test
    void streamingInRandomChunksEqualsOneShotEdgeCases() {
        List<List<Integer>> cutLists = List.of(List.of(), List.of(0), List.of(3000), List.of(0, 0, 0),
                List.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), List.of(3000, 3000, 3000), List.of(31, 1, 32, 63, 64, 65));
        for (int len : new int[] {0, 1, 32, 6000}) {
            byte[] data = TestData.bytes(len);
            for (List<Integer> cuts : cutLists) {
                for (long seed : EDGE_SEEDS) {
                    Seeded.example("len " + len + " cuts " + cuts + " seed " + seed,
                            () -> streamingInRandomChunksEqualsOneShot(data, cuts, seed));
                }
            }
        }
    }

    private static void streamingInRandomChunksEqualsOneShot(byte[] data, List<Integer> cuts, long seed) {
        MemorySegment whole = MemorySegment.ofArray(data);
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            boolean seeded = a == ChecksumAlgorithm.XXH64 || a == ChecksumAlgorithm.XXH3_64
                    || a == ChecksumAlgorithm.XXH3_128;
            long sd = seeded ? seed : 0;
            Hasher h = Checksums.newHasher(a, sd);
            int off = 0;
            for (int c : cuts) {
                int n = Math.min(c, data.length - off);
                h.update(whole.asSlice(off, n));
                off += n;
            }
            h.update(whole.asSlice(off));
            String expected;
            if (sd == 0) {
                expected = Checksums.hex(a, whole);
            } else if (a == ChecksumAlgorithm.XXH64) {
                expected = String.format("%016x", Checksums.xxh64(whole, sd));
            } else if (a == ChecksumAlgorithm.XXH3_64) {
                expected = Xxh3.hex64(Xxh3.hash64(whole, sd));
            } else {
                expected = Xxh3.hex128(Xxh3.hash128(whole, sd));
            }
            assertThat(h.hex()).as("%s cuts %s", a, cuts).isEqualTo(expected);
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void streamingBigUpdatesEqualsOneShot(Seeded seeded) {
        seeded.tries(25, g -> streamingBigUpdatesEqualsOneShot(g.intIn(1, 300_000), g.intIn(0, 300_000),
                g.intIn(0, 5000)));
    }

    @Test
    void streamingBigUpdatesEqualsOneShotEdgeCases() {
        int[][] cases = {{1, 0, 0}, {1, 300_000, 5000}, {300_000, 0, 0}, {300_000, 300_000, 5000}, {1, 1, 1},
            {1024, 1024, 0}, {299_999, 1, 4999}};
        for (int[] c : cases) {
            Seeded.example(java.util.Arrays.toString(c), () -> streamingBigUpdatesEqualsOneShot(c[0], c[1], c[2]));
        }
    }

    private static void streamingBigUpdatesEqualsOneShot(int first, int second, int third) {
        byte[] data = TestData.bytes(first + second + third);
        MemorySegment whole = MemorySegment.ofArray(data);
        for (ChecksumAlgorithm a : List.of(ChecksumAlgorithm.XXH3_64, ChecksumAlgorithm.XXH3_128,
                ChecksumAlgorithm.XXH64)) {
            Hasher h = Checksums.newHasher(a);
            h.update(whole.asSlice(0, first));
            h.update(whole.asSlice(first, second));
            h.update(whole.asSlice(first + second));
            assertThat(h.hex()).isEqualTo(Checksums.hex(a, whole));
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void streamingNativeSegmentsThroughTheVectorKernel(Seeded seeded) {
        seeded.tries(60, g -> streamingNativeSegmentsThroughTheVectorKernel(g.intIn(1, 70_000),
                g.ints(0, 8, 0, 20_000), g.anyLong()));
    }

    @Test
    void streamingNativeSegmentsThroughTheVectorKernelEdgeCases() {
        List<List<Integer>> cutLists = List.of(List.of(), List.of(0), List.of(20_000), List.of(1, 0, 20_000),
                List.of(20_000, 20_000, 20_000, 20_000));
        for (int len : new int[] {1, 2, 1024, 1025, 70_000}) {
            for (List<Integer> cuts : cutLists) {
                for (long seed : EDGE_SEEDS) {
                    Seeded.example("len " + len + " cuts " + cuts + " seed " + seed,
                            () -> streamingNativeSegmentsThroughTheVectorKernel(len, cuts, seed));
                }
            }
        }
    }

    private static void streamingNativeSegmentsThroughTheVectorKernel(int len, List<Integer> cuts, long seed) {
        byte[] data = TestData.bytes(len);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = nativeCopy(arena, data, (int) (seed & 7));
            for (ChecksumAlgorithm a : List.of(ChecksumAlgorithm.XXH3_64, ChecksumAlgorithm.XXH3_128)) {
                Hasher h = Checksums.newHasher(a, seed);
                long off = 0;
                for (int c : cuts) {
                    long n = Math.min(c, len - off);
                    h.update(s.asSlice(off, n));
                    off += n;
                }
                h.update(s.asSlice(off));
                MemorySegment heap = MemorySegment.ofArray(data);
                String expected = a == ChecksumAlgorithm.XXH3_64
                        ? Xxh3.hex64(Xxh3.hash64(Xxh3.SCALAR, heap, seed))
                        : Xxh3.hex128(Xxh3.hash128(Xxh3.SCALAR, heap, seed));
                assertThat(h.hex()).as("%s len %d cuts %s", a, len, cuts).isEqualTo(expected);
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void parallelCrcEqualsSingle(Seeded seeded) {
        seeded.tries(12, g -> parallelCrcEqualsSingle(g.intIn(0, 40_000_000), g.intIn(1, 9)));
    }

    @Test
    void parallelCrcEqualsSingleEdgeCases() {
        int[][] cases = {{0, 1}, {0, 9}, {1, 9}, {8, 9}, {9, 2}, {40_000_000, 9}, {40_000_000, 2}};
        for (int[] c : cases) {
            Seeded.example("len " + c[0] + " threads " + c[1], () -> parallelCrcEqualsSingle(c[0], c[1]));
        }
    }

    private static void parallelCrcEqualsSingle(int len, int threads) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(Math.max(1, len)).asSlice(0, len);
            byte[] pattern = TestData.bytes(4099);
            for (long off = 0; off < len; off += pattern.length) {
                MemorySegment.copy(MemorySegment.ofArray(pattern), 0, s, off, Math.min(pattern.length, len - off));
            }
            assertThat(Crc.crc32(s, threads)).isEqualTo(Crc.crc32(s));
            assertThat(Crc.crc32c(s, threads)).isEqualTo(Crc.crc32c(s));
        }
    }

    // ---------------------------------------------------------------------------------------------------------

    @Test
    void combineOfRandomSplits(Seeded seeded) {
        seeded.tries(200, g -> combineOfRandomSplits(g.bytes(3000), g.intIn(0, 3000)));
    }

    @Test
    void combineOfRandomSplitsEdgeCases() {
        for (int len : new int[] {0, 1, 2, 3000}) {
            byte[] data = TestData.bytes(len);
            for (int cut : new int[] {0, 1, len - 1, len, 3000}) {
                if (cut >= 0) {
                    Seeded.example("len " + len + " cut " + cut, () -> combineOfRandomSplits(data, cut));
                }
            }
        }
    }

    private static void combineOfRandomSplits(byte[] data, int cut) {
        int c = Math.min(cut, data.length);
        MemorySegment s = MemorySegment.ofArray(data);
        MemorySegment a = s.asSlice(0, c);
        MemorySegment b = s.asSlice(c);
        assertThat(Crc.combineCrc32(Crc.crc32(a), Crc.crc32(b), b.byteSize())).isEqualTo(Crc.crc32(s));
        assertThat(Crc.combineCrc32c(Crc.crc32c(a), Crc.crc32c(b), b.byteSize())).isEqualTo(Crc.crc32c(s));
    }
}
