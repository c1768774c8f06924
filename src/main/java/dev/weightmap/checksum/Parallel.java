// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntConsumer;

/** Runs index tasks on a few short-lived platform threads (the caller works too). */
final class Parallel {
    private Parallel() {
    }

    /** Whether threads other than the caller may read the segment (false for confined arenas). */
    static boolean shareable(MemorySegment s) {
        return s.isAccessibleBy(Thread.ofPlatform().unstarted(() -> { }));
    }

    /** Runs {@code task(0..count-1)} on up to {@code threads} threads; rethrows the first failure. */
    static void forEach(int count, int threads, IntConsumer task) {
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
            helpers[t] = Thread.ofPlatform().name("weightmap-hash-" + t).daemon().start(worker);
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
