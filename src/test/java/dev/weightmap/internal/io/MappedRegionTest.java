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
            MemorySegment big = f.tensor("big").data();
            MappedRegion region = FileRegions.of(big);
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
}
