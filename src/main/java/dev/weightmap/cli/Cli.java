// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.io.PrintStream;

/** The streams and terminal facts a command runs with. */
final class Cli {
    private final PrintStream out;
    private final PrintStream err;
    private final boolean terminal;
    private boolean debug;

    Cli(PrintStream out, PrintStream err, boolean terminal) {
        this.out = out;
        this.err = err;
        this.terminal = terminal;
    }

    /** Standard output. */
    PrintStream out() {
        return out;
    }

    /** Standard error. */
    PrintStream err() {
        return err;
    }

    /** Whether stderr is an interactive terminal (progress is shown only then). */
    boolean isTerminal() {
        return terminal;
    }

    boolean debug() {
        return debug;
    }

    void setDebug(boolean debug) {
        this.debug = debug;
    }

    /** Inputs at least this large show progress on a terminal. */
    static final long PROGRESS_THRESHOLD = 256L << 20;

    /** A progress reporter on stderr: silent unless on a terminal and {@code totalBytes} is large. */
    Progress progress(String label, long totalBytes) {
        return new Progress(err, label, totalBytes, terminal && totalBytes >= PROGRESS_THRESHOLD);
    }

    /** Progress of a long operation, printed in place on stderr at most ten times a second. */
    static final class Progress {
        private final PrintStream err;
        private final String label;
        private final long total;
        private final boolean enabled;
        private long lastPrint;
        private long done;

        Progress(PrintStream err, String label, long total, boolean enabled) {
            this.err = err;
            this.label = label;
            this.total = total;
            this.enabled = enabled;
        }

        /** Records that {@code bytes} more bytes are done. */
        synchronized void add(long bytes) {
            update(done + bytes);
        }

        /** Records that {@code doneBytes} bytes are done in all. */
        synchronized void update(long doneBytes) {
            done = doneBytes;
            if (!enabled) {
                return;
            }
            long now = System.nanoTime();
            if (now - lastPrint < 100_000_000L && doneBytes < total) {
                return;
            }
            lastPrint = now;
            long pct = total == 0 ? 100 : Math.min(100, doneBytes * 100 / total);
            err.printf("\r%s %3d%% (%d / %d MB)", label, pct, doneBytes >> 20, total >> 20);
            err.flush();
        }

        /** Ends the progress line. */
        synchronized void done() {
            if (enabled) {
                update(total);
                err.println();
            }
        }
    }
}
