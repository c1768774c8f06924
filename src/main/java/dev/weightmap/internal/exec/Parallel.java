// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.exec;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/**
 * The one way weightmap runs work in parallel: index tasks on a few short-lived platform threads of its own, the
 * caller working too. Library code never uses the common fork-join pool (it belongs to the application).
 */
public final class Parallel {
    private Parallel() {
    }

    /**
     * Whether threads other than the caller may read the segment.
     *
     * @param s a segment
     * @return false for segments of confined arenas
     */
    public static boolean shareable(MemorySegment s) {
        return s.isAccessibleBy(Thread.ofPlatform().unstarted(() -> { }));
    }

    /**
     * Runs {@code task(0..count-1)} on up to {@code threads} threads (the caller included) and waits for all;
     * after a failure no new index starts. An interrupt while waiting is kept for the caller.
     *
     * @param count the number of tasks
     * @param threads the most threads to use; 1 or less runs everything on the caller
     * @param task the task, given each index once
     * @throws RuntimeException the first failure of a task (a checked one wrapped in an
     *         {@link IllegalStateException}); an {@link Error} is rethrown as it is
     */
    public static void forEach(int count, int threads, IntConsumer task) {
        int n = Math.max(1, Math.min(threads, count));
        if (n == 1) {
            for (int i = 0; i < count; i++) {
                task.accept(i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable worker = () -> {
            int i;
            while (failure.get() == null && (i = next.getAndIncrement()) < count) {
                try {
                    task.accept(i);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }
        };
        Thread[] helpers = new Thread[n - 1];
        for (int t = 0; t < helpers.length; t++) {
            helpers[t] = Thread.ofPlatform().name("weightmap-worker-" + t).daemon().start(worker);
        }
        worker.run();
        boolean interrupted = false;
        for (Thread t : helpers) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error err) {
            throw err;
        }
        if (t != null) {
            throw new IllegalStateException(t);
        }
    }
}
