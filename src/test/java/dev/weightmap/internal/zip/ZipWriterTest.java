// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

class ZipWriterTest {
    @TempDir
    Path dir;

    @Test
    void alignedEntriesReadByJavaUtilZipAndOurReader() throws Exception {
        Path f = dir.resolve("a.zip");
        Path src = dir.resolve("src.bin");
        byte[] srcBytes = new byte[100_003];
        new Random(1).nextBytes(srcBytes);
        Files.write(src, srcBytes);
        String[] names = {"a.txt", "dir/é.json", "x", "big.bin", "mapped.bin"};
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ZipWriter w = new ZipWriter(ch, ZipLayout.forceZip64(64));
            w.beginEntry(names[0]).write(ByteBuffer.wrap("hello".getBytes(StandardCharsets.UTF_8)));
            w.endEntry();
            w.beginEntry(names[1]);
            w.write(MemorySegment.ofArray("{}".getBytes(StandardCharsets.UTF_8)));
            w.endEntry();
            w.beginEntry(names[2]);
            w.endEntry();
            w.beginEntry(names[3]);
            try (FileChannel s = FileChannel.open(src)) {
                w.transferFrom(s, 0, s.size());
            }
            w.endEntry();
            w.beginEntry(names[4]);
            try (Arena a = Arena.ofConfined()) {
                MemorySegment m = a.allocate(777);
                m.fill((byte) 7);
                w.write(m);
            }
            w.endEntry();
            w.finish();
        }
        try (ZipFile zf = new ZipFile(f.toFile())) {
            assertThat(zf.size()).isEqualTo(5);
            assertThat(zf.getInputStream(zf.getEntry("a.txt")).readAllBytes()).isEqualTo("hello".getBytes(StandardCharsets.UTF_8));
            assertThat(zf.getInputStream(zf.getEntry("dir/é.json")).readAllBytes()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
            assertThat(zf.getInputStream(zf.getEntry("big.bin")).readAllBytes()).isEqualTo(srcBytes);
            assertThat(zf.getEntry("big.bin").getCrc()).isEqualTo(ZipArchiveTest.crc(srcBytes));
            assertThat(zf.getEntry("x").getSize()).isZero();
            assertThat(zf.getEntry("mapped.bin").getSize()).isEqualTo(777);
        }
        // java.util.zip.ZipInputStream checks local headers (ZIP64 extra, CRC)
        try (var zis = new java.util.zip.ZipInputStream(Files.newInputStream(f))) {
            int n = 0;
            for (java.util.zip.ZipEntry e; (e = zis.getNextEntry()) != null; n++) {
                zis.readAllBytes();
                assertThat(e.getName()).isEqualTo(names[n]);
            }
            assertThat(n).isEqualTo(5);
        }
        byte[] all = Files.readAllBytes(f);
        ZipArchive z = ZipArchive.read(MemorySegment.ofArray(all));
        for (ZipEntry e : z.entries()) {
            assertThat(e.dataOffset() % 64).as(e.name()).isZero();
            assertThat(e.dosDate()).isEqualTo(0x21);
            assertThat(e.dosTime()).isZero();
            long lho = e.localHeaderOffset();
            int n = e.name().getBytes(StandardCharsets.UTF_8).length;
            // the ZIP64 extra comes first in the local header
            assertThat(all[(int) lho + 30 + n]).isEqualTo((byte) 1);
            assertThat(all[(int) lho + 30 + n + 1]).isEqualTo((byte) 0);
            assertThat(e.utf8()).isEqualTo(e.name().equals("dir/é.json"));
        }
        assertThat(z.entries().get(3).data(MemorySegment.ofArray(all)).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(srcBytes);
        assertThat(z.isZip64()).isFalse();
    }

    @Test
    void moreThan65534EntriesGetZip64EndRecords() throws Exception {
        Path f = dir.resolve("many.zip");
        int n = 65_536;
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ZipWriter w = new ZipWriter(ch, ZipLayout.forceZip64(1));
            for (int i = 0; i < n; i++) {
                w.beginEntry(Integer.toString(i));
                w.endEntry();
            }
            w.finish();
        }
        try (ZipFile zf = new ZipFile(f.toFile())) {
            assertThat(zf.size()).isEqualTo(n);
        }
        try (FileChannel ch = FileChannel.open(f)) {
            ZipArchive z = ZipArchive.read(ZipSource.of(ch));
            assertThat(z.isZip64()).isTrue();
            assertThat(z.entries()).hasSize(n);
            assertThat(z.entries().get(n - 1).name()).isEqualTo(Integer.toString(n - 1));
        }
    }

    @Test
    void offsetsBeyond4GiBGetZip64ExtrasAndEndRecords() throws Exception {
        Path f = dir.resolve("far.zip");
        long start = (4L << 30) + 123; // a sparse prefix: entries begin beyond 4 GiB
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ch.position(start);
            ZipWriter w = new ZipWriter(ch, ZipLayout.forceZip64(64));
            w.beginEntry("a.txt").write(ByteBuffer.wrap("far away".getBytes(StandardCharsets.UTF_8)));
            w.endEntry();
            w.finish();
        }
        try (Arena a = Arena.ofConfined(); FileChannel ch = FileChannel.open(f)) {
            ZipArchive z = ZipArchive.read(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), a));
            assertThat(z.isZip64()).isTrue();
            ZipEntry e = z.entries().get(0);
            assertThat(e.localHeaderOffset()).isEqualTo(start);
            assertThat(e.centralExtraLength()).isEqualTo(12); // ZIP64 extra holding the offset only
            assertThat(e.dataOffset() % 64).isZero();
            assertThat(new String(e.data(ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), a)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)).isEqualTo("far away");
        }
        try (ZipFile zf = new ZipFile(f.toFile())) {
            assertThat(zf.getInputStream(zf.getEntry("a.txt")).readAllBytes()).isEqualTo("far away".getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void torchStylePaddingExtraId() throws Exception {
        Path f = dir.resolve("t.zip");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ZipWriter w = new ZipWriter(ch, ZipLayout.forceZip64(64).withPadding(0x4246, ZipLayout.Padding.ZEROS));
            w.beginEntry("archive/data.pkl").write(ByteBuffer.wrap(new byte[] {(byte) 0x80, 2, '.'}));
            w.endEntry();
            w.finish();
        }
        byte[] all = Files.readAllBytes(f);
        ZipEntry e = ZipArchive.read(MemorySegment.ofArray(all)).entries().get(0);
        assertThat(e.dataOffset()).isEqualTo(128);
        int pad = 30 + 16 + 20; // the padding block follows the ZIP64 extra
        assertThat(all[pad] & 0xFF | (all[pad + 1] & 0xFF) << 8).isEqualTo(0x4246);
        for (int i = pad + 4; i < 128; i++) {
            assertThat(all[i]).isZero();
        }
        try (ZipFile zf = new ZipFile(f.toFile())) {
            assertThat(zf.getInputStream(zf.getEntry("archive/data.pkl")).readAllBytes()).hasSize(3);
        }
    }

    @Test
    void torchLayout() throws Exception {
        Path f = dir.resolve("torch.zip");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ZipWriter w = new ZipWriter(ch, TestLayouts.torch(64, false));
            assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> w.beginEntry("x")))
                    .isInstanceOf(IllegalStateException.class);
            w.add("archive/data.pkl", MemorySegment.ofArray(new byte[] {(byte) 0x80, 2, '.'}));
            w.add("archive/a", MemorySegment.ofArray(new byte[2]));
            w.add("archive/b", MemorySegment.ofArray(new float[] {1, 2}));
            w.finish();
        }
        byte[] all = Files.readAllBytes(f);
        ZipArchive z = ZipArchive.read(MemorySegment.ofArray(all));
        assertThat(z.isZip64()).isTrue(); // always, as torch
        for (ZipEntry e : z.entries()) {
            assertThat(e.dataOffset() % 64).as(e.name()).isZero();
            assertThat(e.flags()).isEqualTo(ZipEntry.FLAG_UTF8);
            assertThat(e.versionMadeBy()).isEqualTo(20);
            assertThat(e.externalAttributes()).isZero();
            assertThat(e.centralExtraLength()).isZero();
            int lho = (int) e.localHeaderOffset();
            int extra = lho + 30 + e.name().length();
            // sizes in the local header, then the "FB" padding block filled with 'Z' (here no ZIP64 extra)
            assertThat(all[lho + 18] & 0xFF | (all[lho + 19] & 0xFF) << 8).isEqualTo((int) e.size());
            assertThat(all[extra] & 0xFF | (all[extra + 1] & 0xFF) << 8).isEqualTo(TestLayouts.TORCH_PADDING);
            assertThat((all[extra + 2] & 0xFF | (all[extra + 3] & 0xFF) << 8) + 4).isEqualTo(e.localExtraLength());
            for (int i = extra + 4; i < e.dataOffset(); i++) {
                assertThat(all[i]).isEqualTo((byte) 'Z');
            }
        }
        try (ZipFile zf = new ZipFile(f.toFile())) { // checks the CRCs
            assertThat(zf.getInputStream(zf.getEntry("archive/b")).readAllBytes()).hasSize(8);
        }
    }

    @Test
    void torchLayoutWithForcedZip64() throws Exception {
        Path f = dir.resolve("torch64.zip");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ZipWriter w = new ZipWriter(ch, TestLayouts.torch(64, true));
            w.add("archive/data.pkl", MemorySegment.ofArray(new byte[] {(byte) 0x80, 2, '.'}));
            w.add("archive/empty", MemorySegment.ofArray(new byte[0]));
            w.finish();
        }
        byte[] all = Files.readAllBytes(f);
        for (ZipEntry e : ZipArchive.read(MemorySegment.ofArray(all)).entries()) {
            assertThat(e.versionMadeBy()).isEqualTo(45);
            assertThat(e.centralExtraLength()).isEqualTo(4 + 24); // both sizes and the offset
            int extra = (int) e.localHeaderOffset() + 30 + e.name().length();
            assertThat(all[extra]).isEqualTo((byte) 1); // the local ZIP64 extra comes before the padding
            assertThat(all[extra + 20] & 0xFF | (all[extra + 21] & 0xFF) << 8).isEqualTo(TestLayouts.TORCH_PADDING);
            assertThat(e.dataOffset() % 64).isZero();
        }
        try (ZipFile zf = new ZipFile(f.toFile())) {
            assertThat(zf.getEntry("archive/data.pkl").getSize()).isEqualTo(3);
        }
    }
}
