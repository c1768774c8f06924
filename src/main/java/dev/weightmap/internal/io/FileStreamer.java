// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.WeightmapException;
import dev.weightmap.WeightsClosedException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Streaming reads that a file changed under the reader cannot turn into a JVM crash.
 *
 * <p>A memory-mapped file that is truncated while mapped makes every access past its new end raise SIGBUS.
 * The JDK turns that signal into an {@link InternalError} for {@link MemorySegment#copy} and plain segment reads,
 * but not inside intrinsics and vector kernels (CRC32, CRC32C, the Vector API loads of XXH3, the F16/BF16
 * conversions): there the JVM dies. So streaming work reads files with positional reads ({@link FileChannel#read}
 * at known offsets) into a small reused direct buffer and hands each filled chunk to a consumer: a short read
 * becomes {@code FILE_CHANGED} naming the file and the offset. Positional reads into a 1 MiB buffer measured as
 * fast as or faster than hashing the mapping (see {@code benchmarks/README.md}).
 *
 * <p>{@link #readSegment} does the same for a segment that is (a slice of) a mapping: from the mapped file by
 * positional reads when the caller gives its {@link MappedRegion} and the file is still the one mapped, else
 * one chunk at a time through {@link MemorySegment#copy}, with a fault translated to {@code FILE_CHANGED} and a closed mapping to
 * {@link WeightsClosedException}. Either way no chunk keeps the mapping's arena acquired for long, so closing a
 * reader is never held up by threads hashing its tensors.
 */
public final class FileStreamer {
    /** Bytes read per positional read (and the largest buffer one stream allocates). */
    public static final int CHUNK = 1 << 20;

    /** File system types whose files report a size that is not their content (size 0, or 4096). */
    private static final Set<String> PSEUDO_FILE_SYSTEMS = Set.of("proc", "sysfs", "debugfs", "tracefs",
            "securityfs", "configfs", "cgroup", "cgroup2", "efivarfs", "fusectl", "bpf", "pstore");

    /** Called after every chunk with the file's name and the end offset of the chunk (tests truncate there). */
    @FunctionalInterface
    interface ChunkHook {
        void afterChunk(String name, long end) throws IOException;
    }

    static volatile ChunkHook hook;

    /** A consumer of filled chunks. */
    @FunctionalInterface
    public interface Sink {
        /**
         * Takes one chunk; the segment is valid only during the call.
         *
         * @param chunk the bytes read, in a private buffer
         * @throws IOException when the consumer fails
         */
        void accept(MemorySegment chunk) throws IOException;
    }

    private FileStreamer() {
    }

    /**
     * Refuses anything but a regular file (links followed) without opening it: devices, FIFOs (opening one
     * blocks), sockets, directories, and files of pseudo file systems such as {@code /proc} whose size says
     * nothing about their content.
     *
     * @param file the path
     * @return the file's attributes
     * @throws NoSuchFileException when it does not exist
     * @throws WeightmapException  {@code NOT_A_REGULAR_FILE} naming it otherwise
     * @throws IOException         when its attributes cannot be read
     */
    public static BasicFileAttributes requireRegularFile(Path file) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (file.toString().indexOf('\uFFFD') >= 0) { // a name given as text that was not valid UTF-8
                throw new NoSuchFileException(file.toString(), null, "no such file (the name was not valid"
                        + " UTF-8 and its bad bytes were replaced by U+FFFD before it got here)");
            }
            throw e;
        }
        return requireRegularFile(file, a);
    }

    /**
     * {@link #requireRegularFile(Path)} given attributes of {@code file} read just before.
     *
     * @param file the path
     * @param a    its attributes (links followed)
     * @return {@code a}
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE} naming it when it is not a regular file
     */
    public static BasicFileAttributes requireRegularFile(Path file, BasicFileAttributes a) {
        if (!a.isRegularFile()) {
            throw notRegular(file, a.isDirectory() ? "a directory" : kind(file));
        }
        // pseudo files report size 0 (proc, debugfs, cgroup) or one page (sysfs); only then is the file system
        // looked up, which costs a scan of the mount table
        String type = a.size() == 0 || a.size() == 4096 ? fileSystemType(file) : null;
        if (type != null && PSEUDO_FILE_SYSTEMS.contains(type)) {
            throw notRegular(file, "a file of the " + type + " pseudo file system, whose size is not its content");
        }
        return a;
    }

    private static WeightmapException notRegular(Path file, String what) {
        return new WeightmapException(WeightmapException.Common.NOT_A_REGULAR_FILE, file.toString(), null,
                file + ": not a regular file (" + what + ")", null);
    }

    private static String fileSystemType(Path file) {
        try {
            FileStore s = Files.getFileStore(file);
            return s.type();
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** What kind of special file {@code path} is, for messages. */
    static String kind(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode");
            int m = (Integer) mode & 0170000;
            return switch (m) {
                case 0010000 -> "a FIFO";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                case 0040000 -> "a directory";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }

    /**
     * Opens a regular file for reading after {@link #requireRegularFile} accepted it.
     *
     * @param file the file
     * @return the channel
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE}
     * @throws IOException        when it cannot be opened
     */
    public static FileChannel openRegular(Path file) throws IOException {
        requireRegularFile(file);
        return FileChannel.open(file, StandardOpenOption.READ);
    }

    /**
     * Streams a whole regular file, {@link #CHUNK} bytes at a time.
     *
     * @param file the file
     * @param sink takes the chunks in order
     * @return the bytes streamed (the file's size when it was opened)
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE}; {@code FILE_CHANGED} when the file ends early
     * @throws IOException        when it cannot be read
     */
    public static long streamFile(Path file, Sink sink) throws IOException {
        try (FileChannel ch = openRegular(file)) {
            long size = ch.size();
            stream(ch, file.toString(), 0, size, sink);
            return size;
        }
    }

    /**
     * Streams {@code length} bytes of a file from {@code offset} through a buffer of its own.
     *
     * @param ch     the file
     * @param name   the file's name, for messages
     * @param offset where to start
     * @param length how many bytes
     * @param sink   takes the chunks in order
     * @throws WeightmapException {@code FILE_CHANGED} when the file ends before {@code offset + length}
     * @throws IOException        when a read or the sink fails
     */
    public static void stream(FileChannel ch, String name, long offset, long length, Sink sink) throws IOException {
        if (length <= 0) {
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            stream(ch, name, offset, length, arena.allocate(Math.min(length, CHUNK), 64), sink);
        }
    }

    /**
     * Streams {@code length} bytes of a file from {@code offset} through the caller's buffer.
     *
     * @param ch     the file
     * @param name   the file's name, for messages
     * @param offset where to start
     * @param length how many bytes
     * @param buffer a native buffer (not a mapping) of at least one byte
     * @param sink   takes the chunks in order
     * @throws WeightmapException {@code FILE_CHANGED} when the file ends before {@code offset + length}
     * @throws IOException        when a read or the sink fails
     */
    public static void stream(FileChannel ch, String name, long offset, long length, MemorySegment buffer, Sink sink)
            throws IOException {
        java.nio.ByteBuffer bb = buffer.asByteBuffer();
        long done = 0;
        while (done < length) {
            int want = (int) Math.min(bb.capacity(), length - done);
            bb.clear().limit(want);
            while (bb.hasRemaining()) {
                int r = ch.read(bb, offset + done + bb.position());
                if (r < 0) {
                    throw fileChanged(name, offset + done + bb.position(), offset + length);
                }
            }
            done += want;
            sink.accept(buffer.asSlice(0, want));
            ChunkHook h = hook;
            if (h != null) {
                h.afterChunk(name, offset + done);
            }
        }
    }

    /**
     * {@link #stream(FileChannel, String, long, long, Sink)} read by two threads: a helper thread reads the chunks
     * ahead of the sink into one of four buffers, and the calling thread, whenever the next chunk is not read yet,
     * reads one itself into its own buffer (that chunk, or the next one nobody took while the helper finishes it).
     * A slow sink (SHA-256) thus has every chunk read for it while it works; a fast one (XXH3, whose kernel takes
     * a chunk in a fraction of the time its copy from the page cache takes) shares the copying with the helper, and
     * the chunks it read itself are still in its own core's cache when it takes them. Ranges of up to two chunks
     * are streamed on the calling thread alone.
     *
     * @param ch     the file
     * @param name   the file's name, for messages
     * @param offset where to start
     * @param length how many bytes
     * @param sink   takes the chunks in order, on the calling thread
     * @throws WeightmapException {@code FILE_CHANGED} when the file ends before {@code offset + length}
     * @throws IOException        when a read or the sink fails
     */
    public static void streamAhead(FileChannel ch, String name, long offset, long length, Sink sink)
            throws IOException {
        if (length <= 2L * CHUNK) {
            stream(ch, name, offset, length, sink);
            return;
        }
        try (Arena arena = Arena.ofShared()) {
            ReadAhead ahead = new ReadAhead(ch, name, offset, length, arena);
            Thread helper = Thread.ofPlatform().daemon().name("weightmap-read-ahead").start(ahead);
            try {
                MemorySegment own = arena.allocate(CHUNK, 64);
                long ownChunk = -1; // the chunk in own when it was read ahead of its turn
                for (long k = 0; k < ahead.chunks; k++) {
                    long n = ahead.length(k);
                    if (k == ownChunk) {
                        sink.accept(own.asSlice(0, n));
                        ownChunk = -1;
                        continue;
                    }
                    // every chunk before k is taken, so the next one not taken is k itself or a later one
                    if (ahead.next.compareAndSet(k, k + 1)) {
                        stream(ch, name, offset + k * CHUNK, n, own, NO_SINK);
                        sink.accept(own.asSlice(0, n));
                        continue;
                    }
                    int slot = (int) (k % ReadAhead.SLOTS);
                    if (!ahead.full[slot].tryAcquire()) {
                        // the helper is still reading chunk k: read the next chunk nobody took meanwhile
                        long j = ahead.next.get();
                        if (ownChunk < 0 && j < ahead.chunks && ahead.next.compareAndSet(j, j + 1)) {
                            stream(ch, name, offset + j * CHUNK, ahead.length(j), own, NO_SINK);
                            ownChunk = j;
                        }
                        ahead.full[slot].acquireUninterruptibly();
                    }
                    ahead.rethrow();
                    sink.accept(ahead.buf[slot].asSlice(0, n));
                    ahead.free[slot].release();
                }
            } finally {
                ahead.stop();
                boolean interrupted = false;
                while (true) {
                    try {
                        helper.join();
                        break;
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private static final Sink NO_SINK = new Sink() {
        @Override
        public void accept(MemorySegment chunk) {
        }
    };

    /**
     * The helper of {@link #streamAhead}: takes the next chunk no thread has taken, waits for its slot to be free
     * (the sink done with the chunk read into it before), reads it there and marks it full.
     */
    private static final class ReadAhead implements Runnable {
        /** Buffers of the helper: how far it may read ahead of the sink. */
        static final int SLOTS = 4;

        final FileChannel ch;
        final String name;
        final long offset;
        final long length;
        final long chunks;
        /** The next chunk neither thread has taken; either thread takes it by moving this past it. */
        final AtomicLong next = new AtomicLong();
        final MemorySegment[] buf = new MemorySegment[SLOTS];
        final Semaphore[] free = new Semaphore[SLOTS];
        final Semaphore[] full = new Semaphore[SLOTS];
        private volatile Throwable failed;
        private volatile boolean stop;

        ReadAhead(FileChannel ch, String name, long offset, long length, Arena arena) {
            this.ch = ch;
            this.name = name;
            this.offset = offset;
            this.length = length;
            this.chunks = (length + CHUNK - 1) / CHUNK;
            for (int i = 0; i < SLOTS; i++) {
                buf[i] = arena.allocate(CHUNK, 64);
                free[i] = new Semaphore(1);
                full[i] = new Semaphore(0);
            }
        }

        long length(long k) {
            return Math.min(CHUNK, length - k * CHUNK);
        }

        @Override
        public void run() {
            try {
                while (!stop) {
                    // a chunk is taken only once its slot is free, so a chunk the helper would have to wait for
                    // stays free for the sink's thread to read itself
                    long k = next.get();
                    if (k >= chunks) {
                        return;
                    }
                    int slot = (int) (k % SLOTS);
                    free[slot].acquireUninterruptibly();
                    if (stop) {
                        return;
                    }
                    if (!next.compareAndSet(k, k + 1)) { // the sink's thread took it meanwhile
                        free[slot].release();
                        continue;
                    }
                    stream(ch, name, offset + k * CHUNK, length(k), buf[slot], NO_SINK);
                    full[slot].release(); // publishes the bytes to the sink's thread
                }
            } catch (Throwable t) {
                failed = t;
                for (Semaphore f : full) {
                    f.release();
                }
            }
        }

        /** Throws what the helper failed with, if it did. */
        void rethrow() throws IOException {
            Throwable t = failed;
            if (t instanceof IOException io) {
                throw io;
            } else if (t instanceof RuntimeException re) {
                throw re;
            } else if (t instanceof Error err) {
                throw err;
            } else if (t != null) {
                throw new IOException(t);
            }
        }

        /** Ends the helper: it returns at its next wait or chunk. */
        void stop() {
            stop = true;
            for (Semaphore f : free) {
                f.release();
            }
        }
    }

    /**
     * The exception for a file that ended before the expected end.
     *
     * @param name the file
     * @param at   where it ended
     * @param end  where it should have ended
     * @return the exception, reason {@code FILE_CHANGED}
     */
    public static WeightmapException fileChanged(String name, long at, long end) {
        return new WeightmapException(WeightmapException.Common.FILE_CHANGED, name, null, name
                + ": the file changed while it was read: it ended before byte " + at + " of the " + end
                + " expected (truncated by another program?)", null);
    }

    /**
     * Whether {@code s} is (a slice of) a memory-mapped file, whose pages can vanish when the file is truncated.
     *
     * @param s any segment
     * @return true for mapped segments
     */
    public static boolean isMapped(MemorySegment s) {
        return s.isNative() && s.isMapped();
    }

    /**
     * Hands {@code seg}'s bytes to {@code sink} through its mapping: {@link #readSegment(MemorySegment,
     * MappedRegion, Consumer)} with no region, for a bare segment whose file is not known.
     *
     * @param seg  the bytes
     * @param sink takes them in order (never a mapping)
     * @throws WeightmapException     {@code FILE_CHANGED} when the file was truncated under the mapping
     * @throws WeightsClosedException when the mapping was closed
     */
    public static void readSegment(MemorySegment seg, Consumer<MemorySegment> sink) {
        readSegment(seg, null, sink);
    }

    /**
     * Hands {@code seg}'s bytes to {@code sink}: a segment that is not a mapping whole and as it is; a mapped one
     * in chunks of at most {@link #CHUNK} bytes in a private buffer, read from the mapped file by positional
     * reads when {@code region} is given, {@code seg} lies in it, is at least {@link MappedRegion#MIN_TRANSFER}
     * bytes and the file is still the one mapped, else copied from the mapping chunk by chunk.
     *
     * @param seg    the bytes
     * @param region the region of the mapping {@code seg} is a slice of, or null when it is not known
     * @param sink   takes them in order (never a mapping)
     * @throws WeightmapException     {@code FILE_CHANGED} naming the file (when the region is known) when it was
     *                                truncated under the mapping; {@code IO_ERROR} when a read fails
     * @throws WeightsClosedException when the mapping was closed
     */
    public static void readSegment(MemorySegment seg, MappedRegion region, Consumer<MemorySegment> sink) {
        if (!isMapped(seg)) {
            sink.accept(seg);
            return;
        }
        long len = seg.byteSize();
        if (len == 0) {
            return;
        }
        String name = nameOf(region);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.min(len, CHUNK), 64);
            MappedRegion.Source src = region != null && len >= MappedRegion.MIN_TRANSFER ? region.open(seg) : null;
            if (src != null) {
                try (src) {
                    stream(src.channel(), name, src.offset(), len, buf, chunk -> {
                        if (!seg.scope().isAlive()) {
                            throw new WeightsClosedException(name);
                        }
                        sink.accept(chunk);
                    });
                } catch (IOException e) {
                    throw new WeightmapException(WeightmapException.Common.IO_ERROR, name, null,
                            name + ": read failed: " + e.getMessage(), e);
                }
                return;
            }
            for (long off = 0; off < len; off += buf.byteSize()) {
                long n = Math.min(buf.byteSize(), len - off);
                try {
                    MemorySegment.copy(seg, off, buf, 0, n);
                } catch (InternalError | IllegalStateException e) {
                    throw translate(e, seg, name);
                }
                sink.accept(buf.asSlice(0, n));
            }
        }
    }

    /**
     * The {@code FILE_CHANGED} exception for the JDK's error on a read of a mapping whose file was truncated.
     *
     * @param name  the mapped file
     * @param fault the JDK's error
     * @return the exception to throw
     * @throws InternalError {@code fault} itself when it is not a fault of a memory access
     */
    public static WeightmapException faulted(String name, InternalError fault) {
        if (fault.getMessage() == null || !fault.getMessage().contains("unsafe memory access")) {
            throw fault;
        }
        return new WeightmapException(WeightmapException.Common.FILE_CHANGED, name, null, name
                + ": the file changed while it was read through its memory mapping (truncated by another"
                + " program?): " + fault.getMessage(), fault);
    }

    /**
     * The file a region maps, for messages.
     *
     * @param region a region, or null
     * @return its file's path, or a generic description when no region is known
     */
    public static String nameOf(MappedRegion region) {
        return region == null ? "a memory-mapped file" : region.path().toString();
    }

    /**
     * Translates what the JDK throws for an access to a mapping that went away: an {@link InternalError} from
     * a fault (the mapped file was truncated) to {@code FILE_CHANGED}, the {@link IllegalStateException} of a
     * closed arena to {@link WeightsClosedException}. Anything else is returned as it is.
     *
     * @param failure what the access threw
     * @param seg     the segment accessed
     * @param region  the region of the mapping {@code seg} is a slice of, naming the file; or null
     * @return the exception to throw
     */
    public static RuntimeException translate(Throwable failure, MemorySegment seg, MappedRegion region) {
        return translate(failure, seg, nameOf(region));
    }

    private static RuntimeException translate(Throwable failure, MemorySegment seg, String name) {
        if (failure instanceof InternalError ie && isMapped(seg)) {
            return faulted(name, ie);
        }
        if (failure instanceof IllegalStateException ise && !(failure instanceof WeightsClosedException)
                && !seg.scope().isAlive()) {
            return new WeightsClosedException(name, ise);
        }
        if (failure instanceof RuntimeException re) {
            return re;
        }
        if (failure instanceof Error err) {
            throw err;
        }
        return new IllegalStateException(failure);
    }
}
