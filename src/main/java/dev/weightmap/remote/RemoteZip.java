// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.Weights;
import dev.weightmap.dduf.DdufCorruptedFileException;
import dev.weightmap.dduf.DdufDirectory;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipSource;
import dev.weightmap.safetensors.SafetensorsException;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.SafetensorsHeader;
import dev.weightmap.safetensors.TensorInfo;
import dev.weightmap.torch.TorchZipLayout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link ZipSource} of a ZIP archive (a DDUF archive, a torch zip checkpoint) over HTTP range requests: the
 * structure is read with as few requests as the format allows. The speculative prefix the opener already
 * fetched serves every read inside it (a small archive costs that one request); the end records are looked for in
 * one request for the last 64 KiB, which usually holds the central directory too; every other read (local
 * headers) fetches at least 64 KiB, so neighbouring headers come in one request.
 *
 * <p>A DDUF archive opens as {@link RemoteWeights} of format {@code dduf}: its directory is checked by
 * {@link DdufDirectory} (every rule of {@link DdufFile#open}), then the header of each {@code .safetensors}
 * entry is fetched (one request each, unless already fetched); tensors are named {@code entry::tensor} and
 * {@link Weights#metadata()} is {@code model_index.json}. A torch zip checkpoint opens as {@link RemoteWeights} of
 * format {@code torch} (see {@link #torch}).
 */
final class RemoteZip implements ZipSource {
    /** The first tail read and the read-ahead of every other read. */
    static final int WINDOW = 64 << 10;

    private final RangeSource source;
    private final byte[] prefix;
    private byte[] window = new byte[0];
    private long windowStart;

    RemoteZip(RangeSource source, byte[] prefix) {
        this.source = source;
        this.prefix = prefix;
    }

    /**
     * Reads the structure of the remote archive.
     *
     * @param source the archive
     * @param prefix its first bytes, already fetched
     * @return the structure
     * @throws dev.weightmap.internal.zip.ZipFormatException when it is not a readable ZIP archive
     * @throws RemoteException                               when a request fails
     */
    static ZipArchive structure(RangeSource source, byte[] prefix) {
        try {
            return ZipArchive.read(new RemoteZip(source, prefix));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // range sources report failures as RemoteException
        }
    }

    /** The reference limit on a safetensors header length. */
    private static final long MAX_HEADER = 100_000_000L;

    /**
     * Opens a remote DDUF archive.
     *
     * @param source  the archive
     * @param prefix  its first bytes, already fetched
     * @param options the options (tensor fetches)
     * @return the reader
     * @throws DdufCorruptedFileException when it is not a valid DDUF archive or an entry header is invalid
     * @throws RemoteException            when a request fails
     */
    static RemoteWeights dduf(HttpRangeSource source, byte[] prefix, RemoteOptions options) {
        RemoteZip zip = new RemoteZip(source, prefix);
        String name = source.displayName();
        DdufDirectory d;
        try {
            d = DdufDirectory.read(zip.channel(), name, false);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // range sources report failures as RemoteException
        }
        List<RemoteWeights.Entry> out = new ArrayList<>();
        for (DdufDirectory.Entry e : d.entries()) {
            if (!e.name().endsWith(".safetensors")) {
                continue;
            }
            SafetensorsHeader h = zip.header(e, name);
            for (TensorInfo t : h.infos()) {
                out.add(new RemoteWeights.Entry(e.name() + DdufFile.SEPARATOR + t.name(), t.dtype(), t.shape(), source,
                        e.offset() + h.dataStart() + t.begin(), t.length(), Map.of()));
            }
        }
        return new RemoteWeights(Weights.DDUF, name, out, d.modelIndex(), List.of(source), List.of(), options, d);
    }

    /**
     * Opens a remote torch zip checkpoint: the structure and {@code data.pkl} are read through the cache
     * ({@link TorchZipLayout}, the local open's rules and restricted unpickler); each tensor is one byte range of
     * its storage record. A tensor whose view is not contiguous in its storage is listed (with its locations
     * extras) but refused when fetched.
     *
     * @param source  the checkpoint
     * @param prefix  its first bytes, already fetched
     * @param options the options (tensor fetches)
     * @return the reader
     * @throws dev.weightmap.torch.TorchCheckpointException when it is not a valid, supported torch checkpoint
     * @throws RemoteException                              when a request fails
     */
    static RemoteWeights torch(HttpRangeSource source, byte[] prefix, RemoteOptions options) {
        RemoteZip zip = new RemoteZip(source, prefix);
        String name = source.displayName();
        TorchZipLayout.Layout layout;
        try {
            layout = TorchZipLayout.read(zip.channel(), WINDOW, name);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // range sources report failures as RemoteException
        }
        List<RemoteWeights.Entry> out = new ArrayList<>(layout.tensors().size());
        for (TorchZipLayout.Located t : layout.tensors()) {
            out.add(new RemoteWeights.Entry(t.name(), t.dtype(), t.shape(), source, t.offset(), t.length(),
                    t.extras()));
        }
        return new RemoteWeights(Weights.TORCH, name, out, layout.metadata(), List.of(source), List.of(), options,
                layout);
    }

    /** The safetensors header of entry {@code e}: its 8-byte length, then the header, through the cache. */
    private SafetensorsHeader header(DdufDirectory.Entry e, String archive) {
        String where = archive + "::" + e.name();
        try {
            if (e.length() < 8) {
                return SafetensorsFile.parseHeader(MemorySegment.ofArray(bytes(e.offset(), (int) e.length())),
                        e.length(), where, MAX_HEADER);
            }
            long n = ByteBuffer.wrap(bytes(e.offset(), 8)).order(ByteOrder.LITTLE_ENDIAN).getLong();
            int keep = n >= 0 && n <= MAX_HEADER && n <= e.length() - 8 ? (int) (8 + n) : 8;
            // an invalid length is reported by the parser before anything more is fetched
            return SafetensorsFile.parseHeader(MemorySegment.ofArray(bytes(e.offset(), keep)), e.length(), where,
                    MAX_HEADER);
        } catch (SafetensorsException x) {
            throw new DdufCorruptedFileException(archive + ": entry '" + e.name() + "': invalid safetensors: "
                    + x.getMessage(), x);
        }
    }

    private byte[] bytes(long position, int n) {
        byte[] b = new byte[n];
        read(position, ByteBuffer.wrap(b));
        return b;
    }

    /** The archive as a read-only channel over the same cached reads. */
    SeekableByteChannel channel() {
        return new SeekableByteChannel() {
            private long position;
            private boolean open = true;

            @Override
            public int read(ByteBuffer dst) {
                long left = size() - position;
                if (left <= 0) {
                    return -1;
                }
                int n = (int) Math.min(dst.remaining(), left);
                ByteBuffer part = dst.slice(dst.position(), n);
                RemoteZip.this.read(position, part);
                dst.position(dst.position() + n);
                position += n;
                return n;
            }

            @Override
            public int write(ByteBuffer src) {
                throw new NonWritableChannelException();
            }

            @Override
            public long position() {
                return position;
            }

            @Override
            public SeekableByteChannel position(long newPosition) {
                position = newPosition;
                return this;
            }

            @Override
            public long size() {
                return RemoteZip.this.size();
            }

            @Override
            public SeekableByteChannel truncate(long size) {
                throw new NonWritableChannelException();
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }

    @Override
    public long size() {
        return source.size();
    }

    @Override
    public int firstTail() {
        return WINDOW;
    }

    @Override
    public void read(long position, ByteBuffer dst) {
        int n = dst.remaining();
        if (position + n <= prefix.length) {
            dst.put(prefix, (int) position, n);
            return;
        }
        if (position < windowStart || position + n > windowStart + window.length) {
            long end = Math.min(size(), position + Math.max(n, WINDOW));
            byte[] w = new byte[(int) (end - position)];
            source.read(position, MemorySegment.ofArray(w));
            window = w;
            windowStart = position;
        }
        dst.put(window, (int) (position - windowStart), n);
    }
}
