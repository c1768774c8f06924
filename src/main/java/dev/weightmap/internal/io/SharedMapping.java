// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.Weights;
import dev.weightmap.WeightsClosedException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * The mapping arena of one opened reader, reference counted: every file of the reader (all shards of a
 * checkpoint, a DDUF archive) is mapped into ONE shared arena, so closing the reader is one handshake with the
 * JVM's threads, not one per file.
 *
 * <p>The reader holds one reference; each {@link #retain() lease} holds another. {@link #close()} marks the
 * mapping closed at once ({@link #isOpen()} turns false, {@link #ensureOpen()} throws) and drops the reader's
 * reference; the arena is closed when the last reference goes. In a caller's arena ({@link #external}) nothing is
 * ever unmapped here: the caller's arena decides.
 *
 * <p>Closing waits while channel I/O has the arena acquired (the JDK refuses to close it then), as
 * {@link MappedFile#close()} does.
 */
public final class SharedMapping {
    private final String name;
    private final Arena arena;
    private final boolean owned;
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    private final List<MemorySegment> segments = new ArrayList<>();

    private SharedMapping(String name, Arena arena, boolean owned) {
        this.name = name;
        this.arena = arena;
        this.owned = owned;
    }

    /**
     * A mapping owning a new shared arena.
     *
     * @param name the reader's path or display name, for {@link WeightsClosedException}
     * @return the mapping
     */
    public static SharedMapping owned(String name) {
        return new SharedMapping(name, Arena.ofShared(), true);
    }

    /**
     * A mapping into a caller's arena, which it never closes.
     *
     * @param name  the reader's path or display name
     * @param arena the caller's arena
     * @return the mapping
     */
    public static SharedMapping external(String name, Arena arena) {
        return new SharedMapping(name, arena, false);
    }

    /**
     * A mapping with no arena at all, for readers over a caller's segment: it only tracks open/closed.
     *
     * @param name the reader's display name
     * @return the mapping
     */
    public static SharedMapping none(String name) {
        return new SharedMapping(name, null, false);
    }

    /**
     * Maps a whole file read-only into the arena and registers it with {@link FileRegions}.
     *
     * @param path the file
     * @param then called with the open channel and the mapping (positional header reads), or null
     * @return the mapping (an empty segment for an empty file)
     * @throws IOException when the file cannot be mapped
     */
    public MemorySegment map(Path path, MappedFile.WhileOpen then) throws IOException {
        if (arena == null) {
            throw new IllegalStateException("no arena to map into");
        }
        ensureOpen();
        MemorySegment seg = MappedFile.map(path, arena, then);
        synchronized (segments) {
            segments.add(seg);
        }
        return seg;
    }

    /**
     * The arena files are mapped into.
     *
     * @return the arena, or null for {@link #none}
     */
    public Arena arena() {
        return arena;
    }

    /**
     * The reader's name used in {@link WeightsClosedException}.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Whether the reader is open (not yet closed; leases may still keep the arena alive).
     *
     * @return true while open
     */
    public boolean isOpen() {
        return !closed.get();
    }

    /**
     * Throws when the reader is closed.
     *
     * @throws WeightsClosedException naming the reader
     */
    public void ensureOpen() {
        if (closed.get()) {
            throw new WeightsClosedException(name);
        }
    }

    /**
     * Whether the mapped memory is still accessible (open, or closed with a lease held).
     *
     * @return true while not unmapped
     */
    public boolean isMapped() {
        return arena == null || !owned || arena.scope().isAlive();
    }

    /**
     * Takes a lease: the arena stays alive until it is released, even after {@link #close()}.
     *
     * @return the lease
     * @throws WeightsClosedException when the reader is already closed
     */
    public Weights.Lease retain() {
        int r;
        do {
            r = refs.get();
            if (r <= 0 || closed.get()) {
                throw new WeightsClosedException(name);
            }
        } while (!refs.compareAndSet(r, r + 1));
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                release();
            }
        };
    }

    /** Marks the reader closed and drops its reference; idempotent. */
    public void close() {
        if (closed.compareAndSet(false, true)) {
            release();
        }
    }

    private void release() {
        if (refs.decrementAndGet() == 0) {
            unmap();
        }
    }

    private void unmap() {
        if (!owned) {
            return; // the caller's arena decides; FileRegions drops dead regions by itself
        }
        List<MemorySegment> segs;
        synchronized (segments) {
            segs = new ArrayList<>(segments);
        }
        for (MemorySegment s : segs) {
            FileRegions.unregister(s);
        }
        while (arena.scope().isAlive()) {
            try {
                arena.close();
                return;
            } catch (IllegalStateException e) {
                if (!arena.scope().isAlive()) {
                    return;
                }
                // acquired by in-flight channel I/O: closing now would fail, so retry shortly
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }
}
