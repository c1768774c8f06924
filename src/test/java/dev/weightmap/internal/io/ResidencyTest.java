// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weightmap.Weights;
import dev.weightmap.WeightsClosedException;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Residency} and {@link Weights#prefetch()}: page ranges merged and cut, both ways of making pages resident. */
class ResidencyTest {
    static final Path FILE = Path.of("src/test/resources/fixtures/safetensors/many_tensors_300.safetensors");

    @Test
    void pageRangesAreMergedWhereTheyTouchAndCutIntoPieces() {
        MemorySegment a = MemorySegment.ofAddress(0x10000).reinterpret(100);       // page 0x10000
        MemorySegment b = MemorySegment.ofAddress(0x10000 + 4000).reinterpret(200); // pages 0x10000, 0x11000
        MemorySegment c = MemorySegment.ofAddress(0x40000).reinterpret(1);
        MemorySegment big = MemorySegment.ofAddress(0x1000_0000L).reinterpret(Residency.PIECE + 1);
        List<long[]> p = Residency.pieces(List.of(c, big, b, a, MemorySegment.ofArray(new byte[10])));
        assertThat(p).hasSize(4);
        assertThat(p.get(0)).containsExactly(0x10000, 0x2000);
        assertThat(p.get(1)).containsExactly(0x40000, 0x1000);
        assertThat(p.get(2)).containsExactly(0x1000_0000L, Residency.PIECE);
        assertThat(p.get(3)).containsExactly(0x1000_0000L + Residency.PIECE, 0x1000);
    }

    @Test
    void memoryThatIsNotMappedIsTouchedPageByPage() {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment s = arena.allocate(3 * 4096 + 5);
            byte[] heap = new byte[10_000];
            long n = Residency.prefetch(List.of(s, MemorySegment.ofArray(heap)), 2);
            assertThat(n).isGreaterThanOrEqualTo(s.byteSize());
        }
    }

    @Test
    void prefetchCoversEveryTensorOfAReaderAndRefusesAClosedOne() throws IOException {
        Weights w = Weights.open(FILE);
        long bytes = 0;
        for (Tensor t : w.tensors().values()) {
            bytes += t.data().byteSize();
        }
        long done = w.prefetch();
        assertThat(done).isGreaterThanOrEqualTo(Math.min(bytes, 1));
        assertThat(w.tensor(w.tensorNames().get(0)).dtype()).isNotNull();
        w.close();
        assertThatThrownBy(w::prefetch).isInstanceOf(WeightsClosedException.class);
    }

    @Test
    void theKernelIsAskedWhereNativeAccessIsGrantedOnLinux() {
        boolean linux = System.getProperty("os.name", "").startsWith("Linux");
        assertThat(Residency.kernelPopulate()).isEqualTo(linux && Residency.class.getModule().isNativeAccessEnabled());
    }

    @Test
    void aFileCutShortUnderTheReaderIsReportedNotACrash(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("cut.safetensors");
        java.util.Map<String, dev.weightmap.tensor.Tensor> t = new java.util.LinkedHashMap<>();
        t.put("a", dev.weightmap.tensor.Tensor.ofFloats(new float[1 << 20], 1 << 20)); // 4 MiB
        dev.weightmap.safetensors.Safetensors.save(t, java.util.Map.of(), f);
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(f)) {
            w.tensor("a"); // mapped
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f,
                    java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(4096);
            }
            assertThatThrownBy(w::prefetch).isInstanceOf(dev.weightmap.WeightmapException.class)
                    .hasMessageContaining("cut.safetensors");
        }
    }

    @Test
    void piecesAlreadyInThePageCacheCountAsResident(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("cached.bin");
        java.nio.file.Files.write(f, new byte[3 * 4096 + 100]); // just written: in the page cache
        try (Arena arena = Arena.ofShared(); java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
            MemorySegment m = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            m.load();
            assertThat(m.isLoaded()).isTrue();
            assertThat(Residency.prefetch(List.of(m.asSlice(10, 8000), m.asSlice(9000)), 2))
                    .isEqualTo(8000 + m.byteSize() - 9000); // the segments' own bytes: nothing left to populate
        }
    }

    @Test
    void aConfinedMappingIsPrefetchedOnTheCallerOnly(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("confined.bin");
        java.nio.file.Files.write(f, new byte[(int) Residency.PIECE + 8192]); // two pieces
        try (Arena arena = Arena.ofConfined();
                java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
            MemorySegment m = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            assertThat(Residency.prefetch(List.of(m), 4)).isGreaterThanOrEqualTo(m.byteSize());
            MemorySegment heap = MemorySegment.ofArray(new byte[(int) Residency.PIECE + 1]);
            assertThat(Residency.prefetch(List.of(arena.allocate(Residency.PIECE + 1), heap), 4))
                    .isGreaterThanOrEqualTo(heap.byteSize());
        }
    }
}
