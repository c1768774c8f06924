// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.Callable;

/**
 * The one-thread benchmarks of {@link DequantizeBenchmark} and {@link QuantizeBenchmark} timed by the calling
 * thread's CPU time as well as by the wall clock, for machines too busy for JMH's wall-clock scores: CPU time is
 * what the work costs whatever else runs. Prints, per benchmark, the minimum and median of both over the runs
 * (after warm-up calls). Compare with gguf-py timed by {@code time.thread_time()} on the same machine.
 *
 * <p>{@code java --add-modules jdk.incubator.vector -cp benchmarks.jar dev.weightmap.bench.GgufCpuTiming [runs
 * [types]]}: {@code types} a comma-separated subset of the dequantized ones (each JIT profile then sees only
 * those; the default runs all five and both quantizers in one JVM).
 */
public final class GgufCpuTiming {
    private GgufCpuTiming() {
    }

    /**
     * Times every one-thread benchmark.
     *
     * @param args the number of timed runs (default 15), then optionally the types to dequantize (no quantizing)
     * @throws Exception when a benchmark fails
     */
    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 15;
        String[] types = args.length > 1 ? args[1].split(",")
                : new String[] {"Q4_0", "Q8_0", "Q4_K", "Q6_K", "IQ4_XS"};
        for (String type : types) {
            DequantizeBenchmark d = new DequantizeBenchmark();
            d.type = type;
            d.setUp();
            time("dequantize " + type, runs, d::dequantize);
            time("dequantizeFresh " + type, runs, d::dequantizeFresh);
            time("streamRows " + type, runs, d::streamRows);
            if (type.equals("Q8_0")) {
                time("copyF32", runs, d::copyF32);
                time("copyF32Fresh", runs, d::copyF32Fresh);
                time("copyF32StreamRows", runs, d::copyF32StreamRows);
            }
            d.tearDown();
        }
        for (String type : args.length > 1 ? new String[0] : new String[] {"Q8_0", "Q4_0"}) {
            QuantizeBenchmark q = new QuantizeBenchmark();
            q.type = type;
            q.setUp();
            time("quantize " + type, runs, q::quantize);
        }
    }

    private static void time(String name, int runs, Callable<?> work) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20; i++) {
            work.call();
        }
        double[] cpu = new double[runs];
        double[] wall = new double[runs];
        for (int i = 0; i < runs; i++) {
            long c0 = mx.getCurrentThreadCpuTime();
            long w0 = System.nanoTime();
            work.call();
            wall[i] = (System.nanoTime() - w0) / 1e6;
            cpu[i] = (mx.getCurrentThreadCpuTime() - c0) / 1e6;
        }
        Arrays.sort(cpu);
        Arrays.sort(wall);
        System.out.printf("%-26s cpu min %8.2f median %8.2f ms   wall min %8.2f median %8.2f ms%n", name, cpu[0],
                cpu[runs / 2], wall[0], wall[runs / 2]);
    }
}
