// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** Vector vs scalar XXH3, streaming vs one-shot for every algorithm, parallel vs single CRC. */
class ChecksumProperties {

    private static MemorySegment nativeCopy(Arena arena, byte[] b, int shift) {
        MemorySegment s = arena.allocate(b.length + shift + 1, 64).asSlice(shift, b.length);
        MemorySegment.copy(MemorySegment.ofArray(b), 0, s, 0, b.length);
        return s;
    }

    @Property(tries = 300)
    void vectorEqualsScalar(@ForAll @Size(max = 9000) byte[] data, @ForAll @IntRange(max = 63) int shift,
                            @ForAll long seed) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = nativeCopy(arena, data, shift);
            Xxh3Kernel best = Xxh3Kernels.best();
            Xxh3Kernel scalar = Xxh3Kernels.SCALAR;
            assertThat(Xxh3.hash64(best, s, 0)).isEqualTo(Xxh3.hash64(scalar, s, 0));
            assertThat(Xxh3.hash64(best, s, seed)).isEqualTo(Xxh3.hash64(scalar, s, seed));
            assertThat(Xxh3.hash128(best, s, seed)).containsExactly(Xxh3.hash128(scalar, s, seed));
            MemorySegment heap = MemorySegment.ofArray(data);
            assertThat(Xxh3.hash64(best, heap, seed)).isEqualTo(Xxh3.hash64(scalar, s, seed));
        }
    }

    @Property(tries = 100)
    void vectorEqualsScalarOnLargeInputs(@ForAll @IntRange(min = 4097, max = 200_000) int len,
                                         @ForAll @IntRange(max = 15) int shift, @ForAll long seed) {
        byte[] data = TestData.bytes(len + shift);
        MemorySegment s = MemorySegment.ofArray(data).asSlice(shift);
        assertThat(Xxh3.hash64(Xxh3Kernels.best(), s, seed)).isEqualTo(Xxh3.hash64(Xxh3Kernels.SCALAR, s, seed));
        assertThat(Xxh3.hash128(Xxh3Kernels.best(), s, seed))
                .containsExactly(Xxh3.hash128(Xxh3Kernels.SCALAR, s, seed));
    }

    @Property(tries = 300)
    void streamingInRandomChunksEqualsOneShot(@ForAll @Size(max = 6000) byte[] data,
                                              @ForAll @Size(max = 12) List<@IntRange(max = 3000) Integer> cuts,
                                              @ForAll long seed) {
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

    @Property(tries = 25)
    void streamingBigUpdatesEqualsOneShot(@ForAll @IntRange(min = 1, max = 300_000) int first,
                                          @ForAll @IntRange(max = 300_000) int second,
                                          @ForAll @IntRange(max = 5000) int third) {
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

    @Property(tries = 60)
    void streamingNativeSegmentsThroughTheVectorKernel(@ForAll @IntRange(min = 1, max = 70_000) int len,
                                                       @ForAll @Size(max = 8) List<@IntRange(max = 20_000) Integer> cuts,
                                                       @ForAll long seed) {
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
                        ? Xxh3.hex64(Xxh3.hash64(Xxh3Kernels.SCALAR, heap, seed))
                        : Xxh3.hex128(Xxh3.hash128(Xxh3Kernels.SCALAR, heap, seed));
                assertThat(h.hex()).as("%s len %d cuts %s", a, len, cuts).isEqualTo(expected);
            }
        }
    }

    @Property(tries = 12)
    void parallelCrcEqualsSingle(@ForAll @IntRange(min = 0, max = 40_000_000) int len,
                                 @ForAll @IntRange(min = 1, max = 9) int threads) {
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

    @Property(tries = 200)
    void combineOfRandomSplits(@ForAll @Size(max = 3000) byte[] data, @ForAll @IntRange(max = 3000) int cut) {
        int c = Math.min(cut, data.length);
        MemorySegment s = MemorySegment.ofArray(data);
        MemorySegment a = s.asSlice(0, c);
        MemorySegment b = s.asSlice(c);
        assertThat(Crc.combineCrc32(Crc.crc32(a), Crc.crc32(b), b.byteSize())).isEqualTo(Crc.crc32(s));
        assertThat(Crc.combineCrc32c(Crc.crc32c(a), Crc.crc32c(b), b.byteSize())).isEqualTo(Crc.crc32c(s));
    }
}
