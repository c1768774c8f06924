// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * A read-only memory mapping of a whole file in a shared arena it owns. Files larger than 2 GB are mapped as
 * one segment. {@link #close()} unmaps: afterwards every access from any thread throws
 * {@link IllegalStateException}.
 */
public final class MappedFile implements AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment segment;
    private final MappedRegion region;

    private MappedFile(Path path, Arena arena, MemorySegment segment, MappedRegion region) {
        this.path = path;
        this.arena = arena;
        this.segment = segment;
        this.region = region;
    }

    /**
     * Maps {@code path} read-only.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException         when it is a directory or cannot be read or mapped
     */
    public static MappedFile open(Path path) throws IOException {
        return open(path, null);
    }

    /** What to do with the open channel and the new mapping before the channel is closed. */
    @FunctionalInterface
    public interface WhileOpen {
        /** Called once with the file's channel and its mapping. */
        void accept(FileChannel channel, MemorySegment mapping) throws IOException;
    }

    /**
     * Maps {@code path} read-only and calls {@code then} (if not null) with the channel still open, for
     * positional reads that leave the mapped pages untouched. If {@code then} throws, the file is unmapped.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException         when it is a directory or cannot be read or mapped
     */
    public static MappedFile open(Path path, WhileOpen then) throws IOException {
        Object fileKey = fileKeyOfFile(path);
        Arena arena = Arena.ofShared();
        MappedRegion region = null;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg = size == 0
                    ? arena.allocate(0, 1)
                    : ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            region = MappedRegion.of(seg, path, fileKey);
            if (then != null) {
                then.accept(ch, seg);
            }
            return new MappedFile(path, arena, seg, region);
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /**
     * Maps {@code path} read-only into the caller's {@code arena} (which owns the mapping: closing the arena
     * unmaps it). An empty file gives an empty segment.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws IOException         when it is a directory or cannot be read or mapped
     */
    public static MemorySegment map(Path path, Arena arena) throws IOException {
        return map(path, arena, null);
    }

    /**
     * {@link #map(Path, Arena)}, calling {@code then} (if not null) with the channel still open (see
     * {@link #open(Path, WhileOpen)}). If {@code then} throws, the mapping stays in {@code arena} until it closes.
     */
    public static MemorySegment map(Path path, Arena arena, WhileOpen then) throws IOException {
        return mapInto(path, arena, then).segment();
    }

    /** A mapping in a caller's arena and its region (null when it has none). */
    record InArena(MemorySegment segment, MappedRegion region) {
    }

    /** {@link #map(Path, Arena, WhileOpen)}, also giving the mapping's region to its owner. */
    static InArena mapInto(Path path, Arena arena, WhileOpen then) throws IOException {
        Object fileKey = fileKeyOfFile(path);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            MemorySegment seg;
            MappedRegion region = null;
            if (size == 0) {
                seg = MemorySegment.ofArray(new byte[0]);
            } else {
                seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                region = MappedRegion.of(seg, path, fileKey);
            }
            if (then != null) {
                then.accept(ch, seg);
            }
            return new InArena(seg, region);
        }
    }

    /**
     * The file key of {@code path} (one stat, which also rejects directories), or null when the platform has
     * none or the attributes cannot be read (opening the file then reports the problem).
     */
    static Object fileKeyOfFile(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (java.nio.file.NoSuchFileException e) {
            throw e;
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
        if (a.isDirectory()) {
            throw new IOException(path + " is a directory");
        }
        return a.fileKey();
    }

    /** The file's bytes. */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * What the mapping knows about its file, for copying slices of it by path.
     *
     * @return the region, or null when the platform gives no file identity or the file is empty
     */
    public MappedRegion region() {
        return region;
    }

    /** The mapped file's path. */
    public Path path() {
        return path;
    }

    /** Whether the mapping is still open. */
    public boolean isOpen() {
        return arena.scope().isAlive();
    }

    /**
     * Unmaps the file; idempotent. If channel I/O is reading from the mapping right now (the JDK keeps the
     * mapping acquired during such a call and refuses to unmap), waits until it ends.
     */
    @Override
    public void close() {
        while (arena.scope().isAlive()) {
            try {
                arena.close();
                return;
            } catch (IllegalStateException e) {
                if (!arena.scope().isAlive()) {
                    return; // a concurrent close won the race
                }
                // acquired by in-flight channel I/O: closing now would fail, so retry shortly
                java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
            }
        }
    }
}
