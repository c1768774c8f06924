// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Forces written files to disk on a background thread while the caller writes the next one, so that writing
 * several files (the shards of a checkpoint) overlaps the page-cache copy of one with the disk write of the
 * previous. Each submitted channel is forced and then closed; {@link #awaitAll()} returns once every file is on
 * disk and reports the first failure.
 *
 * <p>{@link #flushWhileWriting} overlaps the disk writes of one file with writing it: every
 * {@value #FLUSH_EVERY_MS} ms a shared daemon thread flushes what has been written so far, so the force at the end
 * has little left to do (a durable write then costs about what copying the bytes and forcing them costs, not the
 * two one after the other).
 */
public final class DeferredForce implements AutoCloseable {
    /** How often a long write's bytes so far are flushed. */
    static final long FLUSH_EVERY_MS = 50;

    private static final class Flusher {
        static final ScheduledExecutorService FLUSHER = flusher();

        private static ScheduledExecutorService flusher() {
            ScheduledThreadPoolExecutor e = new ScheduledThreadPoolExecutor(1, r -> {
                Thread t = new Thread(r, "weightmap-flush");
                t.setDaemon(true);
                return t;
            });
            e.setRemoveOnCancelPolicy(true); // most writes end before their first flush
            return e;
        }
    }

    /** Stops the early flushes of one file when closed (the writer then forces the file itself). */
    @FunctionalInterface
    public interface Flushing extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * While the caller writes {@code ch}, flushes what it has written so far every {@value #FLUSH_EVERY_MS} ms on a
     * shared daemon thread. Writes shorter than that never see a flush. A failing flush is ignored: it is only an
     * optimisation, the writer forces the complete file itself.
     *
     * @param ch      the file being written
     * @param enabled false for writes that are not forced at all (then nothing is scheduled)
     * @return closes to stop the flushes, before the writer's own force
     */
    public static Flushing flushWhileWriting(FileChannel ch, boolean enabled) {
        if (!enabled) {
            return () -> { };
        }
        ScheduledFuture<?> f = Flusher.FLUSHER.scheduleWithFixedDelay(() -> {
            try {
                if (ch.isOpen()) {
                    ch.force(false);
                }
            } catch (IOException | RuntimeException ignored) {
                // only an optimisation: the writer forces the file itself when it is complete
            }
        }, FLUSH_EVERY_MS, FLUSH_EVERY_MS, TimeUnit.MILLISECONDS);
        return () -> f.cancel(false);
    }

    private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "weightmap-force");
        t.setDaemon(true);
        return t;
    });
    private final List<Future<?>> pending = new ArrayList<>();
    private final boolean force;

    /** Forces every submitted file. */
    public DeferredForce() {
        this(true);
    }

    /**
     * With {@code force} false submitted files are only closed, not forced (saves that need not be durable).
     *
     * @param force whether to force submitted files to disk
     */
    public DeferredForce(boolean force) {
        this.force = force;
    }

    /** Takes ownership of {@code ch}: it is forced (data and metadata) and closed in the background. */
    public void submit(FileChannel ch) {
        pending.add(executor.submit(() -> {
            try (ch) {
                if (force) {
                    ch.force(true);
                }
            }
            return null;
        }));
    }

    /**
     * Waits until every submitted file is forced and closed.
     *
     * @throws IOException the first failure of a force or close
     */
    public void awaitAll() throws IOException {
        IOException first = null;
        for (Future<?> f : pending) {
            try {
                f.get();
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (first == null) {
                    first = c instanceof IOException io ? io : new IOException("forcing a file to disk failed", c);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while forcing files to disk");
            }
        }
        pending.clear();
        if (first != null) {
            throw first;
        }
    }

    /** Waits for the files still pending (failures ignored: the caller is already failing) and stops the thread. */
    @Override
    public void close() {
        try {
            awaitAll();
        } catch (IOException ignored) {
            // reported by awaitAll() on the success path; here the caller is unwinding another failure
        } finally {
            executor.shutdown();
        }
    }
}
