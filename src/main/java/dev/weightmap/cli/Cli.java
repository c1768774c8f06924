// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.io.PrintStream;
import java.util.function.BooleanSupplier;

/** The streams and terminal facts a command runs with. */
final class Cli {
    private final PrintStream out;
    private final PrintStream err;
    private final BooleanSupplier terminalCheck;
    private Boolean terminal;
    private boolean debug;

    Cli(PrintStream out, PrintStream err, boolean terminal) {
        this(out, err, () -> terminal);
    }

    /** With the terminal check asked the first time it matters (it links a native call: a cost at start-up). */
    Cli(PrintStream out, PrintStream err, BooleanSupplier terminal) {
        this.out = out;
        this.err = err;
        this.terminalCheck = terminal;
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
        if (terminal == null) {
            terminal = terminalCheck.getAsBoolean();
        }
        return terminal;
    }

    boolean debug() {
        return debug;
    }

    void setDebug(boolean debug) {
        this.debug = debug;
    }

    /** When progress is shown: {@code --progress}, {@code --no-progress}, or by default only on a terminal. */
    enum ProgressMode {
        /** Shown when stderr is a terminal, once an operation has run for {@link #AUTO_DELAY_NANOS}. */
        AUTO,
        /** Always shown, from the start ({@code --progress}), also on a pipe or into a file. */
        ON,
        /** Never shown ({@code --no-progress}). */
        OFF
    }

    /** An operation shows automatic progress only once it has run this long (short runs stay silent). */
    static final long AUTO_DELAY_NANOS = 1_000_000_000L;

    private ProgressMode progressMode = ProgressMode.AUTO;

    void setProgressMode(ProgressMode mode) {
        this.progressMode = mode;
    }

    ProgressMode progressMode() {
        return progressMode;
    }

    /**
     * A progress reporter on stderr for an operation over {@code totalBytes} bytes (negative when the amount of
     * work is unknown: then only the elapsed time is shown). Silent with {@code --no-progress}, and by default
     * when stderr is not a terminal.
     */
    Progress progress(String label, long totalBytes) {
        boolean enabled = switch (progressMode) {
            case ON -> true;
            case OFF -> false;
            case AUTO -> isTerminal();
        };
        return new Progress(err, label, totalBytes, enabled, progressMode == ProgressMode.ON ? 0 : AUTO_DELAY_NANOS,
                enabled && isTerminal() ? Terminal.columns(Terminal.STDERR) : Terminal.DEFAULT_COLUMNS);
    }

    /**
     * Progress of a long operation: one line on stderr, redrawn in place with a carriage return at most ten times a
     * second, showing bytes done / total, percentage, rate and time left, and cleared at the end. Updates may come
     * from several threads; {@link #sample} polls a source of byte counts instead.
     */
    static final class Progress implements AutoCloseable {
        private static final long REDRAW_NANOS = 100_000_000L;
        private static final long SAMPLE_MILLIS = 200;
        private static final int MIN_LABEL = 16;

        private final PrintStream err;
        private final String label;
        private final long total;
        private final boolean enabled;
        private final long start = System.nanoTime();
        private final long delay;
        private final int width;
        private long lastDraw;
        private long done;
        private int drawnWidth;
        private boolean finished;
        private Thread sampler;

        Progress(PrintStream err, String label, long total, boolean enabled, long delayNanos, int width) {
            this.err = err;
            this.label = label;
            this.width = width;
            this.total = total;
            this.enabled = enabled;
            this.delay = delayNanos;
        }

        /**
         * {@code label} in at most {@code max} characters: its first word, then the end of the rest, preferring the
         * last path element ("hashing model.bin", "hashing …/model.bin", "hashing …del.bin").
         */
        static String shorten(String label, int max) {
            if (label.length() <= max) {
                return label;
            }
            int sp = label.indexOf(' ');
            String head = sp > 0 && sp < max / 2 ? label.substring(0, sp + 1) : "";
            int keep = Math.max(0, max - head.length() - 1);
            String rest = label.substring(head.length());
            int slash = rest.lastIndexOf('/', rest.length() - 2);
            if (slash >= 0 && rest.length() - slash <= keep) {
                return head + "…" + rest.substring(slash);
            }
            return head + "…" + rest.substring(rest.length() - Math.min(keep, rest.length()));
        }

        /** Whether this progress is shown at all (else every call is a no-op). */
        boolean enabled() {
            return enabled;
        }

        /** Records that {@code bytes} more bytes are done. */
        synchronized void add(long bytes) {
            update(done + bytes);
        }

        /** Records that {@code doneBytes} bytes are done in all. */
        synchronized void update(long doneBytes) {
            done = Math.max(done, doneBytes);
            draw(false);
        }

        /**
         * Polls {@code doneBytes} every 200 ms on a daemon thread until {@link #done()}, for work whose byte count is
         * observed from outside (the size of the files an operation writes), or only to keep the elapsed time of
         * work of unknown size current.
         */
        synchronized void sample(java.util.function.LongSupplier doneBytes) {
            if (!enabled || sampler != null || finished) {
                return;
            }
            sampler = Thread.ofPlatform().daemon().name("weightmap-progress").start(() -> {
                try {
                    while (!Thread.currentThread().isInterrupted()) {
                        long d = doneBytes.getAsLong();
                        synchronized (this) {
                            if (finished) {
                                return;
                            }
                            done = Math.max(done, d);
                            draw(false);
                        }
                        Thread.sleep(SAMPLE_MILLIS);
                    }
                } catch (InterruptedException e) {
                    // done
                } catch (RuntimeException e) {
                    // a failing probe only ends the sampling; the operation reports its own errors
                }
            });
        }

        private void draw(boolean force) {
            if (!enabled || finished) {
                return;
            }
            long now = System.nanoTime();
            if (now - start < delay || (!force && drawnWidth > 0 && now - lastDraw < REDRAW_NANOS)) {
                return;
            }
            lastDraw = now;
            String line = line(now - start, done);
            int pad = Math.max(0, drawnWidth - line.length());
            err.print("\r" + line + " ".repeat(pad));
            err.flush();
            drawnWidth = line.length();
        }

        /**
         * The progress line after {@code elapsedNanos} with {@code done} bytes done (without the carriage return): the
         * label, shortened so the line fits {@code width - 1} columns, then the counts.
         */
        String line(long elapsedNanos, long done) {
            double seconds = elapsedNanos / 1e9;
            StringBuilder sb = new StringBuilder();
            if (total < 0) {
                if (done > 0) {
                    sb.append("  ").append(bytes(done));
                }
                sb.append("  ").append(duration(seconds));
            } else {
                long shown = Math.min(done, total);
                sb.append("  ").append(bytes(shown)).append(" / ").append(bytes(total));
                sb.append(String.format(java.util.Locale.ROOT, "  %3d%%", total == 0 ? 100 : (int) (shown * 100 / total)));
                double rate = seconds > 0 ? shown / seconds : 0;
                if (rate > 0) {
                    sb.append("  ").append(bytes((long) rate)).append("/s");
                    if (shown < total) {
                        sb.append("  ETA ").append(duration((total - shown) / rate));
                    }
                }
            }
            return shorten(label, Math.max(MIN_LABEL, width - 1 - sb.length())) + sb;
        }

        /** A byte count in binary units with three significant digits, e.g. {@code 812 MiB}, {@code 1.25 GiB}. */
        static String bytes(long n) {
            if (n < 1024) {
                return n + " B";
            }
            String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
            double v = n;
            int u = -1;
            while (v >= 1024 && u < units.length - 1) {
                v /= 1024;
                u++;
            }
            String f = v >= 100 ? "%.0f %s" : v >= 10 ? "%.1f %s" : "%.2f %s";
            return String.format(java.util.Locale.ROOT, f, v, units[u]);
        }

        /** A duration as {@code 42s}, {@code 3m07s}, {@code 2h05m} or {@code >99h}. */
        static String duration(double seconds) {
            long s = (long) Math.ceil(seconds);
            if (s < 60) {
                return s + "s";
            }
            if (s < 3600) {
                return String.format(java.util.Locale.ROOT, "%dm%02ds", s / 60, s % 60);
            }
            if (s < 100 * 3600) {
                return String.format(java.util.Locale.ROOT, "%dh%02dm", s / 3600, (s % 3600) / 60);
            }
            return ">99h";
        }

        /**
         * Ends the progress: stops sampling and, when a line was drawn, clears it (a carriage return, spaces, a
         * carriage return), so what follows on stderr starts on a clean line. Idempotent.
         */
        void done() {
            Thread t;
            synchronized (this) {
                if (finished) {
                    return;
                }
                if (enabled && delay == 0) {
                    draw(true); // a forced display shows the final count at least once
                }
                finished = true;
                t = sampler;
                if (drawnWidth > 0) {
                    err.print("\r" + " ".repeat(drawnWidth) + "\r");
                    err.flush();
                }
            }
            if (t != null) {
                t.interrupt();
            }
        }

        /** Whether a progress line was ever drawn: the operation lasted long enough to be shown. */
        synchronized boolean shown() {
            return drawnWidth > 0;
        }

        @Override
        public void close() {
            done();
        }
    }
}
