// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.WeightmapException;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a read-only mapping of a whole file knows about that file: its path and its
 * {@link BasicFileAttributes#fileKey() file key}, recorded before mapping. The mapping's owner
 * ({@link MappedFile}, {@link SharedMapping}) creates it with the mapping and holds it; the formats hand it to the
 * tensors they build over the mapping, and writers and hashers that are given it copy a mapped slice to a file
 * inside the kernel ({@link FileChannel#transferTo}, copy_file_range on Linux) or read it by positional reads
 * instead of through the mapping, which faults every source page into this process. Nothing indexes regions: a
 * bare segment with no region is read through its mapping.
 *
 * <p>The file is read by path only while the mapping is alive and only if the path still names the very file
 * that was mapped; otherwise callers fall back to the mapping. A file changed in place while mapped shows the
 * same bytes either way.
 */
public final class MappedRegion {
    /** Slices smaller than this are written from the mapping: opening the source costs more than it saves. */
    public static final long MIN_TRANSFER = 1L << 20;

    /**
     * The page size the kernel copy wants source and target to agree on: a slice whose offset in its file and the
     * target's position differ by a multiple of it is copied by the kernel, any other through a buffer.
     */
    static final long PAGE = 4096;

    /** Bytes copied by {@link #transferFully}, a statistic tests read to see which path a write took. */
    private static final AtomicLong TRANSFERRED = new AtomicLong();
    /** Bytes {@link #transfer} copied through a buffer by positional reads (source and target out of step). */
    private static final AtomicLong READ_THROUGH = new AtomicLong();

    private final MemorySegment mapping;
    private final Path path;
    private final Object fileKey;

    private MappedRegion(MemorySegment mapping, Path path, Object fileKey) {
        this.mapping = mapping;
        this.path = path;
        this.fileKey = fileKey;
    }

    /**
     * The region of a mapping of the whole file {@code path} just made, for the mapping's owner to keep.
     *
     * @param mapping the whole file's mapping
     * @param path    the file mapped
     * @param fileKey its file key, read before mapping
     * @return the region, or null when the platform gives no file identity (the file is then never read by path)
     *         or the file is empty
     */
    static MappedRegion of(MemorySegment mapping, Path path, Object fileKey) {
        return fileKey == null || mapping.byteSize() == 0 ? null : new MappedRegion(mapping, path, fileKey);
    }

    /** The mapping of the whole file. */
    MemorySegment mapping() {
        return mapping;
    }

    /**
     * The mapped file's path.
     *
     * @return the path the file was mapped from
     */
    public Path path() {
        return path;
    }

    /**
     * Whether the mapping is alive and {@code seg} lies inside it.
     *
     * @param seg any segment
     * @return true when {@code seg} is a slice of this live mapping
     */
    public boolean holds(MemorySegment seg) {
        long addr = seg.address();
        return mapping.scope().isAlive() && mapping.scope().equals(seg.scope()) && addr >= mapping.address()
                && addr + seg.byteSize() <= mapping.address() + mapping.byteSize();
    }

    /** A read channel on the file a segment was mapped from, and the segment's offset in that file. */
    public record Source(FileChannel channel, long offset) implements Closeable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * The mapped file opened for reading at {@code seg}, when {@code seg} lies in this live mapping and the path
     * still names the file that was mapped; null otherwise (the caller reads the mapping).
     *
     * @param seg a slice of this mapping
     * @return the open source, or null
     */
    public Source open(MemorySegment seg) {
        if (!holds(seg)) {
            return null;
        }
        FileChannel ch = null;
        try {
            // look before opening: a FIFO put in the file's place would block the open forever
            BasicFileAttributes before = Files.readAttributes(path, BasicFileAttributes.class);
            if (!before.isRegularFile() || !fileKey.equals(before.fileKey())) {
                return null;
            }
            ch = FileChannel.open(path, StandardOpenOption.READ);
            Object key = Files.readAttributes(path, BasicFileAttributes.class).fileKey();
            if (!fileKey.equals(key) || ch.size() < mapping.byteSize()) {
                ch.close();
                return null;
            }
            return new Source(ch, seg.address() - mapping.address());
        } catch (IOException | SecurityException | UnsupportedOperationException x) {
            if (ch != null) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // nothing was read from it
                }
            }
            return null;
        }
    }

    /**
     * Copies {@code seg}'s bytes to {@code out} from the source file, not through the mapping, when {@code out} is a
     * file channel, {@code seg} is at least {@link #MIN_TRANSFER} bytes of this mapping and its file is unchanged;
     * returns false, having written nothing, when that is not the case. The kernel copies the bytes
     * ({@link FileChannel#transferTo}) when the slice's offset in its file and {@code out}'s position are the same
     * distance from a page boundary; otherwise they go through a buffer by positional reads and writes (measured on
     * Linux 6.18 / ext4, 1 GiB: a kernel copy between pages out of step costs 1.3x as much, its fsync included,
     * while the buffered copy costs what an aligned kernel copy does; it copies every byte twice, though, so on a
     * machine whose cores are all busy the kernel copy is the faster one).
     *
     * @param seg a slice of this mapping
     * @param out where to write it
     * @return whether the bytes were copied
     * @throws IOException when the copy fails part way
     * @throws WeightmapException {@code FILE_CHANGED} when the source turns out shorter
     */
    public boolean transfer(MemorySegment seg, WritableByteChannel out) throws IOException {
        if (!(out instanceof FileChannel) || seg.byteSize() < MIN_TRANSFER) {
            return false;
        }
        Source s = open(seg);
        if (s == null) {
            return false;
        }
        try (s) {
            FileChannel target = (FileChannel) out;
            if (Math.floorMod(s.offset() - target.position(), PAGE) == 0) {
                transferFully(s.channel(), s.offset(), seg.byteSize(), out, path.toString());
            } else {
                FileStreamer.stream(s.channel(), path.toString(), s.offset(), seg.byteSize(), chunk -> {
                    java.nio.ByteBuffer b = chunk.asByteBuffer();
                    while (b.hasRemaining()) {
                        target.write(b);
                    }
                });
                READ_THROUGH.addAndGet(seg.byteSize());
            }
        }
        return true;
    }

    /** Bytes {@link #transfer} copied through a buffer since the JVM started (tests check which path a write took). */
    static long readThroughBytes() {
        return READ_THROUGH.get();
    }

    /** Bytes copied by {@link #transferFully} since the JVM started (tests check which path a write took). */
    static long transferredBytes() {
        return TRANSFERRED.get();
    }

    /**
     * {@code src.transferTo} until {@code length} bytes are copied.
     *
     * @param src    the source file
     * @param offset where the bytes start in it
     * @param length how many to copy
     * @param out    where to write them
     * @param what   names what is being copied, for the message when the source turns out shorter
     * @throws IOException        when a transfer fails
     * @throws WeightmapException {@code FILE_CHANGED} when the source ends early
     */
    public static void transferFully(FileChannel src, long offset, long length, WritableByteChannel out, String what)
            throws IOException {
        long done = 0;
        while (done < length) {
            long t = src.transferTo(offset + done, length - done, out);
            if (t <= 0) {
                throw new WeightmapException(WeightmapException.Common.FILE_CHANGED, null, null,
                        "the source file changed while copying " + what + ": it ended after " + done + " of "
                        + length + " bytes (truncated by another program?)", null);
            }
            done += t;
        }
        TRANSFERRED.addAndGet(length);
    }
}
