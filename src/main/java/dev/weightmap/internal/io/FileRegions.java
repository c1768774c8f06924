// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Finds the {@link MappedRegion} of a bare segment: an index, by address, of the live mappings made by
 * {@link MappedFile} and {@link SharedMapping}. What is known about each file lives in its region, which the
 * mapping's owner creates and holds; this index only answers "which mapping is this slice of" for code that
 * has a segment and nothing else.
 */
public final class FileRegions {
    private static final ConcurrentSkipListMap<Long, MappedRegion> REGIONS = new ConcurrentSkipListMap<>();
    private static final AtomicInteger SINCE_PURGE = new AtomicInteger();
    private static final AtomicInteger PURGE_AFTER = new AtomicInteger(64);

    private FileRegions() {
    }

    /**
     * The region of a new mapping of the whole file {@code path} whose key is {@code fileKey}, indexed.
     *
     * @return the region, or null when the platform gives no file identity (the file is then never read by path)
     */
    static MappedRegion register(MemorySegment mapping, Path path, Object fileKey) {
        if (fileKey == null || mapping.byteSize() == 0) {
            return null;
        }
        MappedRegion r = new MappedRegion(mapping, path, fileKey);
        REGIONS.put(mapping.address(), r);
        // Mappings in callers' arenas are not unregistered when the arena closes: every so many registrations
        // (at least as many as the regions left by the last sweep, so the sweeps cost O(1) per registration) the
        // dead ones are dropped.
        if (SINCE_PURGE.incrementAndGet() >= PURGE_AFTER.get()) {
            synchronized (FileRegions.class) {
                if (SINCE_PURGE.get() >= PURGE_AFTER.get()) {
                    REGIONS.values().removeIf(x -> !x.mapping().scope().isAlive());
                    PURGE_AFTER.set(Math.max(64, REGIONS.size()));
                    SINCE_PURGE.set(0);
                }
            }
        }
        return r;
    }

    /** Forgets {@code region} (called when its mapping is unmapped); null is ignored. */
    static void unregister(MappedRegion region) {
        if (region != null) {
            REGIONS.remove(region.mapping().address(), region);
        }
    }

    /**
     * The live region holding {@code seg}.
     *
     * @param seg any segment
     * @return the region of the live mapping {@code seg} is a slice of, or null
     */
    public static MappedRegion of(MemorySegment seg) {
        if (!seg.isNative() || !seg.isMapped()) {
            return null;
        }
        Map.Entry<Long, MappedRegion> e = REGIONS.floorEntry(seg.address());
        if (e == null) {
            return null;
        }
        MappedRegion r = e.getValue();
        if (!r.mapping().scope().isAlive()) {
            REGIONS.remove(e.getKey(), r);
            return null;
        }
        return r.holds(seg) ? r : null;
    }

    /**
     * The file a segment was mapped from.
     *
     * @param seg any segment
     * @return the path of the live mapping holding {@code seg}, or null
     */
    public static Path pathOf(MemorySegment seg) {
        MappedRegion r = of(seg);
        return r == null ? null : r.path();
    }

    /**
     * {@link MappedRegion#open} on the region holding {@code seg}.
     *
     * @param seg any segment
     * @return the open source file, or null when {@code seg} is no live mapping's slice or its file changed
     */
    public static MappedRegion.Source open(MemorySegment seg) {
        MappedRegion r = of(seg);
        return r == null ? null : r.open(seg);
    }

    /**
     * {@link MappedRegion#transfer} on the region holding {@code seg}.
     *
     * @param seg any segment
     * @param out where to write it
     * @return whether the kernel copied the bytes (false: nothing was written)
     * @throws IOException when the copy fails part way
     */
    public static boolean transfer(MemorySegment seg, WritableByteChannel out) throws IOException {
        if (seg.byteSize() < MappedRegion.MIN_TRANSFER) {
            return false;
        }
        MappedRegion r = of(seg);
        return r != null && r.transfer(seg, out);
    }
}
