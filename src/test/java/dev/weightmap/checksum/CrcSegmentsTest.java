// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link Crc#crc32(java.util.List, int)}: many segments, chunked and joined, on several threads or one. */
class CrcSegmentsTest {
    @Test
    void combineMatchesWholeCrc() {
        Random r = new Random(3);
        for (int t = 0; t < 200; t++) {
            byte[] b = new byte[r.nextInt(5000)];
            r.nextBytes(b);
            int cut = b.length == 0 ? 0 : r.nextInt(b.length + 1);
            CRC32 a = new CRC32();
            a.update(b, 0, cut);
            CRC32 c = new CRC32();
            c.update(b, cut, b.length - cut);
            CRC32 whole = new CRC32();
            whole.update(b);
            assertThat(Integer.toUnsignedLong(Crc.combineCrc32((int) a.getValue(), (int) c.getValue(), b.length - cut)))
                    .isEqualTo(whole.getValue());
        }
    }

    @Test
    void parallelPiecesMatch() {
        try (Arena arena = Arena.ofShared()) {
            long big = Crc.MAX_PARALLEL_CHUNK * 2 + 12345; // at least three chunks
            MemorySegment s = arena.allocate(big);
            Random r = new Random(5);
            byte[] chunk = new byte[1 << 16];
            for (long off = 0; off < big; off += chunk.length) {
                r.nextBytes(chunk);
                MemorySegment.copy(MemorySegment.ofArray(chunk), 0, s, off, Math.min(chunk.length, big - off));
            }
            MemorySegment small = MemorySegment.ofArray(new byte[] {1, 2, 3});
            MemorySegment empty = MemorySegment.ofArray(new byte[0]);
            int[] crcs = Crc.crc32(List.of(small, s, empty), 4);
            CRC32 c = new CRC32();
            c.update(s.asByteBuffer());
            assertThat(Integer.toUnsignedLong(crcs[1])).isEqualTo(c.getValue());
            assertThat(crcs[1]).isEqualTo(Crc.crc32(s, 3)).isEqualTo(Crc.crc32(s));
            assertThat(crcs[0]).isEqualTo(Crc.crc32(small));
            assertThat(crcs[2]).isZero();
        }
    }

    @Test
    void confinedSegmentsStayOnTheCallingThread() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(Crc.MAX_PARALLEL_CHUNK + 10);
            CRC32 c = new CRC32();
            c.update(s.asByteBuffer());
            assertThat(Integer.toUnsignedLong(Crc.crc32(List.of(s), 4)[0])).isEqualTo(c.getValue());
        }
    }
}
