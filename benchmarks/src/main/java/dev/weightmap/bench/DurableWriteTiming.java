// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The durable writes of {@link SaveBenchmark} and {@link DdufExportBenchmark} against their copy-and-force floors,
 * in interleaved rounds in one JVM, for a machine whose disk and cores are shared: JMH runs one benchmark's
 * iterations after another's, so a neighbour's burst of writes lands on one side only. Each round runs every
 * variant once (the order rotated each round and reversed every other round, a {@code sync} before each); the output is, per pair, the medians of the wall times and the median and range of the
 * round-by-round ratios ours / floor.
 *
 * <p>{@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp benchmarks.jar
 * dev.weightmap.bench.DurableWriteTiming [rounds]} (default 7, after one warm-up round).
 */
public final class DurableWriteTiming {
    private DurableWriteTiming() {
    }

    /**
     * Runs the rounds and prints the table.
     *
     * @param args the number of timed rounds (default 7)
     * @throws Exception when a write fails
     */
    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        SaveBenchmark s = new SaveBenchmark();
        DdufExportBenchmark d = new DdufExportBenchmark();
        d.sizeMiB = 1024;
        s.setup();
        d.setup();
        Map<String, Callable<?>> work = new LinkedHashMap<>();
        work.put("save1File", () -> inFresh(s, s::save1File));
        work.put("save5Shards", () -> inFresh(s, s::save5Shards));
        work.put("filesCopyAndForce", () -> inFresh(s, s::filesCopyAndForce));
        work.put("save1FileFromMemory", () -> inFresh(s, s::save1FileFromMemory));
        work.put("writeAndForceFromMemory", () -> inFresh(s, s::writeAndForceFromMemory));
        work.put("exportFolder", d::exportFolder); // replaces the archive, as the floor replaces its copies
        work.put("ddufFilesCopyAndForce", d::filesCopyAndForce);
        List<String> names = new ArrayList<>(work.keySet());
        Map<String, double[]> ms = new LinkedHashMap<>();
        names.forEach(n -> ms.put(n, new double[rounds]));
        try {
            for (int r = -1; r < rounds; r++) {
                for (int k = 0; k < names.size(); k++) {
                    // rotated every round and reversed every other one: each variant runs before and after its floor
                    int i = Math.floorMod(k + r, names.size());
                    String n = names.get(Math.floorMod(r, 2) == 1 ? names.size() - 1 - i : i);
                    new ProcessBuilder("sync").inheritIO().start().waitFor();
                    long t0 = System.nanoTime();
                    work.get(n).call();
                    double t = (System.nanoTime() - t0) / 1e6;
                    if (r >= 0) {
                        ms.get(n)[r] = t;
                    }
                }
                System.out.printf("round %d done (load %s)%n", r + 1, Files.readString(java.nio.file.Path.of(
                        "/proc/loadavg")).strip());
            }
        } finally {
            s.tearDown();
            d.tearDown();
        }
        for (String n : names) {
            System.out.printf("%-26s median %8.1f ms  min %8.1f ms%n", n, Stats.median(ms.get(n)), Stats.min(ms.get(n)));
        }
        ratio("save1File / filesCopyAndForce", ms.get("save1File"), ms.get("filesCopyAndForce"));
        ratio("save5Shards / filesCopyAndForce", ms.get("save5Shards"), ms.get("filesCopyAndForce"));
        ratio("save1FileFromMemory / writeAndForceFromMemory", ms.get("save1FileFromMemory"),
                ms.get("writeAndForceFromMemory"));
        ratio("exportFolder / ddufFilesCopyAndForce", ms.get("exportFolder"), ms.get("ddufFilesCopyAndForce"));
    }

    private static Object inFresh(SaveBenchmark s, Callable<?> c) throws Exception {
        s.freshOutput();
        try {
            return c.call();
        } finally {
            s.dropOutput();
        }
    }

    private static void ratio(String what, double[] ours, double[] floor) {
        double[] q = new double[ours.length];
        for (int i = 0; i < q.length; i++) {
            q[i] = ours[i] / floor[i];
        }
        double[] sorted = q.clone();
        Arrays.sort(sorted);
        System.out.printf("%-48s %.2fx (round by round %.2f-%.2f)%n", what, Stats.median(q), sorted[0],
                sorted[sorted.length - 1]);
    }
}
