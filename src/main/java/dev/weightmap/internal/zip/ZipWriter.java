// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import dev.weightmap.internal.io.FileRegions;
import dev.weightmap.internal.io.FileStreamer;
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
 * Writes a STORED ZIP archive sequentially to a {@link FileChannel} (positional writes patch each local header
 * once its data is written, so no data descriptors are needed).
 *
 * <p>Every local header carries a ZIP64 extra field (id 0x0001: uncompressed and compressed size), as Python's
 * {@code zipfile} writes with {@code force_zip64=True}, followed, when needed, by an alignment extra field
 * (id 0xD935, Android zipalign's: a u16 alignment then zero bytes) so that every entry's data starts on an
 * {@code alignment}-byte boundary. Timestamps are fixed at 1980-01-01 00:00:00; the CRC-32 is computed while
 * the data streams. The central directory carries a ZIP64 extra only for values that do not fit 32 bits; a ZIP64
 * end record and locator are written when there are more than 65,534 entries or the central directory starts or
 * ends beyond 4 GiB.
 *
 * <p>{@link #torch} makes a writer with the layout {@code torch.save} uses instead (see there).
 *
 * <p>Not thread-safe. Entries are written one at a time: {@link #beginEntry}, writes to the returned channel,
 * {@link #endEntry} (or {@link #add} for a whole segment); then {@link #finish}.
 */
public final class ZipWriter {
    /** Extra field id of the alignment padding (Android zipalign). */
    public static final int ALIGNMENT_EXTRA_ID = 0xD935;
    /** Extra field id of torch's alignment padding ("FB"), whose body is {@code 'Z'} bytes. */
    public static final int TORCH_PADDING_EXTRA_ID = 0x4246;
    /** DOS date of 1980-01-01. */
    public static final int DOS_DATE_1980 = 0x0021;
    private static final int ZIP64_EXTRA_LEN = 20;
    private static final int VERSION_DEFAULT = 20;
    private static final int VERSION_ZIP64 = 45;
    private static final int VERSION_MADE_BY = 0x0300 | VERSION_ZIP64; // Unix, 4.5
    private static final long EXTERNAL_ATTRS = 0100644L << 16;          // regular file, rw-r--r--

    private final FileChannel out;
    private final int alignment;
    private final int paddingExtraId;
    private final boolean torch;
    private final boolean forceZip64;
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
     * @param alignment power of two between 1 and 32768: every entry's data offset is a multiple of it
     */
    public ZipWriter(FileChannel out, int alignment) throws IOException {
        this(out, alignment, ALIGNMENT_EXTRA_ID);
    }

    /**
     * A writer whose padding extra field has id {@code paddingExtraId}: {@link #ALIGNMENT_EXTRA_ID} (a u16
     * alignment then zeros) or any other id, whose body is all zeros. (For the exact layout torch writes, with
     * {@code 'Z'} bytes in its 0x4246 "FB" padding, see {@link #torch}.)
     */
    public ZipWriter(FileChannel out, int alignment, int paddingExtraId) throws IOException {
        this(out, alignment, paddingExtraId, false, false);
    }

    /**
     * A writer in the layout of {@code torch.save} (PyTorch's {@code PyTorchStreamWriter}), byte for byte what
     * {@code dev.weightmap.torch} has always written. It differs from the default layout in the headers only:
     * <ul>
     * <li>local headers hold the sizes (version 2.0 needed, flag bit 11 set on every entry); a ZIP64 extra field
     * (id 0x0001) with both sizes is present only for entries of 4 GiB or more, and then the version is 4.5;</li>
     * <li>every local header ends with a padding extra field id {@link #TORCH_PADDING_EXTRA_ID} ("FB") whose body
     * is {@code 'Z'} bytes, present even when the padding is empty;</li>
     * <li>central records are "made by" MS-DOS with the version they need (2.0, or 4.5 with a ZIP64 extra) and
     * zero external attributes;</li>
     * <li>the ZIP64 end record and locator are always written.</li>
     * </ul>
     * Entries must be written with {@link #add}, which knows the size before it writes the local header.
     *
     * @param alignment  power of two between 1 and 32768: every entry's data offset is a multiple of it
     * @param forceZip64 write ZIP64 extra fields in every local and central header, as if every size and offset
     *                   were beyond 4 GiB (tests of that path without writing 4 GiB)
     */
    public static ZipWriter torch(FileChannel out, int alignment, boolean forceZip64) throws IOException {
        return new ZipWriter(out, alignment, TORCH_PADDING_EXTRA_ID, true, forceZip64);
    }

    private ZipWriter(FileChannel out, int alignment, int paddingExtraId, boolean torch, boolean forceZip64)
            throws IOException {
        if (alignment < 1 || alignment > 32768 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two in [1, 32768]: " + alignment);
        }
        if (paddingExtraId < 0 || paddingExtraId > 0xFFFF || paddingExtraId == ZipArchive.ZIP64_EXTRA_ID) {
            throw new IllegalArgumentException("invalid padding extra id: " + paddingExtraId);
        }
        this.out = out;
        this.alignment = alignment;
        this.paddingExtraId = paddingExtraId;
        this.torch = torch;
        this.forceZip64 = forceZip64;
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
        if (torch) {
            throw new IllegalStateException("a torch-layout writer needs each entry's size up front: use add");
        }
        return begin(name, -1);
    }

    /**
     * Writes a whole entry: its local header, {@code data} (as {@link #write(MemorySegment)} does) and the CRC-32
     * patch of {@link #endEntry}.
     */
    public Written add(String name, MemorySegment data) throws IOException {
        begin(name, data.byteSize());
        write(data);
        return endEntry();
    }

    /** Starts an entry; {@code size} is its final size when known (-1 otherwise, not in the torch layout). */
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
        if (torch) {
            current = beginTorchEntry(name, raw, utf8, lho, size);
            return current;
        }
        long base = lho + ZipArchive.LOC_LEN + raw.length + ZIP64_EXTRA_LEN;
        int pad = (int) (-base & (alignment - 1));
        if (pad != 0 && pad < 6) {
            pad += alignment;
            while (pad < 6) {
                pad += alignment;
            }
        }
        int extraLen = ZIP64_EXTRA_LEN + pad;
        ByteBuffer b = small.clear();
        b.putInt(ZipArchive.LOC_SIG).putShort((short) VERSION_ZIP64).putShort((short) (utf8 ? ZipEntry.FLAG_UTF8 : 0))
                .putShort((short) ZipEntry.STORED).putShort((short) 0).putShort((short) DOS_DATE_1980)
                .putInt(0).putInt(-1).putInt(-1).putShort((short) raw.length).putShort((short) extraLen);
        writeFully(b.flip());
        writeFully(ByteBuffer.wrap(raw));
        b = small.clear();
        b.putShort((short) ZipArchive.ZIP64_EXTRA_ID).putShort((short) 16).putLong(0).putLong(0);
        if (pad > 0) {
            b.putShort((short) paddingExtraId).putShort((short) (pad - 4));
            int i = 4;
            if (paddingExtraId == ALIGNMENT_EXTRA_ID) {
                b.putShort((short) alignment);
                i = 6;
            }
            for (; i < pad; i++) {
                b.put((byte) 0);
            }
        }
        writeFully(b.flip());
        current = new EntryChannel(name, raw, utf8, lho, position, -1);
        return current;
    }

    /** The local header of the torch layout (see {@link #torch}); the CRC-32 is patched by {@link #endEntry}. */
    private EntryChannel beginTorchEntry(String name, byte[] raw, boolean utf8, long lho, long size) throws IOException {
        boolean z64 = forceZip64 || size >= ZipArchive.U32;
        int z64Len = z64 ? ZIP64_EXTRA_LEN : 0;
        long base = lho + ZipArchive.LOC_LEN + raw.length + z64Len + 4;
        int pad = (int) (-base & (alignment - 1));
        ByteBuffer b = small.clear();
        b.putInt(ZipArchive.LOC_SIG).putShort((short) (z64 ? VERSION_ZIP64 : VERSION_DEFAULT))
                .putShort((short) ZipEntry.FLAG_UTF8).putShort((short) ZipEntry.STORED).putShort((short) 0)
                .putShort((short) DOS_DATE_1980).putInt(0)
                .putInt(z64 ? -1 : (int) size).putInt(z64 ? -1 : (int) size)
                .putShort((short) raw.length).putShort((short) (z64Len + 4 + pad));
        writeFully(b.flip());
        writeFully(ByteBuffer.wrap(raw));
        b = small.clear();
        if (z64) {
            b.putShort((short) ZipArchive.ZIP64_EXTRA_ID).putShort((short) 16).putLong(size).putLong(size);
        }
        b.putShort((short) paddingExtraId).putShort((short) pad);
        for (int i = 0; i < pad; i++) {
            b.put((byte) 'Z');
        }
        writeFully(b.flip());
        return new EntryChannel(name, raw, utf8, lho, position, size);
    }

    /**
     * Copies {@code length} bytes of {@code src} from {@code offset} into the current entry (CRC computed over
     * positional reads, bytes moved by the kernel).
     *
     * @throws dev.weightmap.WeightmapException {@code FILE_CHANGED} when {@code src} ends early
     */
    public void transferFrom(FileChannel src, long offset, long length) throws IOException {
        copyFromFile(src, offset, length);
    }

    /**
     * The current entry gets {@code length} bytes of {@code src} from {@code offset}, in 64 MiB pieces: the CRC-32
     * over positional reads of each piece (never over a mapping, which would crash the JVM if the source were
     * truncated meanwhile), the bytes moved by the kernel.
     */
    private void copyFromFile(FileChannel src, long offset, long length) throws IOException {
        EntryChannel e = requireEntry();
        final long chunk = 64L << 20;
        String what = "the source of entry '" + e.name + "'";
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.max(1, Math.min(length, FileStreamer.CHUNK)), 64);
            for (long done = 0; done < length; done += chunk) {
                long n = Math.min(chunk, length - done);
                FileStreamer.stream(src, what, offset + done, n, buf, c -> e.crc.update(c.asByteBuffer()));
                FileRegions.transferFully(src, offset + done, n, out, "entry '" + e.name + "'");
                position += n;
                e.count += n;
                if (progress != null) {
                    progress.accept(position);
                }
            }
        }
    }

    /** Writes a whole segment into the current entry. */
    public void write(MemorySegment data) throws IOException {
        EntryChannel e = requireEntry();
        if (data.byteSize() >= FileRegions.MIN_TRANSFER) {
            FileRegions.Source s = FileRegions.open(data);
            if (s != null) { // a slice of a file mapped by this library: CRC over the mapping, bytes moved by the kernel
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
        if (torch) { // the sizes are already in the local header
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
            boolean bigSize = forceZip64 || w.size >= ZipArchive.U32;
            boolean bigOff = forceZip64 || w.localHeaderOffset >= ZipArchive.U32;
            int extraLen = (bigSize || bigOff) ? 4 + (bigSize ? 16 : 0) + (bigOff ? 8 : 0) : 0;
            int need = ZipArchive.CEN_LEN + w.rawName.length + extraLen;
            if (b.remaining() < need) {
                writeFully(b.flip());
                b.clear();
                if (b.capacity() < need) {
                    b = ByteBuffer.allocate(need).order(ByteOrder.LITTLE_ENDIAN);
                }
            }
            // torch: made by MS-DOS (0) with the version needed, UTF-8 flag always, no attributes
            int needed = !torch || extraLen > 0 ? VERSION_ZIP64 : VERSION_DEFAULT;
            b.putInt(ZipArchive.CEN_SIG).putShort((short) (torch ? needed : VERSION_MADE_BY)).putShort((short) needed)
                    .putShort((short) (torch || w.utf8 ? ZipEntry.FLAG_UTF8 : 0)).putShort((short) ZipEntry.STORED)
                    .putShort((short) 0).putShort((short) DOS_DATE_1980).putInt((int) w.crc32)
                    .putInt(bigSize ? -1 : (int) w.size).putInt(bigSize ? -1 : (int) w.size)
                    .putShort((short) w.rawName.length).putShort((short) extraLen).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(torch ? 0 : (int) EXTERNAL_ATTRS)
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
        boolean zip64 = torch || count >= ZipArchive.U16 || cdOffset >= ZipArchive.U32 || cdSize >= ZipArchive.U32;
        b = ByteBuffer.allocate(ZipArchive.ZIP64_END_LEN + ZipArchive.ZIP64_LOC_LEN + ZipArchive.END_LEN)
                .order(ByteOrder.LITTLE_ENDIAN);
        if (zip64) {
            long z64Off = position;
            b.putInt(ZipArchive.ZIP64_END_SIG).putLong(ZipArchive.ZIP64_END_LEN - 12)
                    .putShort((short) (torch ? VERSION_ZIP64 : VERSION_MADE_BY)).putShort((short) VERSION_ZIP64)
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
