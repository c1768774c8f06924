// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * The {@link ZipSource} of a ZIP archive (a DDUF archive, a torch zip checkpoint) over HTTP range requests: the
 * structure is read with as few requests as the format allows. The speculative prefix the opener already
 * fetched serves every read inside it (a small archive costs that one request); the end records are looked for in
 * one request for the last 64 KiB, which usually holds the central directory too; every other read (local
 * headers) fetches at least 64 KiB, so neighbouring headers come in one request.
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
