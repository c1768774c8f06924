// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.function.LongSupplier;

/**
 * {@link ChecksumBenchmark}'s one-thread {@code readLoop}, {@code memory} and {@code inCache} for XXH3-64 and
 * XXH3-128, all in one JVM over the same 1 GiB native segment, interleaved round by round and timed by the calling
 * thread's CPU time: on a busy machine JMH's wall-clock scores of separate forks move by more than the gap between
 * the two hashes (each fork gets its own segment and its own share of the cores), while here every round times the
 * read loop and both hashes back to back. Prints per variant the median and minimum CPU milliseconds per GiB and,
 * for the hashes from RAM, the median over the rounds of that round's read-loop time divided by the hash's time
 * (1.0 = as fast as the read loop).
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp benchmarks.jar dev.weightmap.bench.ChecksumCpuTiming
 * [rounds]} (default 15, after 4 warm-up rounds).
 */
public final class ChecksumCpuTiming {
    private ChecksumCpuTiming() {
    }

    private static long sink;

    /**
     * Runs the rounds and prints the table.
     *
     * @param args the number of timed rounds (default 15)
     */
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        long size = ChecksumBenchmark.SIZE;
        MemorySegment memory = Arena.global().allocate(size, 64);
        long x = 0x9E3779B97F4A7C15L;
        for (long off = 0; off < size; off += 8) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            memory.set(ValueLayout.JAVA_LONG_UNALIGNED, off, x);
        }
        MemorySegment slice = memory.asSlice(0, size / 4096);
        String[] names = {"readLoop", "memory xxh3-64", "memory xxh3-128", "inCache xxh3-64", "inCache xxh3-128"};
        LongSupplier[] work = {
            () -> ChecksumBenchmark.readAll(memory),
            () -> Checksums.hex(ChecksumAlgorithm.XXH3_64, memory, 1).hashCode(),
            () -> Checksums.hex(ChecksumAlgorithm.XXH3_128, memory, 1).hashCode(),
            () -> inCache(ChecksumAlgorithm.XXH3_64, slice),
            () -> inCache(ChecksumAlgorithm.XXH3_128, slice),
        };
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[][] ms = new double[work.length][rounds];
        for (int r = -4; r < rounds; r++) {
            for (int v = 0; v < work.length; v++) {
                long t0 = mx.getCurrentThreadCpuTime();
                sink += work[v].getAsLong();
                long t1 = mx.getCurrentThreadCpuTime();
                if (r >= 0) {
                    ms[v][r] = (t1 - t0) / 1e6;
                }
            }
        }
        System.out.printf("%-18s %12s %12s %18s%n", "variant", "median ms", "min ms", "readLoop / this");
        for (int v = 0; v < work.length; v++) {
            double[] q = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                q[r] = ms[0][r] / ms[v][r];
            }
            System.out.printf("%-18s %12.1f %12.1f %18s%n", names[v], Stats.median(ms[v]), Stats.min(ms[v]),
                    v == 1 || v == 2 ? String.format("%.3f", Stats.median(q)) : "");
        }
        System.out.println("(" + rounds + " rounds; ignore: " + sink + ")");
    }

    private static long inCache(ChecksumAlgorithm a, MemorySegment slice) {
        long h = 0;
        for (int i = 0; i < 4096; i++) {
            h += Checksums.hex(a, slice, 1).hashCode();
        }
        return h;
    }
}
