// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.Weights;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The "load" of a checkpoint as a whole process, one line per round; round 1 of a fresh process is the "first
 * load", later rounds the warm-JVM load. {@code java -cp benchmarks.jar dev.weightmap.bench.LoadRun DIR ROUNDS
 * [WORK] [prefetch] [touch] [evict]}. Each round opens the checkpoint, collects every tensor's {@code data()}
 * (the files are mapped here), optionally prepares the pages, does the work, closes. WORK is what the caller does
 * with the bytes:
 * <ul>
 * <li>{@code sum} (the default): sums every tensor as 64-bit words in a loop of the caller's own code;</li>
 * <li>{@code copy}: copies every tensor with {@link Tensor#copyTo} into one reused 16 MiB native buffer, then
 * reads one word of it (a bulk copy, the JDK's intrinsic, needing no warm-up of the caller's code);</li>
 * <li>{@code none}: nothing (with {@code prefetch} or {@code touch}: the page work alone).</li>
 * </ul>
 * {@code prefetch} calls {@link Weights#prefetch()} before the work; {@code touch} reads one byte of every 4 KiB
 * page on the calling thread before the work (page-cache lookups and page-table population, no summing);
 * {@code evict} drops the files from the page cache before each round ({@link Eviction#evict},
 * {@code posix_fadvise(POSIX_FADV_DONTNEED)}). Each line gives the round's wall time, then per phase (open; map:
 * collecting every tensor's data; prep; work; close) the wall time and the calling thread's CPU time, and the
 * process's CPU time over the round (the difference to the calling thread's is other threads': the JIT compilers,
 * GC, prefetch workers).
 */
public final class LoadRun {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final java.lang.management.OperatingSystemMXBean OS = ManagementFactory.getOperatingSystemMXBean();
    /** {@code -Dweightmap.bench.trace=true}: the JVM uptime at the open and at the work's start and end, on stderr. */
    private static final boolean TRACE = Boolean.getBoolean("weightmap.bench.trace");
    /** The reused destination of the {@code copy} work. */
    private static MemorySegment buffer;

    private LoadRun() {
    }

    /**
     * Runs the rounds.
     *
     * @param args DIR ROUNDS [sum|copy|none] [prefetch] [touch] [evict]
     * @throws IOException when the checkpoint cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        List<String> flags = List.of(args).subList(2, args.length);
        boolean prefetch = flags.contains("prefetch");
        boolean touch = flags.contains("touch");
        boolean evict = flags.contains("evict");
        String work = flags.contains("copy") ? "copy" : flags.contains("none") ? "none" : "sum";
        processCpu(); // the clocks' own first use stays out of round 1
        ManagementFactory.getRuntimeMXBean().getUptime();
        THREADS.getCurrentThreadCpuTime();
        for (int r = 1; r <= rounds; r++) {
            if (evict) {
                List<Path> files;
                try (Weights w = Weights.open(dir)) {
                    files = w.files();
                }
                Eviction.evict(files); // after the close: pages of a mapped file would stay
            }
            long[] t = new long[14];
            long p0 = processCpu();
            long t0 = System.nanoTime();
            long sum = load(dir, work, prefetch, touch, t);
            double ms = (System.nanoTime() - t0) / 1e6;
            double pms = (processCpu() - p0) / 1e6;
            System.out.printf("round %d: %.1f ms, %.2f GB/s (%d bytes, sum %x) | open %.1f (cpu %.1f) map %.1f "
                    + "(cpu %.1f) prep %.1f (cpu %.1f user %.1f) %s %.1f (cpu %.1f user %.1f) close %.1f (cpu %.1f) | "
                    + "process cpu %.0f ms%n", r, ms, t[10] / ms / 1e6, t[10], sum, t[0] / 1e6, t[1] / 1e6,
                    t[12] / 1e6, t[13] / 1e6, t[2] / 1e6, t[3] / 1e6,
                    t[11] / 1e6, work, t[4] / 1e6, t[5] / 1e6, t[9] / 1e6, t[6] / 1e6, t[7] / 1e6, pms);
        }
    }

    private static long processCpu() {
        return OS instanceof com.sun.management.OperatingSystemMXBean os ? os.getProcessCpuTime() : -1;
    }

    /** One load with the default work ({@code sum}); {@code bytes[0]} gets the bytes summed. */
    static long load(Path dir, boolean prefetch, long[] bytes) throws IOException {
        long[] t = new long[14];
        long s = load(dir, "sum", prefetch, false, t);
        bytes[0] = t[10];
        return s;
    }

    /**
     * One load: open, collect every tensor's data, optionally prefetch / touch, do the work, close. {@code t} gets
     * wall / thread-CPU nanoseconds per phase at [0,1] open, [12,13] map (every tensor's data), [2,3] prep,
     * [4,5] work, [6,7] close; the thread's user-mode CPU of open + map, work and prep at [8], [9], [11]; the bytes
     * at [10].
     */
    static long load(Path dir, String work, boolean prefetch, boolean touch, long[] t) throws IOException {
        if (TRACE) {
            System.err.printf("[%.3fs] open starts%n", ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
        }
        long w0 = System.nanoTime();
        long c0 = THREADS.getCurrentThreadCpuTime();
        long u0 = THREADS.getCurrentThreadUserTime();
        long s = 0;
        long n = 0;
        Weights w = Weights.open(dir);
        long wm = System.nanoTime();
        long cm = THREADS.getCurrentThreadCpuTime();
        try {
            List<MemorySegment> data = new ArrayList<>();
            for (Tensor x : w.tensors().values()) {
                data.add(x.data());
            }
            long w1 = System.nanoTime();
            long c1 = THREADS.getCurrentThreadCpuTime();
            long u1 = THREADS.getCurrentThreadUserTime();
            if (prefetch) {
                w.prefetch();
            }
            if (touch) {
                for (MemorySegment d : data) {
                    s += touch(d);
                }
            }
            long w2 = System.nanoTime();
            long c2 = THREADS.getCurrentThreadCpuTime();
            long u2 = THREADS.getCurrentThreadUserTime();
            if (TRACE) {
                System.err.printf("[%.3fs] work starts%n", ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
            }
            switch (work) {
                case "sum" -> {
                    for (MemorySegment d : data) {
                        s += sum(d);
                    }
                }
                case "copy" -> {
                    if (buffer == null) {
                        buffer = Arena.global().allocate(16L << 20, 64);
                    }
                    for (Tensor x : w.tensors().values()) {
                        if (x.byteLength() > buffer.byteSize()) {
                            buffer = Arena.global().allocate(x.byteLength(), 64);
                        }
                        x.copyTo(buffer);
                        s += buffer.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
                    }
                }
                default -> {
                }
            }
            for (MemorySegment d : data) {
                n += d.byteSize();
            }
            long w3 = System.nanoTime();
            long c3 = THREADS.getCurrentThreadCpuTime();
            long u3 = THREADS.getCurrentThreadUserTime();
            if (TRACE) {
                System.err.printf("[%.3fs] work ends%n", ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
            }
            t[0] = wm - w0;
            t[1] = cm - c0;
            t[12] = w1 - wm;
            t[13] = c1 - cm;
            t[2] = w2 - w1;
            t[3] = c2 - c1;
            t[4] = w3 - w2;
            t[5] = c3 - c2;
            t[8] = u1 - u0;
            t[9] = u3 - u2;
            t[11] = u2 - u1;
            t[10] = n;
        } finally {
            long w3 = System.nanoTime();
            long c3 = THREADS.getCurrentThreadCpuTime();
            w.close();
            t[6] = System.nanoTime() - w3;
            t[7] = THREADS.getCurrentThreadCpuTime() - c3;
        }
        return s;
    }

    /** Reads one byte of every 4 KiB page of {@code d}; returns their sum. */
    static long touch(MemorySegment d) {
        long s = 0;
        for (long o = 0; o < d.byteSize(); o += 4096) {
            s += d.get(ValueLayout.JAVA_BYTE, o);
        }
        return s;
    }

    /** The sum of {@code d} as little-endian 64-bit words (a last partial word as bytes). */
    static long sum(MemorySegment d) {
        long n = d.byteSize();
        long words = n & ~7L;
        long s0 = 0;
        long s1 = 0;
        long i = 0;
        for (; i + 16 <= words; i += 16) {
            s0 += d.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
            s1 += d.get(ValueLayout.JAVA_LONG_UNALIGNED, i + 8);
        }
        for (; i < words; i += 8) {
            s0 += d.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        for (; i < n; i++) {
            s1 += d.get(ValueLayout.JAVA_BYTE, i);
        }
        return s0 + s1;
    }
}
