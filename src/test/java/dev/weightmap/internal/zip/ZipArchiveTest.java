// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZipArchiveTest {
    private byte[] last;

    ZipArchive read(byte[] b) {
        last = b;
        return ZipArchive.read(MemorySegment.ofArray(b));
    }

    String text(ZipArchive z, ZipEntry e) {
        return new String(e.data(MemorySegment.ofArray(last)).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
    }

    @Test
    void readsJavaUtilZipArchiveWithDataDescriptors() throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        byte[] stored = "stored bytes".getBytes(StandardCharsets.UTF_8);
        try (ZipOutputStream zos = new ZipOutputStream(bos)) {
            java.util.zip.ZipEntry d = new java.util.zip.ZipEntry("deflated.txt");
            zos.putNextEntry(d);
            zos.write("hello hello hello hello".getBytes(StandardCharsets.UTF_8));
            zos.closeEntry();
            java.util.zip.ZipEntry s = new java.util.zip.ZipEntry("dir/stored.bin");
            s.setMethod(java.util.zip.ZipEntry.STORED);
            s.setSize(stored.length);
            CRC32 c = new CRC32();
            c.update(stored);
            s.setCrc(c.getValue());
            zos.putNextEntry(s);
            zos.write(stored);
            zos.closeEntry();
            zos.setComment("archive comment");
        }
        ZipArchive z = read(bos.toByteArray());
        assertThat(z.entries()).extracting(ZipEntry::name).containsExactly("deflated.txt", "dir/stored.bin");
        ZipEntry d = z.entries().get(0);
        assertThat(d.method()).isEqualTo(ZipEntry.DEFLATED);
        assertThat(d.flags() & ZipEntry.FLAG_DATA_DESCRIPTOR).isNotZero();
        assertThat(d.size()).isEqualTo(23);
        ZipEntry s = z.entries().get(1);
        assertThat(s.method()).isEqualTo(ZipEntry.STORED);
        assertThat(s.data(MemorySegment.ofArray(last)).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(stored);
        assertThat(s.crc32()).isEqualTo(crc(stored));
        assertThat(z.comment()).isEqualTo("archive comment");
        assertThat(z.isZip64()).isFalse();
    }

    static long crc(byte[] b) {
        CRC32 c = new CRC32();
        c.update(b);
        return c.getValue();
    }

    @Test
    void dataOffsetComesFromTheLocalHeader() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", "DATA".getBytes(StandardCharsets.UTF_8));
        e.localExtra = RawZip.zip64Extra(4, 4);
        r.add(e);
        ZipArchive z = read(r.build());
        ZipEntry a = z.entries().get(0);
        assertThat(a.dataOffset()).isEqualTo(30 + 5 + 20);
        assertThat(a.localExtraLength()).isEqualTo(20);
        assertThat(a.centralExtraLength()).isZero();
        assertThat(text(z, a)).isEqualTo("DATA");
    }

    @Test
    void dataDescriptorsAreTolerated() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", "DATA".getBytes(StandardCharsets.UTF_8));
        e.dataDescriptor = true;
        e.flags = ZipEntry.FLAG_DATA_DESCRIPTOR;
        r.add(e).add("b.txt", "more");
        ZipArchive z = read(r.build());
        assertThat(text(z, z.entries().get(0))).isEqualTo("DATA");
        assertThat(text(z, z.entries().get(1))).isEqualTo("more");
    }

    @Test
    void namesAreCp437UnlessFlagBit11() {
        RawZip r = new RawZip();
        RawZip.E cp = new RawZip.E("x", new byte[0]);
        cp.name = new byte[] {(byte) 0x80, (byte) 0xE1, '.', 't', 'x', 't'};
        RawZip.E u = new RawZip.E("é€.txt", new byte[0]);
        u.flags = ZipEntry.FLAG_UTF8;
        u.comment = "ç".getBytes(StandardCharsets.UTF_8);
        r.add(cp).add(u);
        ZipArchive z = read(r.build());
        assertThat(z.entries().get(0).name()).isEqualTo("Çß.txt");
        assertThat(z.entries().get(0).utf8()).isFalse();
        assertThat(z.entries().get(1).name()).isEqualTo("é€.txt");
        assertThat(z.entries().get(1).comment()).isEqualTo("ç");
    }

    @Test
    void invalidUtf8NameWithFlagIsRejected() {
        RawZip r = new RawZip();
        RawZip.E u = new RawZip.E("x", new byte[0]);
        u.name = new byte[] {(byte) 0xC3, '.', 't'};
        u.flags = ZipEntry.FLAG_UTF8;
        r.add(u);
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageContaining("not valid UTF-8");
    }

    @Test
    void zip64ExtraInCentralDirectoryResolvesSaturatedFields() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", "DATA".getBytes(StandardCharsets.UTF_8));
        e.csize = 0xFFFFFFFFL;
        e.usize = 0xFFFFFFFFL;
        e.centralExtra = RawZip.zip64Extra(4, 4);
        r.add(e);
        ZipArchive z = read(r.build());
        assertThat(z.entries().get(0).size()).isEqualTo(4);
        assertThat(z.entries().get(0).compressedSize()).isEqualTo(4);

        e.centralExtra = Arrays.copyOf(RawZip.zip64Extra(4, 4), 12);
        e.centralExtra[2] = 8;
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessage("entry 'a.txt': ZIP64 extra field of 8 bytes is too short for the saturated size/offset fields");
    }

    @Test
    void malformedExtraFieldIsRejected() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", new byte[0]);
        e.centralExtra = new byte[] {0x34, 0x12, 50, 0, 1, 2};
        r.add(e);
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessage("entry 'a.txt': malformed central extra field: block 0x1234 of 50 bytes runs past the extra field");
    }

    @Test
    void zip64EndRecordIsRead() {
        RawZip r = new RawZip().add("a.txt", "x");
        r.zip64End = true;
        ZipArchive z = read(r.build());
        assertThat(z.isZip64()).isTrue();
        assertThat(z.entries()).hasSize(1);
    }

    @Test
    void badZip64EndSignatureIsRejected() {
        RawZip r = new RawZip().add("a.txt", "x");
        r.zip64End = true;
        r.zip64EndSig = 0x12345678;
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageStartingWith("bad ZIP64 end of central directory signature at offset");
    }

    @Test
    void notAZip() {
        assertThatThrownBy(() -> read(new byte[0])).isInstanceOf(ZipFormatException.class)
                .hasMessage("not a zip archive: 0 bytes is shorter than an end of central directory record");
        assertThatThrownBy(() -> read(new byte[1000])).isInstanceOf(ZipFormatException.class)
                .hasMessage("not a zip archive: no end of central directory record in the last 1000 bytes");
    }

    @Test
    void truncatedArchiveIsRejected() {
        byte[] b = new RawZip().add("a.txt", "xyz").build();
        for (int cut = 1; cut < b.length; cut++) {
            byte[] t = Arrays.copyOf(b, b.length - cut);
            assertThatThrownBy(() -> read(t)).isInstanceOf(ZipFormatException.class);
        }
    }

    @Test
    void diskNumbersAreReported() {
        ZipArchive z = read(BrokenZips.endRecordOnDisk1());
        assertThat(z.multiDisk()).isTrue();
        assertThat(z.disks().endDisk()).isEqualTo(1);
        assertThat(read(BrokenZips.entryOnDisk2()).entries().get(0).diskStart()).isEqualTo(2);
        assertThat(read(new RawZip().add("a.txt", "x").build()).multiDisk()).isFalse();
    }

    @Test
    void centralDirectoryOutOfBounds() {
        RawZip r = new RawZip().add("a.txt", "x");
        r.cdOffsetOverride = 100_000;
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageStartingWith("central directory out of bounds: offset 100000 + size");
    }

    @Test
    void wrongCountIsRejected() {
        assertThat(read(BrokenZips.countBelowTheRecords()).trailingCentralDirectoryBytes()).isEqualTo(46 + 5);
        RawZip r = new RawZip().add("a.txt", "x").add("b.txt", "y");
        r.countOverride = 3;
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageContaining("cannot hold the 3 entries");
    }

    @Test
    void overlappingEntriesAreReported() {
        ZipArchive.Overlap o = read(BrokenZips.overlapping()).overlap();
        assertThat(o).isNotNull();
        assertThat(o.later().localHeaderOffset()).isZero();
        assertThat(read(new RawZip().add("a.txt", "x").add("b.txt", "y").build()).overlap()).isNull();
    }

    @Test
    void localHeaderChecks() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        e.localName = "b.txt".getBytes(StandardCharsets.UTF_8);
        r.add(e);
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessage("entry 'a.txt': local header name at offset 0 differs from the central directory name");

        byte[] b = new RawZip().add("a.txt", "x").build();
        b[0] = 'X';
        assertThatThrownBy(() -> read(b)).isInstanceOf(ZipFormatException.class)
                .hasMessage("entry 'a.txt': bad local file header signature at offset 0");

        RawZip far = new RawZip();
        RawZip.E f = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        f.lhoOverride = 5000;
        far.add(f);
        assertThatThrownBy(() -> read(far.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageStartingWith("entry 'a.txt': Incomplete local file header.");
    }

    @Test
    void dataRunningIntoTheCentralDirectoryIsReported() {
        ZipArchive z = read(BrokenZips.dataIntoTheCentralDirectory());
        assertThat(z.entries().get(0).endsBefore(z.centralDirectoryOffset())).isFalse();
        assertThat(z.entries().get(0).dataEnd()).isEqualTo(535);
    }

    @Test
    void readsThroughAChannelAndALongComment(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        RawZip r = new RawZip().add("a.txt", "x").add("b.txt", "yz");
        r.comment = new byte[10_000]; // past the first tail read: the whole window is searched
        byte[] b = r.build();
        java.nio.file.Path f = java.nio.file.Files.write(dir.resolve("c.zip"), b);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(f)) {
            ZipArchive z = ZipArchive.read(ZipSource.of(ch));
            assertThat(z.entries()).extracting(ZipEntry::name).containsExactly("a.txt", "b.txt");
            assertThat(z.endCommentFits()).isTrue();
            assertThat(z.comment()).hasSize(10_000);
            assertThat(z.entries().get(1).data(MemorySegment.ofArray(b)).byteSize()).isEqualTo(2);
        }
    }

    @Test
    void anEndRecordWhoseCommentRunsPastTheEndIsReported() {
        ZipArchive z = read(BrokenZips.commentPastTheEnd());
        assertThat(z.endCommentFits()).isFalse();
        assertThat(z.entries()).hasSize(1);
    }

    @Test
    void archiveCommentAndTrailingEndSignatureInComment() {
        RawZip r = new RawZip().add("a.txt", "x");
        ByteBuffer fake = ByteBuffer.allocate(22).order(ByteOrder.LITTLE_ENDIAN).putInt(ZipArchive.END_SIG);
        fake.putShort(20, (short) 100);
        r.comment = fake.array(); // a fake end record whose comment does not fit must not be taken
        ZipArchive z = read(r.build());
        assertThat(z.entries()).hasSize(1);
        assertThat(z.comment()).hasSize(22);
    }

    /** A stored-entries archive: {@code small} entries of 100 bytes, then one of {@code bigBytes}. */
    private static byte[] storedArchive(int small, int bigBytes) throws Exception {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (ZipOutputStream zos = new ZipOutputStream(bos)) {
            for (int i = 0; i <= small; i++) {
                byte[] b = new byte[i < small ? 100 : bigBytes];
                Arrays.fill(b, (byte) i);
                java.util.zip.ZipEntry e = new java.util.zip.ZipEntry("e" + i);
                e.setMethod(java.util.zip.ZipEntry.STORED);
                e.setSize(b.length);
                e.setCrc(crc(b));
                zos.putNextEntry(e);
                zos.write(b);
                zos.closeEntry();
            }
        }
        return bos.toByteArray();
    }

    /** A source over {@code b} that counts its reads. */
    private static final class CountingSource implements ZipSource {
        final byte[] b;
        int reads;

        CountingSource(byte[] b) {
            this.b = b;
        }

        @Override
        public long size() {
            return b.length;
        }

        @Override
        public void read(long position, ByteBuffer dst) {
            reads++;
            dst.put(b, (int) position, dst.remaining());
        }
    }

    @Test
    void localHeadersOfSmallEntriesComeInSharedReads() throws Exception {
        // 2,000 entries of 100 bytes and one of 1 MiB: the small entries' local headers arrive a window at a time
        byte[] b = storedArchive(2000, 1 << 20);
        CountingSource src = new CountingSource(b);
        ZipArchive z = ZipArchive.read(src);
        assertThat(z.entries()).hasSize(2001);
        ZipEntry last = z.entries().get(2000);
        assertThat(last.size()).isEqualTo(1 << 20);
        assertThat(b[(int) last.dataOffset()]).isEqualTo((byte) 2000);
        for (int i = 0; i < 2000; i += 397) {
            ZipEntry e = z.entries().get(i);
            assertThat(e.name()).isEqualTo("e" + i);
            assertThat(b[(int) e.dataOffset()]).isEqualTo((byte) i);
            assertThat(b[(int) e.dataOffset() + 99]).isEqualTo((byte) i);
        }
        assertThat(src.reads).as("reads for 2,001 local headers").isLessThan(20);
        // the same result as the in-memory source
        assertThat(ZipArchive.read(MemorySegment.ofArray(b)).entries()).extracting(ZipEntry::dataOffset)
                .isEqualTo(z.entries().stream().map(ZipEntry::dataOffset).toList());
    }

    @Test
    void localHeaderInsideASharedReadIsStillChecked() throws Exception {
        byte[] b = storedArchive(50, 10);
        ZipArchive z = ZipArchive.read(new CountingSource(b));
        long lho = z.entries().get(10).localHeaderOffset();
        // the 11th local header lies inside the first window (read at the first header), not in the end's tail
        assertThat(lho).isGreaterThan(z.entries().get(0).localHeaderOffset())
                .isLessThan(ZipArchive.LOC_WINDOW_MIN - 200).isLessThan(b.length - 4096);
        byte[] bad = b.clone();
        bad[(int) lho] = 0x51; // its signature
        assertThatThrownBy(() -> ZipArchive.read(new CountingSource(bad)))
                .isInstanceOf(ZipFormatException.class)
                .hasMessageContaining("bad local file header signature at offset " + lho);
        byte[] renamed = b.clone();
        renamed[(int) lho + 30] = 'x'; // the local name differs from the central one
        assertThatThrownBy(() -> ZipArchive.read(new CountingSource(renamed)))
                .isInstanceOf(ZipFormatException.class)
                .hasMessageContaining("differs from the central directory name");
    }

    @Test
    void readsTheSameArchiveFromEveryKindOfSegment() throws Exception {
        byte[] b = storedArchive(40, 5000);
        java.util.List<Long> offsets = ZipArchive.read(MemorySegment.ofArray(b)).entries().stream()
                .map(ZipEntry::dataOffset).toList();
        byte[] padded = Arrays.copyOf(b, (b.length + 7) / 8 * 8);
        long[] words = new long[padded.length / 8];
        ByteBuffer.wrap(padded).order(ByteOrder.nativeOrder()).asLongBuffer().get(words);
        MemorySegment longs = MemorySegment.ofArray(words).asSlice(0, b.length); // not a byte[]: copied, not viewed
        MemorySegment readOnly = MemorySegment.ofArray(b).asReadOnly();
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment nativeCopy = arena.allocate(b.length).copyFrom(MemorySegment.ofArray(b));
            for (MemorySegment s : java.util.List.of(longs, readOnly, nativeCopy)) {
                assertThat(ZipArchive.read(s).entries()).extracting(ZipEntry::dataOffset).isEqualTo(offsets);
            }
        }
    }
}
