// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.Closeable;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which file each live read-only mapping made by {@link MappedFile} came from, so that writers can copy a mapped
 * tensor to a file inside the kernel ({@link FileChannel#transferTo}, copy_file_range on Linux) instead of
 * through the mapping, which faults every source page into this process.
 *
 * <p>A source is used only while its mapping is alive and only if the path still names the very file that was
 * mapped (same {@link BasicFileAttributes#fileKey() file key}, recorded before mapping); otherwise callers fall
 * back to writing from the segment. A file changed in place while mapped shows the same bytes either way.
 */
public final class FileRegions {
    /** Segments smaller than this are written from the mapping: opening the source costs more than it saves. */
    public static final long MIN_TRANSFER = 1L << 20;

    private record Region(long base, long size, Path path, Object fileKey, MemorySegment.Scope scope) {
    }

    private static final ConcurrentSkipListMap<Long, Region> REGIONS = new ConcurrentSkipListMap<>();
    private static final AtomicInteger SINCE_PURGE = new AtomicInteger();
    private static final AtomicInteger PURGE_AFTER = new AtomicInteger(64);

    private FileRegions() {
    }

    /** Records that {@code mapping} maps the whole of the file {@code path} whose key is {@code fileKey}. */
    static void register(MemorySegment mapping, Path path, Object fileKey) {
        if (fileKey == null || mapping.byteSize() == 0) {
            return; // no file identity on this platform: never transfer
        }
        REGIONS.put(mapping.address(), new Region(mapping.address(), mapping.byteSize(), path, fileKey,
                mapping.scope()));
        // Mappings in callers' arenas are not unregistered when the arena closes: every so many registrations
        // (at least as many as the regions left by the last sweep, so the sweeps cost O(1) per registration) the
        // dead ones are dropped.
        if (SINCE_PURGE.incrementAndGet() >= PURGE_AFTER.get()) {
            synchronized (FileRegions.class) {
                if (SINCE_PURGE.get() >= PURGE_AFTER.get()) {
                    REGIONS.values().removeIf(r -> !r.scope().isAlive());
                    PURGE_AFTER.set(Math.max(64, REGIONS.size()));
                    SINCE_PURGE.set(0);
                }
            }
        }
    }

    /** Forgets {@code mapping} (called when it is unmapped). */
    static void unregister(MemorySegment mapping) {
        Region r = REGIONS.get(mapping.address());
        if (r != null && r.scope().equals(mapping.scope())) {
            REGIONS.remove(mapping.address(), r);
        }
    }

    /**
     * The file a segment was mapped from.
     *
     * @param seg any segment
     * @return the path of the live registered mapping holding {@code seg}, or null
     */
    public static Path pathOf(MemorySegment seg) {
        if (!seg.isNative() || !seg.isMapped()) {
            return null;
        }
        Map.Entry<Long, Region> e = REGIONS.floorEntry(seg.address());
        if (e == null) {
            return null;
        }
        Region r = e.getValue();
        return r.scope().isAlive() && seg.address() + seg.byteSize() <= r.base() + r.size() ? r.path() : null;
    }

    /** A read channel on the file a segment was mapped from, and the segment's offset in that file. */
    public record Source(FileChannel channel, long offset) implements Closeable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /**
     * The source file of {@code seg}, opened for reading, when {@code seg} lies in a live registered mapping and
     * the path still names the file that was mapped; null otherwise (the caller writes from the segment).
     */
    public static Source open(MemorySegment seg) {
        if (!seg.isNative() || !seg.isMapped() || !seg.scope().isAlive()) {
            return null;
        }
        long addr = seg.address();
        Map.Entry<Long, Region> e = REGIONS.floorEntry(addr);
        if (e == null) {
            return null;
        }
        Region r = e.getValue();
        if (!r.scope().isAlive()) {
            REGIONS.remove(e.getKey(), r);
            return null;
        }
        if (!r.scope().equals(seg.scope()) || addr + seg.byteSize() > r.base() + r.size()) {
            return null;
        }
        FileChannel ch = null;
        try {
            // look before opening: a FIFO put in the file's place would block the open forever
            BasicFileAttributes before = Files.readAttributes(r.path(), BasicFileAttributes.class);
            if (!before.isRegularFile() || !r.fileKey().equals(before.fileKey())) {
                return null;
            }
            ch = FileChannel.open(r.path(), StandardOpenOption.READ);
            Object key = Files.readAttributes(r.path(), BasicFileAttributes.class).fileKey();
            if (!r.fileKey().equals(key) || ch.size() < r.size()) {
                ch.close();
                return null;
            }
            return new Source(ch, addr - r.base());
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
     * Copies {@code seg}'s bytes to {@code out} inside the kernel when {@code out} is a file channel, {@code seg} is
     * at least {@link #MIN_TRANSFER} bytes of a registered mapping and its file is unchanged; returns false, having
     * written nothing, when that is not the case.
     *
     * @throws IOException when the copy fails part way
     * @throws dev.weightmap.WeightmapException {@code FILE_CHANGED} when the source turns out shorter
     */
    public static boolean transfer(MemorySegment seg, WritableByteChannel out) throws IOException {
        if (!(out instanceof FileChannel) || seg.byteSize() < MIN_TRANSFER) {
            return false;
        }
        Source s = open(seg);
        if (s == null) {
            return false;
        }
        try (s) {
            Path p = pathOf(seg);
            transferFully(s.channel(), s.offset(), seg.byteSize(), out, p == null ? "a mapped segment" : p.toString());
        }
        return true;
    }

    private static final java.util.concurrent.atomic.AtomicLong TRANSFERRED =
            new java.util.concurrent.atomic.AtomicLong();

    /** Bytes copied by {@link #transferFully} since the JVM started (tests check which path a write took). */
    static long transferredBytes() {
        return TRANSFERRED.get();
    }

    /**
     * {@code src.transferTo} until {@code length} bytes are copied.
     *
     * @param what names what is being copied, for the message when the source turns out shorter
     */
    public static void transferFully(FileChannel src, long offset, long length, WritableByteChannel out, String what)
            throws IOException {
        long done = 0;
        while (done < length) {
            long t = src.transferTo(offset + done, length - done, out);
            if (t <= 0) {
                throw new dev.weightmap.WeightmapException(dev.weightmap.WeightmapException.Common.FILE_CHANGED,
                        null, null, "the source file changed while copying " + what + ": it ended after " + done
                        + " of " + length + " bytes (truncated by another program?)", null);
            }
            done += t;
        }
        TRANSFERRED.addAndGet(length);
    }
}
