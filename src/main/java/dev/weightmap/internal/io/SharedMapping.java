// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.Weights;
import dev.weightmap.WeightsClosedException;

import dev.weightmap.WeightmapException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 * <p>An owned mapping creates its shared arena on the first mapping only. A file {@linkplain #open opened} here
 * is mapped on the first {@link LazyFile#segment()} call: a reader whose header was read by positional reads and
 * whose tensor bytes were never asked for maps nothing, so closing it unmaps nothing and skips the shared
 * arena's close, a handshake with every JVM thread. What was mapped is unmapped exactly as before: when the last
 * reference goes, synchronously, so that afterwards every access from any thread throws.
 *
 * <p>Closing waits while channel I/O has the arena acquired (the JDK refuses to close it then), as
 * {@link MappedFile#close()} does.
 */
public final class SharedMapping {
    private final String name;
    private final boolean owned;
    /** Guards {@link #arena} (created on first use when owned), {@link #unmapped} and {@link #files}. */
    private final Object lock = new Object();
    private Arena arena;
    private boolean unmapped;
    private final List<LazyFile> files = new ArrayList<>(1);
    private final AtomicInteger refs = new AtomicInteger(1);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** What each mapping made so far knows about its file (null entries: no file identity). */
    private final List<MappedRegion> regions = new ArrayList<>();

    private SharedMapping(String name, Arena arena, boolean owned) {
        this.name = name;
        this.arena = arena;
        this.owned = owned;
    }

    /**
     * A mapping owning a shared arena, created when the first file is mapped.
     *
     * @param name the reader's path or display name, for {@link WeightsClosedException}
     * @return the mapping
     */
    public static SharedMapping owned(String name) {
        return new SharedMapping(name, null, true);
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
     * Maps a whole file read-only into the arena and keeps its {@link MappedRegion} (see {@link #regionOf}).
     *
     * @param path the file
     * @param then called with the open channel and the mapping (positional header reads), or null
     * @return the mapping (an empty segment for an empty file)
     * @throws IOException when the file cannot be mapped
     */
    public MemorySegment map(Path path, MappedFile.WhileOpen then) throws IOException {
        ensureOpen();
        Arena a = arena();
        if (a == null) {
            throw new IllegalStateException("no arena to map into");
        }
        MappedFile.InArena m = MappedFile.mapInto(path, a, then);
        synchronized (regions) {
            regions.add(m.region());
        }
        return m.segment();
    }

    /**
     * Opens {@code path} for reading and calls {@code then} with it before anything is mapped (positional header
     * reads through {@link LazyFile#channel()}; {@link LazyFile#segment()} maps at once where copying from the
     * mapping is cheaper): the file is mapped into this mapping's arena on the first {@link LazyFile#segment()}.
     * The channel stays open until the last reference goes, so a later mapping is of the same file even if the path
     * is replaced meanwhile. If {@code then} throws, the channel is closed (anything it mapped stays in the arena
     * until the mapping closes).
     *
     * @param path the file
     * @param then called with the opened file, or null
     * @return the file, not mapped unless {@code then} asked for its bytes
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws IOException when it is a directory or cannot be read
     */
    public LazyFile open(Path path, WhileOpenUnmapped then) throws IOException {
        ensureOpen();
        Object fileKey = MappedFile.fileKeyOfFile(path); // also rejects directories, as map does
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        return adopt(path, fileKey, ch, -1, then);
    }

    /**
     * {@link #open(Path, WhileOpenUnmapped)} of a file the caller already opened: this mapping takes
     * {@code channel} over and closes it when its last reference goes, or now if this method throws.
     *
     * @param path    the file, for messages and the mapping's {@link MappedRegion}
     * @param fileKey the file's key, or null when unknown
     * @param channel a channel open for reading on it
     * @param size    its size when opened, or -1 to ask the channel
     * @param then    called with the file, or null
     * @return the file, not mapped unless {@code then} asked for its bytes
     * @throws IOException when reading fails
     */
    public LazyFile adopt(Path path, Object fileKey, FileChannel channel, long size, WhileOpenUnmapped then)
            throws IOException {
        FileChannel ch = channel;
        try {
            ensureOpen();
            LazyFile f = new LazyFile(path, fileKey, ch, size < 0 ? ch.size() : size);
            synchronized (lock) {
                if (unmapped) {
                    throw new WeightsClosedException(name);
                }
                files.add(f);
            }
            if (then != null) {
                then.accept(f);
            }
            return f;
        } catch (IOException | RuntimeException | Error e) {
            ch.close();
            throw e;
        }
    }

    /** What to do with an opened file before anything is mapped. */
    @FunctionalInterface
    public interface WhileOpenUnmapped {
        /**
         * Called once with the opened file.
         *
         * @param file the file: its channel (positional reads only), its size, its mapping on demand
         * @throws IOException when reading fails
         */
        void accept(LazyFile file) throws IOException;
    }

    /**
     * A file of this mapping, mapped on the first {@link #segment()} call; as a {@code Supplier} it supplies that
     * segment (so a parser can be handed the file itself where it takes the mapping on demand).
     */
    public final class LazyFile implements java.util.function.Supplier<MemorySegment> {
        private final Path path;
        private final Object fileKey;
        private final FileChannel channel;
        private final long size;
        private volatile MemorySegment segment;
        private MappedRegion region; // set with segment, under the mapping's lock

        private LazyFile(Path path, Object fileKey, FileChannel channel, long size) {
            this.path = path;
            this.fileKey = fileKey;
            this.channel = channel;
            this.size = size;
        }

        /**
         * The file's open channel, for positional reads; closed when the mapping's last reference goes.
         *
         * @return the channel
         */
        public FileChannel channel() {
            return channel;
        }

        /**
         * The file's size when it was opened.
         *
         * @return the size in bytes
         */
        public long size() {
            return size;
        }

        /**
         * The whole file, mapped read-only on the first call (an empty segment for an empty file).
         *
         * @return the mapping
         * @throws WeightsClosedException when the mapping is closed
         * @throws WeightmapException     with {@link WeightmapException.Common#FILE_CHANGED} when the file is now
         *                                shorter than when it was opened, {@link WeightmapException.Common#IO_ERROR}
         *                                when it cannot be mapped
         */
        public MemorySegment segment() {
            MemorySegment s = segment;
            return s != null ? s : mapNow(this);
        }

        /**
         * The same as {@link #segment()}.
         *
         * @return the mapping
         */
        @Override
        public MemorySegment get() {
            return segment();
        }

        /**
         * What the mapping knows about the file, once {@link #segment()} mapped it.
         *
         * @return the region, or null when not mapped yet, empty, or without file identity
         */
        public MappedRegion region() {
            synchronized (lock) {
                return region;
            }
        }
    }

    private MemorySegment mapNow(LazyFile f) {
        synchronized (lock) {
            if (f.segment != null) {
                return f.segment;
            }
            if (unmapped || closed.get()) {
                throw new WeightsClosedException(name);
            }
            MemorySegment seg;
            try {
                long now = f.channel.size();
                if (now < f.size) {
                    throw new WeightmapException(WeightmapException.Common.FILE_CHANGED, f.path + ": the file shrank"
                            + " from " + f.size + " to " + now + " bytes after it was opened");
                }
                if (f.size == 0) {
                    seg = MemorySegment.ofArray(new byte[0]);
                } else {
                    seg = f.channel.map(FileChannel.MapMode.READ_ONLY, 0, f.size, arenaLocked());
                    f.region = MappedRegion.of(seg, f.path, f.fileKey);
                }
            } catch (IOException e) {
                throw new WeightmapException(WeightmapException.Common.IO_ERROR, f.path + ": cannot map the file: "
                        + e.getMessage(), e);
            }
            synchronized (regions) {
                regions.add(f.region);
            }
            f.segment = seg;
            return seg;
        }
    }

    /**
     * The region of the file this mapping mapped that {@code seg} is a slice of: what the formats attach to the
     * tensors they build over the mapping.
     *
     * @param seg a segment
     * @return the region of the live mapping holding {@code seg}, or null (not a mapping of this reader, an empty
     *         file, or a platform without file identity)
     */
    public MappedRegion regionOf(MemorySegment seg) {
        synchronized (regions) {
            for (int i = regions.size() - 1; i >= 0; i--) {
                MappedRegion r = regions.get(i);
                if (r != null && r.holds(seg)) {
                    return r;
                }
            }
        }
        return null;
    }

    /**
     * The arena files are mapped into (for an owned mapping, created now if nothing was mapped yet).
     *
     * @return the arena, or null for {@link #none}
     * @throws WeightsClosedException when an owned mapping is already unmapped
     */
    public Arena arena() {
        synchronized (lock) {
            return arenaLocked();
        }
    }

    /**
     * Whether an arena exists (given, or created by a first mapping): for tests of the mapping on first use.
     *
     * @return true once the file is mapped, or when the arena was given
     */
    public boolean hasArena() {
        synchronized (lock) {
            return arena != null;
        }
    }

    private Arena arenaLocked() {
        if (arena == null && owned) {
            if (unmapped) {
                throw new WeightsClosedException(name);
            }
            arena = Arena.ofShared();
        }
        return arena;
    }

    /**
     * Whether this mapping owns its arena (and so may map files on first use, see {@link #open}).
     *
     * @return true for {@link #owned}
     */
    public boolean owns() {
        return owned;
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
        synchronized (lock) {
            return !owned || (arena == null ? !unmapped : arena.scope().isAlive());
        }
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
        Arena toClose;
        List<LazyFile> opened;
        synchronized (lock) {
            unmapped = true;
            toClose = owned ? arena : null;
            opened = new ArrayList<>(files);
            files.clear();
        }
        for (LazyFile f : opened) {
            try {
                f.channel.close();
            } catch (IOException e) {
                // a read-only channel: nothing was written that closing could lose
            }
        }
        if (toClose == null) {
            return; // nothing mapped, or the caller's arena decides
        }
        while (toClose.scope().isAlive()) {
            try {
                toClose.close();
                return;
            } catch (IllegalStateException e) {
                if (!toClose.scope().isAlive()) {
                    return;
                }
                // acquired by in-flight channel I/O: closing now would fail, so retry shortly
                LockSupport.parkNanos(1_000_000L);
            }
        }
    }
}
