// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.internal.io.MappedFile;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sparse file of 2^31 + 4099 bytes (over the 2 GB ByteBuffer limit) with a few non-zero bytes around the
 * 2 GiB boundary. Expected values from xxhsum 0.8.1 (-H1/-H2/-H3), zlib.crc32 and sha256sum over the same file;
 * CRC32C from the JDK fed in 1 MiB pieces. Touches 2 GB of page cache once.
 */
class LargeInputTest {
    static final long SIZE = (1L << 31) + 4099;

    @Test
    void beyondTwoGigabytes(@TempDir Path dir) throws IOException {
        Path p = dir.resolve("big.bin");
        try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
            f.setLength(SIZE);
            long[][] marks = {{0, 1}, {1000, 2}, {(1L << 31) - 1, 3}, {1L << 31, 4}, {(1L << 31) + 7, 5}, {SIZE - 1, 6}};
            for (long[] m : marks) {
                f.seek(m[0]);
                f.write((int) m[1]);
            }
        }
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.XXH3_64, p, 1)).isEqualTo("ff13d3026dc4a3ae");
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.XXH3_128, p, 1)).isEqualTo("69fbe5264240f427ff13d3026dc4a3ae");
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.XXH64, p, 1)).isEqualTo("5fbd8aa656ae393a");
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.CRC32, p, 1)).isEqualTo("6c76298c");
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.CRC32, p, 2)).isEqualTo("6c76298c");
        assertThat(Checksums.hexOfFile(ChecksumAlgorithm.SHA256, p, 2))
                .isEqualTo("f6be17cc5ea16a740ce6a0f457da1a49a87a8cc5f7af600094f400c3c3b72a41");
        try (MappedFile m = MappedFile.open(p)) {
            MemorySegment s = m.segment();
            Hasher crc32c = Checksums.newHasher(ChecksumAlgorithm.CRC32C);
            Hasher xxh3 = Checksums.newHasher(ChecksumAlgorithm.XXH3_64);
            byte[] buf = new byte[1 << 20];
            for (long off = 0; off < SIZE; off += buf.length) {
                int n = (int) Math.min(buf.length, SIZE - off);
                MemorySegment.copy(s, off, MemorySegment.ofArray(buf), 0, n);
                crc32c.update(buf, 0, n);
                xxh3.update(buf, 0, n);
            }
            assertThat(xxh3.hex()).isEqualTo("ff13d3026dc4a3ae");
            assertThat(Checksums.hex(ChecksumAlgorithm.CRC32C, s)).isEqualTo(crc32c.hex());
            assertThat(Checksums.hex(ChecksumAlgorithm.CRC32C, s, 3)).isEqualTo(crc32c.hex());
        }
    }
}
