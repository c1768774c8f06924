// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Atomic file writes: the content goes to a temporary file in the target's folder, is forced to disk and then
 * renamed over the target. After any failure the target is untouched and the temporary file is gone. Safe
 * while the target is memory-mapped by a reader (the old inode lives on until unmapped).
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes the content of a file through a channel positioned at 0. */
    @FunctionalInterface
    public interface Body {
        /** Writes the whole content. */
        void write(FileChannel out) throws IOException;
    }

    /**
     * While a long write is in progress, flushes what it has written so far every {@value #FLUSH_EVERY_MS} ms
     * (on one shared daemon thread), so the disk writes overlap the copy into the page cache and the final force
     * has little left to do. Writes shorter than that never see a flush.
     */
    private static final class EarlyFlush {
        private static final ScheduledExecutorService FLUSHER = flusher();

        private static ScheduledExecutorService flusher() {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "weightmap-flush");
                t.setDaemon(true);
                return t;
            });
            e.setRemoveOnCancelPolicy(true); // most writes end before their first flush
            return e;
        }

        static ScheduledFuture<?> start(FileChannel ch) {
            return FLUSHER.scheduleWithFixedDelay(() -> {
                try {
                    if (ch.isOpen()) {
                        ch.force(false);
                    }
                } catch (IOException | RuntimeException ignored) {
                    // only an optimisation: the writer forces the file itself when it is complete
                }
            }, FLUSH_EVERY_MS, FLUSH_EVERY_MS, TimeUnit.MILLISECONDS);
        }
    }

    private static final long FLUSH_EVERY_MS = 50;

    /** Writes {@code target} atomically with the content {@code body} produces. */
    public static void write(Path target, Body body) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        Path tmp = Files.createTempFile(dir, "." + abs.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ScheduledFuture<?> early = EarlyFlush.start(ch);
                try {
                    body.write(ch);
                } finally {
                    early.cancel(false);
                }
                ch.force(true);
            }
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException notPosix) {
                // keep the default permissions
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
