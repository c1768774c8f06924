package dev.weightmap.torch;

import dev.weightmap.internal.io.FileRegions;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * A minimal STORED zip writer in torch's layout: every record's data starts on a multiple of 64 thanks to a
 * padding extra field (id {@code 0x4246}, "FB") in the local header. Sizes are written in the local header (no
 * data descriptors); the CRC-32 is computed while streaming and patched into the local header. A ZIP64 end record
 * and locator are always written, as torch does; ZIP64 extra fields appear where sizes or offsets need them.
 *
 * <p>TODO(integration): fold into the shared {@code dev.weightmap.internal.zip} writer.
 */
final class ZipWriter {
    static final int ALIGNMENT = 64;
    private static final long MAX32 = 0xFFFFFFFFL;

    private record CdEntry(byte[] name, long offset, long size, int crc) {
    }

    private final FileChannel ch;
    private long pos;
    private final List<CdEntry> cd = new ArrayList<>();

    ZipWriter(FileChannel ch) throws IOException {
        this(ch, false);
    }

    /** {@code forceZip64}: write ZIP64 extra fields even for small records and offsets (tests). */
    ZipWriter(FileChannel ch, boolean forceZip64) throws IOException {
        this.ch = ch;
        this.pos = ch.position();
        this.forceZip64 = forceZip64;
    }

    private final boolean forceZip64;

    private void write(ByteBuffer b) throws IOException {
        b.flip();
        while (b.hasRemaining()) {
            pos += ch.write(b);
        }
    }

    /** Adds one stored record, its data 64-byte aligned in the file. */
    void add(String name, MemorySegment data) throws IOException {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        long size = data.byteSize();
        long offset = pos;
        boolean z64 = forceZip64 || size >= MAX32;
        int z64Len = z64 ? 20 : 0;
        long before = offset + 30 + n.length + z64Len + 4;
        int pad = (int) ((ALIGNMENT - before % ALIGNMENT) % ALIGNMENT);
        ByteBuffer h = ByteBuffer.allocate(30 + n.length + z64Len + 4 + pad).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(0x04034b50).putShort((short) (z64 ? 45 : 20)).putShort((short) 0x0800).putShort((short) 0)
                .putShort((short) 0).putShort((short) 0x21).putInt(0)
                .putInt((int) (z64 ? MAX32 : size)).putInt((int) (z64 ? MAX32 : size))
                .putShort((short) n.length).putShort((short) (z64Len + 4 + pad)).put(n);
        if (z64) {
            h.putShort((short) 1).putShort((short) 16).putLong(size).putLong(size);
        }
        h.putShort((short) 0x4246).putShort((short) pad);
        for (int i = 0; i < pad; i++) {
            h.put((byte) 'Z');
        }
        write(h);
        CRC32 crc = new CRC32();
        long p = 0;
        FileRegions.Source source = size >= FileRegions.MIN_TRANSFER ? FileRegions.open(data) : null;
        if (source != null) { // a slice of a file mapped by this library: CRC over the mapping, bytes moved by the kernel
            try (source) {
                while (p < size) {
                    long len = Math.min(size - p, 1L << 26);
                    crc.update(data.asSlice(p, len).asByteBuffer());
                    FileRegions.transferFully(source.channel(), source.offset() + p, len, ch);
                    pos += len;
                    p += len;
                }
            }
        }
        boolean direct = data.heapBase().isEmpty() || data.heapBase().get() instanceof byte[];
        byte[] copy = direct ? null : new byte[(int) Math.min(size, 1 << 20)];
        while (p < size) {
            long len = Math.min(size - p, direct ? 1L << 24 : copy.length);
            ByteBuffer bb;
            if (direct) {
                bb = data.asSlice(p, len).asByteBuffer();
            } else {
                MemorySegment.copy(data, p, MemorySegment.ofArray(copy), 0, len);
                bb = ByteBuffer.wrap(copy, 0, (int) len);
            }
            crc.update(bb.duplicate());
            while (bb.hasRemaining()) {
                pos += ch.write(bb);
            }
            p += len;
        }
        int c = (int) crc.getValue();
        ByteBuffer cb = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(c).flip();
        long at = offset + 14;
        while (cb.hasRemaining()) {
            at += ch.write(cb, at);
        }
        cd.add(new CdEntry(n, offset, size, c));
    }

    /** Writes the central directory, the ZIP64 end record and locator and the end record. */
    void finish() throws IOException {
        long cdStart = pos;
        for (CdEntry e : cd) {
            boolean bigSize = forceZip64 || e.size >= MAX32;
            boolean bigOff = forceZip64 || e.offset >= MAX32;
            int z64Len = (bigSize ? 16 : 0) + (bigOff ? 8 : 0);
            int extra = z64Len == 0 ? 0 : 4 + z64Len;
            ByteBuffer b = ByteBuffer.allocate(46 + e.name.length + extra).order(ByteOrder.LITTLE_ENDIAN);
            short ver = (short) (extra > 0 ? 45 : 20);
            b.putInt(0x02014b50).putShort(ver).putShort(ver).putShort((short) 0x0800).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0x21).putInt(e.crc)
                    .putInt((int) (bigSize ? MAX32 : e.size)).putInt((int) (bigSize ? MAX32 : e.size))
                    .putShort((short) e.name.length).putShort((short) extra).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0).putInt((int) (bigOff ? MAX32 : e.offset))
                    .put(e.name);
            if (extra > 0) {
                b.putShort((short) 1).putShort((short) z64Len);
                if (bigSize) {
                    b.putLong(e.size).putLong(e.size);
                }
                if (bigOff) {
                    b.putLong(e.offset);
                }
            }
            write(b);
        }
        long cdSize = pos - cdStart;
        long z64Start = pos;
        ByteBuffer end = ByteBuffer.allocate(56 + 20 + 22).order(ByteOrder.LITTLE_ENDIAN);
        end.putInt(0x06064b50).putLong(44).putShort((short) 45).putShort((short) 45).putInt(0).putInt(0)
                .putLong(cd.size()).putLong(cd.size()).putLong(cdSize).putLong(cdStart);
        end.putInt(0x07064b50).putInt(0).putLong(z64Start).putInt(1);
        int n16 = Math.min(cd.size(), 0xFFFF);
        end.putInt(0x06054b50).putShort((short) 0).putShort((short) 0).putShort((short) n16).putShort((short) n16)
                .putInt((int) Math.min(cdSize, MAX32)).putInt((int) Math.min(cdStart, MAX32)).putShort((short) 0);
        write(end);
    }
}
