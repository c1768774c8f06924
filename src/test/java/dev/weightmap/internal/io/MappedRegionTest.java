// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.dduf.Dduf;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;
import dev.weightmap.torch.TorchCheckpoints;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Writers copy large slices of files this library mapped inside the kernel, from the source file, only while the
 * mapping is alive and the path still names the mapped file; every other case writes from the segment. Either
 * way the bytes written are the mapped bytes.
 */
class MappedRegionTest {
    private static final int BIG = 3 << 20; // above MappedRegion.MIN_TRANSFER

    /** A safetensors file with one large tensor of a byte pattern (seeded) and one small one. */
    private static Path source(Path dir, String name, int seed) throws Exception {
        byte[] big = new byte[BIG];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31 + seed);
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("big", Tensor.of(MemorySegment.ofArray(big), DType.U8, BIG));
        m.put("small", Tensor.of(MemorySegment.ofArray(new byte[] {1, 2, 3, (byte) seed}), DType.U8, 4));
        Path p = dir.resolve(name);
        Safetensors.save(m, Map.of(), p);
        return p;
    }

    /** An action that writes files. */
    private interface Write {
        void run() throws Exception;
    }

    /** Bytes the kernel copied from mapped files while {@code w} ran. */
    private static long transferredBy(Write w) throws Exception {
        long before = MappedRegion.transferredBytes();
        w.run();
        return MappedRegion.transferredBytes() - before;
    }

    /** Bytes copied from the mapped file (by the kernel or by positional reads through a buffer) while w ran. */
    private static long readFromFileBy(Write w) throws Exception {
        long kernel = MappedRegion.transferredBytes();
        long buffered = MappedRegion.readThroughBytes();
        w.run();
        return MappedRegion.transferredBytes() - kernel + MappedRegion.readThroughBytes() - buffered;
    }

    private static String sha(MemorySegment s) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.toArray(ValueLayout.JAVA_BYTE)));
    }

    @Test
    void savingMappedTensorsCopiesInTheKernelAndWritesTheSameBytes(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 7);
        Path out = dir.resolve("b.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            assertThat(transferredBy(() -> Safetensors.save(f.tensors(), f.metadata(), out)))
                    .isGreaterThanOrEqualTo(BIG);
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(src));
    }

    @Test
    void aSliceOutOfStepWithTheTargetPageIsCopiedThroughABufferFromTheFile(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 9);
        try (SafetensorsFile f = SafetensorsFile.open(src);
             FileChannel ch = FileChannel.open(dir.resolve("out.bin"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.WRITE)) {
            Tensor bigTensor = f.tensor("big");
            MemorySegment big = bigTensor.data();
            MappedRegion region = dev.weightmap.internal.tensor.MappedTensors.regionOf(bigTensor);
            long offset = big.address() - region.mapping().address();
            for (long shift : new long[] {1, 0}) { // one byte out of step, then in step again
                long pos = ch.position() + Math.floorMod(offset - ch.position() - shift, MappedRegion.PAGE);
                ch.write(java.nio.ByteBuffer.allocate((int) (pos - ch.position())));
                long kernel = MappedRegion.transferredBytes();
                long buffered = MappedRegion.readThroughBytes();
                assertThat(region.transfer(big, ch)).isTrue();
                assertThat(MappedRegion.transferredBytes() - kernel).isEqualTo(shift == 0 ? BIG : 0);
                assertThat(MappedRegion.readThroughBytes() - buffered).isEqualTo(shift == 0 ? 0 : BIG);
                MemorySegment written = MemorySegment.ofArray(new byte[BIG]);
                ch.force(false);
                try (FileChannel r = FileChannel.open(dir.resolve("out.bin"))) {
                    r.read(written.asByteBuffer(), pos);
                }
                assertThat(sha(written)).isEqualTo(sha(big));
            }
        }
    }

    @Test
    void aSourceReplacedOnDiskIsNotReadByPath(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 1);
        Path other = source(dir, "other.safetensors", 2);
        Path out = dir.resolve("out.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            String mapped = sha(f.tensor("big").data());
            Files.move(other, src, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertThat(transferredBy(() -> Safetensors.save(Map.of("big", f.tensor("big")), Map.of(), out)))
                    .isZero(); // fell back to the mapping
            try (SafetensorsFile g = SafetensorsFile.open(out)) {
                assertThat(sha(g.tensor("big").data())).isEqualTo(mapped);
            }
        }
    }

    @Test
    void aDeletedSourceFallsBackToTheMapping(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 3);
        Path out = dir.resolve("out.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            String mapped = sha(f.tensor("big").data());
            Files.delete(src);
            Safetensors.save(Map.of("big", f.tensor("big")), Map.of(), out);
            try (SafetensorsFile g = SafetensorsFile.open(out)) {
                assertThat(sha(g.tensor("big").data())).isEqualTo(mapped);
            }
        }
    }

    @Test
    void aClosedSourceIsNeverCopied(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 4);
        Path out = dir.resolve("out.safetensors");
        Tensor big;
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            big = f.tensor("big");
        }
        assertThatThrownBy(() -> Safetensors.save(Map.of("big", big), Map.of(), out))
                .isInstanceOf(IllegalStateException.class);
        assertThat(out).doesNotExist();
    }

    @Test
    void callerArenaMappingsAreCopiedWhileAliveAndForgottenAfterwards(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 5);
        Path out = dir.resolve("out.safetensors");
        for (int round = 0; round < 100; round++) { // more dead registrations than the purge threshold
            try (Arena arena = Arena.ofConfined()) {
                SafetensorsFile f = SafetensorsFile.open(src, arena);
                if (round == 0) {
                    assertThat(transferredBy(() -> Safetensors.save(f.tensors(), Map.of(), out)))
                            .isGreaterThanOrEqualTo(BIG);
                }
            }
        }
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(src));
    }

    @Test
    void writingToANonFileChannelUsesTheMapping(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 6);
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream();
            assertThat(transferredBy(() -> f.tensor("big").writeTo(Channels.newChannel(bos)))).isZero();
            assertThat(bos.toByteArray()).isEqualTo(f.tensor("big").data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void torchAndDdufWritersCopyMappedSourcesInOnePass(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 8);
        Path bin = dir.resolve("model.bin");
        Path dduf = dir.resolve("model.dduf");
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            // read once from the source file (CRC while copying), not CRC'd and then transferred again
            assertThat(transferredBy(() -> TorchCheckpoints.save(f.tensors(), bin))).isZero();
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(bin)) {
            assertThat(c.verify().checksums()).isPositive(); // recorded CRCs match the data
            try (SafetensorsFile f = SafetensorsFile.open(src)) {
                assertThat(sha(c.stateDict().get("big").data())).isEqualTo(sha(f.tensor("big").data()));
                assertThat(transferredBy(() -> Dduf.exportEntries(dduf, List.of(
                        Dduf.entry("model_index.json", "{\"unet\":[\"a\",\"b\"]}".getBytes()),
                        Dduf.entry("unet/config.json", "{}".getBytes()),
                        Dduf.entry("unet/model.safetensors", f.segment()))))).isZero();
            }
        }
        try (DdufFile d = DdufFile.open(dduf)) {
            d.verify();
            assertThat(d.entries().get("unet/model.safetensors").segment().toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(Files.readAllBytes(src));
        }
    }

    /** Views of a mapped tensor that are contiguous and at least {@link MappedRegion#MIN_TRANSFER} bytes. */
    private static Map<String, Tensor> views(Tensor big) {
        Map<String, Tensor> v = new LinkedHashMap<>();
        v.put("slice", big.slice(0, 1 << 20, BIG, 1));
        v.put("narrow", big.narrow(0, 3, BIG - 3));
        v.put("select", big.reshape(3, 1 << 20).select(0, 2));
        v.put("transposed", big.reshape(1, BIG).transpose(0, 1)); // dims of size 1: still contiguous
        v.put("view", big.view(new long[] {2, 1 << 20}, new long[] {1 << 20, 1}, 1 << 20));
        return v;
    }

    @Test
    void viewsOfAMappedTensorAreCopiedFromTheirFile(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 9);
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            for (Map.Entry<String, Tensor> e : views(f.tensor("big")).entrySet()) {
                Tensor t = e.getValue();
                assertThat(t.isContiguous()).as(e.getKey()).isTrue();
                Path out = dir.resolve(e.getKey() + ".raw");
                assertThat(readFromFileBy(() -> {
                    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(out,
                            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                        t.writeTo(ch);
                    }
                })).as(e.getKey()).isEqualTo(t.byteLength());
                assertThat(Files.readAllBytes(out)).as(e.getKey()).isEqualTo(t.data().toArray(ValueLayout.JAVA_BYTE));
            }
        }
    }

    /** The files streamed by positional reads (FileStreamer's chunk hook) while {@code w} ran. */
    private static java.util.Set<String> streamedBy(Write w) throws Exception {
        java.util.Set<String> names = java.util.concurrent.ConcurrentHashMap.newKeySet();
        FileStreamer.hook = (name, end) -> names.add(name);
        try {
            w.run();
        } finally {
            FileStreamer.hook = null;
        }
        return names;
    }

    @Test
    void hashingAViewReadsItsFileByPositionalReads(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 10);
        try (SafetensorsFile f = SafetensorsFile.open(src)) {
            for (Map.Entry<String, Tensor> e : views(f.tensor("big")).entrySet()) {
                for (dev.weightmap.checksum.ChecksumAlgorithm a : dev.weightmap.checksum.ChecksumAlgorithm.values()) {
                    Tensor t = e.getValue();
                    String[] hex = new String[1];
                    assertThat(streamedBy(() -> hex[0] = dev.weightmap.checksum.Checksums.hexOfTensor(a, t)))
                            .as(e.getKey() + " " + a).contains(src.toString());
                    Tensor copy = Tensor.of(MemorySegment.ofArray(t.data().toArray(ValueLayout.JAVA_BYTE)),
                            DType.U8, t.numel());
                    assertThat(hex[0]).as(e.getKey() + " " + a)
                            .isEqualTo(dev.weightmap.checksum.Checksums.hexOfTensor(a, copy));
                }
            }
        }
    }

    @Test
    void aMappedSegmentWithoutItsReaderIsReadThroughTheMapping(@TempDir Path dir) throws Exception {
        Path src = source(dir, "a.safetensors", 11);
        try (SafetensorsFile f = SafetensorsFile.open(src);
             Arena arena = Arena.ofConfined();
             java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(src)) {
            // the reader's own slice wrapped as a new tensor, and a mapping made by the caller: no region known
            MemorySegment own = ch.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            List<Tensor> bare = List.of(Tensor.of(f.tensor("big").data(), DType.U8, BIG),
                    Tensor.of(own.asSlice(own.byteSize() - BIG - 4, BIG), DType.U8, BIG));
            for (Tensor t : bare) {
                Path out = dir.resolve("bare.safetensors");
                assertThat(streamedBy(() -> assertThat(transferredBy(() -> Safetensors.save(Map.of("big", t),
                        Map.of(), out))).isZero())).isEmpty();
                try (SafetensorsFile g = SafetensorsFile.open(out)) {
                    assertThat(sha(g.tensor("big").data())).isEqualTo(sha(f.tensor("big").data()));
                }
                assertThat(streamedBy(() -> dev.weightmap.checksum.Checksums.hexOfTensor(
                        dev.weightmap.checksum.ChecksumAlgorithm.XXH3_64, t))).isEmpty();
            }
        }
    }
}
