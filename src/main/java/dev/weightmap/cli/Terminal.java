// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Whether a file descriptor is a terminal, asked of the C library's {@code isatty} through a foreign-function
 * downcall. {@link System#console()} cannot answer this for stderr alone: it looks at stdin and stdout, so
 * {@code weightmap hash big > out.txt} would show no progress and {@code weightmap hash big 2> log} would write
 * progress lines into the log. Where the C library or the downcall is unavailable (no native access granted, an
 * unusual platform) every descriptor counts as "not a terminal".
 */
final class Terminal {
    /** The standard error descriptor. */
    static final int STDERR = 2;

    private static final MethodHandle ISATTY = lookup();

    private Terminal() {
    }

    private static MethodHandle lookup() {
        try {
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> isatty = linker.defaultLookup().find("isatty");
            if (isatty.isEmpty()) {
                return null;
            }
            return linker.downcallHandle(isatty.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        } catch (RuntimeException | LinkageError e) { // IllegalCallerException without native access, and the like
            return null;
        }
    }

    /** Whether {@code fd} refers to a terminal; false when that cannot be found out. */
    static boolean isTerminal(int fd) {
        if (ISATTY == null) {
            return false;
        }
        try {
            return (int) ISATTY.invokeExact(fd) == 1;
        } catch (Throwable e) {
            return false;
        }
    }

    /** Whether standard error is a terminal. */
    static boolean stderrIsTerminal() {
        return isTerminal(STDERR);
    }
}
