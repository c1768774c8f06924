// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.io.MappedRegion;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/**
 * Writes a STORED ZIP archive sequentially to a {@link FileChannel} in a {@link ZipLayout} (positional writes
 * patch each local header once its data is written, so no data descriptors are needed). The layout decides the
 * headers: where the local sizes are, the padding extra field that aligns every entry's data, "made by", flags,
 * attributes and when ZIP64 fields and end records appear. Timestamps are fixed at 1980-01-01 00:00:00; the
 * CRC-32 is computed while the data streams.
 *
 * <p>Not thread-safe. Entries are written one at a time: {@link #beginEntry}, writes to the returned channel,
 * {@link #endEntry} (or {@link #add} for a whole segment); then {@link #finish}.
 */
public final class ZipWriter {
    /** DOS date of 1980-01-01. */
    public static final int DOS_DATE_1980 = 0x0021;
    private static final int ZIP64_EXTRA_LEN = 20;
    private static final int VERSION_DEFAULT = 20;
    private static final int VERSION_ZIP64 = 45;
    /** Padding extra fields that are omitted when empty are at least this long (id, length, and a u16). */
    private static final int MIN_OPTIONAL_PADDING = 6;

    private final FileChannel out;
    private final ZipLayout layout;
    private final int alignment;
    private final boolean deferred;
    private final boolean zip64Everywhere;
    private final List<Written> written = new ArrayList<>();
    private final ByteBuffer small = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    private EntryChannel current;
    private java.util.function.LongConsumer progress;
    private long position;
    private boolean finished;

    /** What was written for one entry. */
    public record Written(String name, long localHeaderOffset, long dataOffset, long size, long crc32, boolean utf8,
                          byte[] rawName) {
    }

    /**
     * A writer appending at the channel's current position.
     *
     * @param out    the archive
     * @param layout how the headers are laid out
     * @throws IOException when the channel's position cannot be read
     */
    public ZipWriter(FileChannel out, ZipLayout layout) throws IOException {
        this.out = out;
        this.layout = layout;
        this.alignment = layout.alignment();
        this.deferred = layout.localSizes() == ZipLayout.LocalSizes.DEFERRED;
        this.zip64Everywhere = layout.zip64() == ZipLayout.Zip64.EVERYWHERE;
        this.position = out.position();
    }

    /** Reports the absolute write position after every data chunk (null: none). */
    public void setProgress(java.util.function.LongConsumer progress) {
        this.progress = progress;
    }

    /** Entries written so far (complete ones). */
    public List<Written> entries() {
        return List.copyOf(written);
    }

    /** The current write position (absolute). */
    public long position() {
        return position;
    }

    /**
     * Writes the local header of a new entry and returns the channel its data goes to. The channel computes the
     * CRC-32 and counts bytes; it must not be closed by the caller (call {@link #endEntry}).
     */
    public WritableByteChannel beginEntry(String name) throws IOException {
        if (!deferred) {
            throw new IllegalStateException("a layout with local sizes up front needs each entry's size: use add");
        }
        return begin(name, -1);
    }

    /**
     * Writes a whole entry: its local header, {@code data} (as {@link #write(MemorySegment)} does) and the CRC-32
     * patch of {@link #endEntry}.
     */
    public Written add(String name, MemorySegment data) throws IOException {
        return add(name, data, null);
    }

    /**
     * {@link #add(String, MemorySegment)} of a slice of a mapped file whose region is known (see
     * {@link #write(MemorySegment, MappedRegion)}).
     *
     * @param name   the entry name
     * @param data   the entry's bytes
     * @param region the region of the mapping {@code data} is a slice of, or null
     * @return the entry as written
     * @throws IOException when writing fails
     */
    public Written add(String name, MemorySegment data, MappedRegion region) throws IOException {
        begin(name, data.byteSize());
        write(data, region);
        return endEntry();
    }

    /** Starts an entry; {@code size} is its final size when known (-1 otherwise, only with deferred local sizes). */
    private EntryChannel begin(String name, long size) throws IOException {
        if (finished) {
            throw new IllegalStateException("archive already finished");
        }
        if (current != null) {
            throw new IllegalStateException("entry '" + current.name + "' not ended");
        }
        byte[] raw = name.getBytes(StandardCharsets.UTF_8);
        if (raw.length > 0xFFFF) {
            throw new IllegalArgumentException("entry name longer than 65,535 bytes: " + name.substring(0, 64) + "...");
        }
        boolean utf8 = !isAscii(raw);
        long lho = position;
        boolean z64 = deferred || zip64Everywhere || size >= ZipArchive.U32;
        int z64Len = z64 ? ZIP64_EXTRA_LEN : 0;
        boolean always = layout.padding() == ZipLayout.Padding.ALWAYS_Z;
        long base = lho + ZipArchive.LOC_LEN + raw.length + z64Len + (always ? 4 : 0);
        int pad = (int) (-base & (alignment - 1));
        if (!always && pad != 0) {
            while (pad < MIN_OPTIONAL_PADDING) {
                pad += alignment;
            }
        }
        int padLen = always ? 4 + pad : pad;
        ByteBuffer b = small.clear();
        b.putInt(ZipArchive.LOC_SIG).putShort((short) (z64 ? VERSION_ZIP64 : VERSION_DEFAULT))
                .putShort((short) (layout.utf8FlagAlways() || utf8 ? ZipEntry.FLAG_UTF8 : 0))
                .putShort((short) ZipEntry.STORED).putShort((short) 0).putShort((short) DOS_DATE_1980).putInt(0)
                .putInt(z64 ? -1 : (int) size).putInt(z64 ? -1 : (int) size)
                .putShort((short) raw.length).putShort((short) (z64Len + padLen));
        writeFully(b.flip());
        writeFully(ByteBuffer.wrap(raw));
        b = small.clear();
        if (z64) { // deferred sizes are patched by endEntry
            long known = deferred ? 0 : size;
            b.putShort((short) ZipArchive.ZIP64_EXTRA_ID).putShort((short) 16).putLong(known).putLong(known);
        }
        if (always) {
            b.putShort((short) layout.paddingExtraId()).putShort((short) pad);
            for (int i = 0; i < pad; i++) {
                b.put((byte) 'Z');
            }
        } else if (pad > 0) {
            b.putShort((short) layout.paddingExtraId()).putShort((short) (pad - 4));
            int i = 4;
            if (layout.padding() == ZipLayout.Padding.ZIPALIGN) {
                b.putShort((short) alignment);
                i = 6;
            }
            for (; i < pad; i++) {
                b.put((byte) 0);
            }
        }
        writeFully(b.flip());
        current = new EntryChannel(name, raw, utf8, lho, position, size);
        return current;
    }

    /**
     * Copies {@code length} bytes of {@code src} from {@code offset} into the current entry (read once by
     * positional reads, the CRC computed while the bytes go through).
     *
     * @throws dev.weightmap.WeightmapException {@code FILE_CHANGED} when {@code src} ends early
     */
    public void transferFrom(FileChannel src, long offset, long length) throws IOException {
        copyFromFile(src, offset, length);
    }

    /**
     * The current entry gets {@code length} bytes of {@code src} from {@code offset} in one pass: each chunk is
     * read once by a positional read into a private buffer (never through a mapping, which would crash the JVM if
     * the source were truncated meanwhile), its CRC-32 computed there, and written from there. Progress is
     * reported every 64 MiB.
     */
    private void copyFromFile(FileChannel src, long offset, long length) throws IOException {
        EntryChannel e = requireEntry();
        final long piece = 64L << 20;
        String what = "the source of entry '" + e.name + "'";
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, Math.min(length, FileStreamer.CHUNK)), 64);
            for (long done = 0; done < length; done += piece) {
                long n = Math.min(piece, length - done);
                FileStreamer.stream(src, what, offset + done, n, buf, c -> {
                    ByteBuffer bytes = c.asByteBuffer();
                    e.crc.update(bytes.duplicate());
                    writeFully(bytes);
                });
                e.count += n;
                if (progress != null) {
                    progress.accept(position);
                }
            }
        }
    }

    /** Writes a whole segment into the current entry (a mapped one is read through its mapping). */
    public void write(MemorySegment data) throws IOException {
        write(data, null);
    }

    /**
     * Writes a whole segment into the current entry; a large slice of a mapped file whose region is given is read
     * once from that file (CRC on the way) while the file is the one mapped.
     *
     * @param data   the bytes
     * @param region the region of the mapping {@code data} is a slice of, or null
     * @throws IOException when reading or writing fails
     */
    public void write(MemorySegment data, MappedRegion region) throws IOException {
        EntryChannel e = requireEntry();
        if (region != null && data.byteSize() >= MappedRegion.MIN_TRANSFER) {
            MappedRegion.Source s = region.open(data);
            if (s != null) { // a slice of a file mapped by this library: read once from its file, CRC on the way
                try (s) {
                    copyFromFile(s.channel(), s.offset(), data.byteSize());
                }
                return;
            }
        }
        boolean viewable = data.isNative() || data.heapBase().map(b -> b instanceof byte[]).orElse(false);
        if (!viewable) {
            // heap segments over long[], float[]...: asByteBuffer is unsupported, copy through a small buffer
            byte[] buf = new byte[(int) Math.min(data.byteSize(), 1 << 16)];
            MemorySegment bseg = MemorySegment.ofArray(buf);
            for (long off = 0; off < data.byteSize(); off += buf.length) {
                int n = (int) Math.min(buf.length, data.byteSize() - off);
                MemorySegment.copy(data, off, bseg, 0, n);
                e.write(ByteBuffer.wrap(buf, 0, n));
            }
            return;
        }
        final long chunk = 1L << 30;
        for (long off = 0; off < data.byteSize(); off += chunk) {
            long n = Math.min(chunk, data.byteSize() - off);
            e.write(data.asSlice(off, n).asByteBuffer());
        }
    }

    /** The channel of the current entry (what {@link #beginEntry} returned). */
    public WritableByteChannel currentChannel() {
        return requireEntry();
    }

    private EntryChannel requireEntry() {
        if (current == null) {
            throw new IllegalStateException("no entry begun");
        }
        return current;
    }

    /** Ends the current entry: patches its CRC-32 and ZIP64 sizes into the local header. */
    public Written endEntry() throws IOException {
        EntryChannel e = requireEntry();
        current = null;
        e.open = false;
        long crc = e.crc.getValue();
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc).flip();
        writeAt(b, e.lho + 14);
        if (!deferred) { // the sizes are already in the local header
            if (e.count != e.declaredSize) {
                throw new IllegalStateException("entry '" + e.name + "': " + e.count + " bytes written, "
                        + e.declaredSize + " announced in its local header");
            }
            Written w = new Written(e.name, e.lho, e.dataOffset, e.count, crc, e.utf8, e.raw);
            written.add(w);
            return w;
        }
        b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(e.count).putLong(e.count).flip();
        writeAt(b, e.lho + ZipArchive.LOC_LEN + e.raw.length + 4);
        Written w = new Written(e.name, e.lho, e.dataOffset, e.count, crc, e.utf8, e.raw);
        written.add(w);
        return w;
    }

    /** Writes the central directory and end records. The channel is left open. */
    public void finish() throws IOException {
        if (current != null) {
            throw new IllegalStateException("entry '" + current.name + "' not ended");
        }
        if (finished) {
            return;
        }
        finished = true;
        long cdOffset = position;
        ByteBuffer b = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        for (Written w : written) {
            boolean bigSize = zip64Everywhere || w.size >= ZipArchive.U32;
            boolean bigOff = zip64Everywhere || w.localHeaderOffset >= ZipArchive.U32;
            int extraLen = (bigSize || bigOff) ? 4 + (bigSize ? 16 : 0) + (bigOff ? 8 : 0) : 0;
            int need = ZipArchive.CEN_LEN + w.rawName.length + extraLen;
            if (b.remaining() < need) {
                writeFully(b.flip());
                b.clear();
                if (b.capacity() < need) {
                    b = ByteBuffer.allocate(need).order(ByteOrder.LITTLE_ENDIAN);
                }
            }
            // every local header has a ZIP64 extra when sizes are deferred
            int needed = deferred || extraLen > 0 ? VERSION_ZIP64 : VERSION_DEFAULT;
            b.putInt(ZipArchive.CEN_SIG).putShort((short) madeBy(needed)).putShort((short) needed)
                    .putShort((short) (layout.utf8FlagAlways() || w.utf8 ? ZipEntry.FLAG_UTF8 : 0))
                    .putShort((short) ZipEntry.STORED)
                    .putShort((short) 0).putShort((short) DOS_DATE_1980).putInt((int) w.crc32)
                    .putInt(bigSize ? -1 : (int) w.size).putInt(bigSize ? -1 : (int) w.size)
                    .putShort((short) w.rawName.length).putShort((short) extraLen).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt((int) layout.externalAttributes())
                    .putInt(bigOff ? -1 : (int) w.localHeaderOffset).put(w.rawName);
            if (extraLen > 0) {
                b.putShort((short) ZipArchive.ZIP64_EXTRA_ID).putShort((short) (extraLen - 4));
                if (bigSize) {
                    b.putLong(w.size).putLong(w.size);
                }
                if (bigOff) {
                    b.putLong(w.localHeaderOffset);
                }
            }
        }
        writeFully(b.flip());
        long cdSize = position - cdOffset;
        long count = written.size();
        boolean zip64 = layout.zip64() != ZipLayout.Zip64.AS_NEEDED || count >= ZipArchive.U16 || cdOffset >= ZipArchive.U32 || cdSize >= ZipArchive.U32;
        b = ByteBuffer.allocate(ZipArchive.ZIP64_END_LEN + ZipArchive.ZIP64_LOC_LEN + ZipArchive.END_LEN)
                .order(ByteOrder.LITTLE_ENDIAN);
        if (zip64) {
            long z64Off = position;
            b.putInt(ZipArchive.ZIP64_END_SIG).putLong(ZipArchive.ZIP64_END_LEN - 12)
                    .putShort((short) madeBy(VERSION_ZIP64)).putShort((short) VERSION_ZIP64)
                    .putInt(0).putInt(0)
                    .putLong(count).putLong(count).putLong(cdSize).putLong(cdOffset);
            b.putInt(ZipArchive.ZIP64_LOC_SIG).putInt(0).putLong(z64Off).putInt(1);
        }
        int c16 = count >= ZipArchive.U16 ? -1 : (int) count;
        b.putInt(ZipArchive.END_SIG).putShort((short) 0).putShort((short) 0).putShort((short) c16)
                .putShort((short) c16).putInt(cdSize >= ZipArchive.U32 ? -1 : (int) cdSize)
                .putInt(cdOffset >= ZipArchive.U32 ? -1 : (int) cdOffset).putShort((short) 0);
        writeFully(b.flip());
    }

    private int madeBy(int version) {
        return layout.madeByHost() << 8 | version;
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            position += out.write(b);
        }
    }

    private void writeAt(ByteBuffer b, long at) throws IOException {
        while (b.hasRemaining()) {
            at += out.write(b, at);
        }
    }

    /** CRC over a buffer's remaining bytes; heap buffers over non-byte arrays (segments of float[] ...) are copied in chunks. */
    static void updateCrc(CRC32 crc, ByteBuffer src) {
        if (src.isDirect()) { // a mapping is read chunk by chunk into a private buffer: see FileStreamer
            FileStreamer.readSegment(MemorySegment.ofBuffer(src.duplicate()), c -> crc.update(c.asByteBuffer()));
            return;
        }
        if (!src.hasArray() || isByteArrayBacked(src)) {
            crc.update(src.duplicate());
            return;
        }
        ByteBuffer d = src.duplicate();
        byte[] chunk = new byte[(int) Math.min(d.remaining(), 1 << 16)];
        while (d.hasRemaining()) {
            int k = Math.min(chunk.length, d.remaining());
            d.get(chunk, 0, k);
            crc.update(chunk, 0, k);
        }
    }

    private static boolean isByteArrayBacked(ByteBuffer b) {
        try {
            return b.array() != null;
        } catch (UnsupportedOperationException e) {
            return false;
        }
    }

    private static boolean isAscii(byte[] raw) {
        for (byte x : raw) {
            if (x < 0) {
                return false;
            }
        }
        return true;
    }

    private final class EntryChannel implements WritableByteChannel {
        final String name;
        final byte[] raw;
        final boolean utf8;
        final long lho;
        final long dataOffset;
        final long declaredSize;
        final CRC32 crc = new CRC32();
        long count;
        boolean open = true;

        EntryChannel(String name, byte[] raw, boolean utf8, long lho, long dataOffset, long declaredSize) {
            this.name = name;
            this.raw = raw;
            this.utf8 = utf8;
            this.lho = lho;
            this.dataOffset = dataOffset;
            this.declaredSize = declaredSize;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) {
                throw new java.nio.channels.ClosedChannelException();
            }
            int n = src.remaining();
            MemorySegment view = src.isDirect() ? MemorySegment.ofBuffer(src) : null;
            if (view != null && FileStreamer.isMapped(view)) {
                // from a mapping: CRC and write each chunk of a private copy, so a truncated source fails typed
                try {
                    FileStreamer.readSegment(view, c -> {
                        crc.update(c.asByteBuffer());
                        try {
                            writeFully(c.asByteBuffer());
                        } catch (IOException x) {
                            throw new java.io.UncheckedIOException(x);
                        }
                    });
                } catch (java.io.UncheckedIOException x) {
                    throw x.getCause();
                }
                src.position(src.limit());
            } else {
                updateCrc(crc, src);
                writeFully(src);
            }
            count += n;
            if (progress != null) {
                progress.accept(position);
            }
            return n;
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            // ending the entry is the writer's job
        }
    }
}
