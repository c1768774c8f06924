// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fault-injection seams of the writers (tests only; costs one counter increment per file-system step).
 *
 * <ul>
 *   <li>Every step that changes the file system (create, content written, force, rename, link, delete, mkdir,
 *       folder force) calls {@link #step(String)}. With the system property {@code weightmap.faults.haltAtStep=N}
 *       the JVM halts ({@code Runtime.halt(86)}, no shutdown hooks, like a {@code kill -9}) just before the Nth
 *       step; with {@code weightmap.faults.trace=true} every step is printed on stderr.</li>
 *   <li>{@link #writeFault}: a hook a test sets to make the content write of a chosen target fail (for example
 *       with "No space left on device") after the content went to the temporary file.</li>
 * </ul>
 */
public final class FsSteps {
    private static final long HALT_AT = Long.getLong("weightmap.faults.haltAtStep", 0L);
    private static final boolean TRACE = Boolean.getBoolean("weightmap.faults.trace");
    private static final AtomicLong STEPS = new AtomicLong();

    /** A failure injected into the write of one target. */
    @FunctionalInterface
    public interface WriteFault {
        /**
         * Called after the content of {@code target} was written to its temporary file, before it is forced.
         *
         * @param target the final name being written
         * @throws IOException the injected failure
         */
        void afterContent(Path target) throws IOException;
    }

    /** The injected write failure, or null (the default). Tests set it and reset it in a finally block. */
    public static volatile WriteFault writeFault;

    private FsSteps() {
    }

    /**
     * Records one file-system step (and halts the JVM at the configured one).
     *
     * @param what a short description, for the trace
     */
    public static void step(String what) {
        long n = STEPS.incrementAndGet();
        if (TRACE) {
            System.err.println("weightmap-step " + n + " " + what);
        }
        if (n == HALT_AT) {
            Runtime.getRuntime().halt(86);
        }
    }

    /**
     * The number of steps taken so far in this JVM.
     *
     * @return the count
     */
    public static long count() {
        return STEPS.get();
    }

    /**
     * Calls the injected write fault, if any, for {@code target} (after its content went to a temporary name).
     *
     * @param target the final name being written
     * @throws IOException the injected failure
     */
    public static void afterContent(Path target) throws IOException {
        WriteFault f = writeFault;
        if (f != null) {
            f.afterContent(target);
        }
    }
}
