// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weightmap.WeightmapException;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tensors and files hashed together: every plan gives the one-thread values, in input order. */
class HashPlanTest {
    /** Larger than two pieces and not a multiple of one, so the last piece is short. */
    private static final long BIG = 2 * HashPlan.PIECE + 12_345;

    @TempDir
    Path dir;

    private static MemorySegment random(Arena arena, long size, long seed) {
        MemorySegment s = arena.allocate(size, 64);
        long x = seed | 1;
        for (long off = 0; off + 8 <= size; off += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            s.set(ValueLayout.JAVA_LONG_UNALIGNED, off, x);
        }
        for (long off = size & ~7L; off < size; off++) {
            s.set(ValueLayout.JAVA_BYTE, off, (byte) off);
        }
        return s;
    }

    private Path file(String name, MemorySegment bytes) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, bytes.toArray(ValueLayout.JAVA_BYTE));
        return f;
    }

    @Test
    void crcPiecesOfTensorsAndFilesJoinToTheOneThreadValue() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment big = random(arena, BIG, 7);
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("small", Tensor.of(big.asSlice(0, 4096), DType.U8, 4096));
            tensors.put("big", Tensor.of(big, DType.U8, BIG));
            tensors.put("strided", Tensor.of(big.asSlice(0, 1 << 20), DType.F32, 512, 512).transpose(0, 1));
            Path f1 = file("a.bin", big);
            Path f2 = file("b.bin", big.asSlice(0, 1000));
            for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
                AtomicLong tensorBytes = new AtomicLong();
                AtomicLong fileBytes = new AtomicLong();
                HashPlan.Result r = HashPlan.run(a, tensors, List.of(f1, f2, f1), 3, tensorBytes::addAndGet,
                        fileBytes::addAndGet);
                assertThat(r.tensors().keySet()).as(a.cliName()).containsExactly("small", "big", "strided");
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
                    assertThat(r.tensors().get(e.getKey())).as(a + " " + e.getKey())
                            .isEqualTo(Checksums.hexOfTensor(a, e.getValue()));
                }
                assertThat(r.files().keySet()).as(a.cliName()).containsExactly(f1, f2); // a file listed twice: once
                assertThat(r.files().get(f1)).as(a.cliName()).isEqualTo(Checksums.hexOfFile(a, f1, 1));
                assertThat(r.files().get(f2)).as(a.cliName()).isEqualTo(Checksums.hexOfFile(a, f2, 1));
                assertThat(tensorBytes.get()).as(a.cliName())
                        .isEqualTo(tensors.values().stream().mapToLong(Tensor::byteLength).sum());
                assertThat(fileBytes.get()).as(a.cliName()).isEqualTo(BIG + 1000);
            }
        }
    }

    @Test
    void onlyTheCrcsCutOneInputIntoPieces() {
        assertThat(HashPlan.pieces(ChecksumAlgorithm.CRC32C, BIG, 2)).isEqualTo(2);
        assertThat(HashPlan.pieces(ChecksumAlgorithm.CRC32, BIG, 3)).isEqualTo(2); // pieces of at least PIECE
        assertThat(HashPlan.pieces(ChecksumAlgorithm.CRC32C, 64 * HashPlan.PIECE, 3)).isEqualTo(3);
        assertThat(HashPlan.pieces(ChecksumAlgorithm.CRC32C, BIG, 1)).isEqualTo(1);
        assertThat(HashPlan.pieces(ChecksumAlgorithm.CRC32C, 2 * HashPlan.PIECE - 1, 8)).isEqualTo(1);
        for (ChecksumAlgorithm a : List.of(ChecksumAlgorithm.SHA256, ChecksumAlgorithm.XXH64,
                ChecksumAlgorithm.XXH3_64, ChecksumAlgorithm.XXH3_128)) {
            assertThat(HashPlan.pieces(a, BIG, 8)).as(a.cliName()).isEqualTo(1);
            assertThat(a.splitsOneInput()).isFalse();
        }
    }

    @Test
    void piecesCoverTheInputExactlyWithNoEmptyPiece() {
        long[] lengths = {2 * HashPlan.PIECE, BIG, 17 * HashPlan.PIECE + 1, 1000 * HashPlan.PIECE + 999_999,
                (1L << 40) + 3};
        for (long len : lengths) {
            for (int threads = 2; threads <= 96; threads++) {
                long per = HashPlan.pieceLength(ChecksumAlgorithm.CRC32C, len, threads);
                int k = HashPlan.pieces(ChecksumAlgorithm.CRC32C, len, threads);
                assertThat(k).as(len + " / " + threads).isBetween(2, threads);
                assertThat(per).isGreaterThanOrEqualTo(HashPlan.PIECE);
                assertThat((k - 1) * per).as(len + " / " + threads).isLessThan(len);
                assertThat(k * per).as(len + " / " + threads).isGreaterThanOrEqualTo(len);
            }
        }
    }

    @Test
    void confinedTensorsAreHashedOnTheCallingThread() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = random(arena, BIG, 3);
            Map<String, Tensor> tensors = Map.of("t", Tensor.of(s, DType.U8, BIG));
            HashPlan.Result r = HashPlan.run(ChecksumAlgorithm.CRC32C, tensors, List.of(), 4, null, null);
            assertThat(r.tensors().get("t")).isEqualTo(Checksums.hex(ChecksumAlgorithm.CRC32C, s));
        }
    }

    @Test
    void aMissingFileOrAFolderAmongPiecesFailsTyped() throws IOException {
        try (Arena arena = Arena.ofShared()) {
            Path f = file("a.bin", random(arena, BIG, 5));
            assertThatThrownBy(() -> HashPlan.run(ChecksumAlgorithm.CRC32C, Map.of(),
                    List.of(f, dir.resolve("missing.bin")), 2, null, null))
                    .isInstanceOf(NoSuchFileException.class);
            for (ChecksumAlgorithm a : List.of(ChecksumAlgorithm.CRC32C, ChecksumAlgorithm.XXH3_64)) {
                assertThatThrownBy(() -> HashPlan.run(a, Map.of(), List.of(f, dir), 2, null, null))
                        .isInstanceOf(WeightmapException.class)
                        .hasMessageContaining("not a regular file");
            }
        }
    }
}
