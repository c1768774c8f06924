// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.lang.foreign.Arena;
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

    /** The width assumed when a terminal's cannot be asked for. */
    static final int DEFAULT_COLUMNS = 80;

    private static final MethodHandle ISATTY = lookup();
    private static final MethodHandle IOCTL = ioctl();

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

    /** {@code ioctl(int, unsigned long, struct winsize *)}, on Linux and macOS; null elsewhere or on failure. */
    private static MethodHandle ioctl() {
        try {
            if (winsizeRequest() == 0) {
                return null;
            }
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> ioctl = linker.defaultLookup().find("ioctl");
            if (ioctl.isEmpty()) {
                return null;
            }
            return linker.downcallHandle(ioctl.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG, ValueLayout.ADDRESS), Linker.Option.firstVariadicArg(2));
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** TIOCGWINSZ of this operating system, or 0 when unknown. */
    private static long winsizeRequest() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        if (os.contains("linux")) {
            return 0x5413L;
        }
        if (os.contains("mac") || os.contains("darwin")) {
            return 0x40087468L;
        }
        return 0;
    }

    /**
     * The width in columns of the terminal {@code fd} refers to ({@code ioctl(TIOCGWINSZ)}), or
     * {@link #DEFAULT_COLUMNS} when it is not a terminal or cannot be asked.
     */
    static int columns(int fd) {
        if (IOCTL == null) {
            return DEFAULT_COLUMNS;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment winsize = arena.allocate(8, 2); // unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel
            if ((int) IOCTL.invokeExact(fd, winsizeRequest(), winsize) != 0) {
                return DEFAULT_COLUMNS;
            }
            int cols = Short.toUnsignedInt(winsize.get(ValueLayout.JAVA_SHORT, 2));
            return cols >= 20 ? cols : DEFAULT_COLUMNS;
        } catch (Throwable e) {
            return DEFAULT_COLUMNS;
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
