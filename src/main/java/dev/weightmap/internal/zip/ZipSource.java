// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import java.io.EOFException;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;

/**
 * The bytes a {@link ZipArchive} is read from, by positional reads: a file channel (the archive's pages are never
 * mapped or touched), a segment already in memory, or a remote range source.
 */
public interface ZipSource {
    /**
     * The archive's size.
     *
     * @return the size in bytes
     * @throws IOException when it cannot be learned
     */
    long size() throws IOException;

    /**
     * Fills {@code dst} (from its position to its limit) with the bytes starting at {@code position}.
     *
     * @param position the first byte, with {@code position + dst.remaining() <= size()}
     * @param dst      where the bytes go
     * @throws IOException when they cannot be read whole
     */
    void read(long position, ByteBuffer dst) throws IOException;

    /**
     * How many bytes at the end of the archive to read first when looking for the end records: small for local
     * sources, larger where each read is a round trip (so that the central directory often comes with it).
     *
     * @return a byte count
     */
    default int firstTail() {
        return 4096;
    }

    /**
     * The {@code len} bytes at {@code position} as a read-only buffer over the source's own memory, when it has
     * memory the reader may look at in place: then nothing is copied.
     *
     * @param position the first byte, with {@code position + len <= size()}
     * @param len      the byte count
     * @return the bytes, or null when they have to be {@linkplain #read read}
     */
    default ByteBuffer view(long position, int len) {
        return null;
    }

    /**
     * A source over {@code segment}: the bytes of a writable heap segment over a {@code byte[]} are read in place
     * (see {@link #view}), any other segment's are copied (a mapped file's fault then surfaces in the copy, not later
     * in the parser).
     *
     * @param segment the archive's bytes
     * @return the source
     */
    static ZipSource of(MemorySegment segment) {
        return new ZipSource() {
            @Override
            public long size() {
                return segment.byteSize();
            }

            @Override
            public void read(long position, ByteBuffer dst) {
                int n = dst.remaining();
                MemorySegment.ofBuffer(dst).copyFrom(segment.asSlice(position, n));
                dst.position(dst.position() + n);
            }

            @Override
            public ByteBuffer view(long position, int len) {
                if (!(segment.heapBase().orElse(null) instanceof byte[])) {
                    return null; // native, read-only or not over a byte[]: copied by read
                }
                return segment.asSlice(position, len).asByteBuffer().asReadOnlyBuffer();
            }
        };
    }

    /**
     * A source reading {@code channel} by positional reads (its position is left alone).
     *
     * @param channel the open archive
     * @return the source
     */
    static ZipSource of(FileChannel channel) {
        return new ZipSource() {
            @Override
            public long size() throws IOException {
                return channel.size();
            }

            @Override
            public void read(long position, ByteBuffer dst) throws IOException {
                long at = position;
                while (dst.hasRemaining()) {
                    int n = channel.read(dst, at);
                    if (n < 0) {
                        throw new EOFException("the archive ended at offset " + at + " while reading it (truncated?)");
                    }
                    at += n;
                }
            }
        };
    }

    /**
     * A source reading {@code channel} from the positions asked for (its position is changed).
     *
     * @param channel     the open archive
     * @param firstTail   what {@link #firstTail()} answers
     * @param displayName the name an end-of-file message names
     * @return the source
     */
    static ZipSource of(SeekableByteChannel channel, int firstTail, String displayName) {
        return new ZipSource() {
            @Override
            public long size() throws IOException {
                return channel.size();
            }

            @Override
            public void read(long position, ByteBuffer dst) throws IOException {
                channel.position(position);
                while (dst.hasRemaining()) {
                    if (channel.read(dst) < 0) {
                        throw new EOFException(displayName + ": the archive ended while reading it");
                    }
                }
            }

            @Override
            public int firstTail() {
                return firstTail;
            }
        };
    }
}
