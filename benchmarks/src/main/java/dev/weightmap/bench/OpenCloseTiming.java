// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.Weights;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.safetensors.SafetensorsFile;

import java.lang.foreign.Arena;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Warm open + validate + close loops over one safetensors file (or a {@code .dduf} archive), the variants of {@link SafetensorsOpenBenchmark}
 * interleaved in short blocks, for a loaded machine where JMH's iterations are dominated by scheduling: prints, per
 * variant, the minimum and median over the blocks of the wall time and of the calling thread's CPU time per open,
 * e.g. {@code java --enable-native-access=ALL-UNNAMED -cp benchmarks/target/benchmarks.jar
 * dev.weightmap.bench.OpenCloseTiming src/test/resources/fixtures/safetensors/many_tensors_300.safetensors 200 30}.
 * Uses only the public API, so the same class runs against an older weightmap jar (the "before" column).
 */
public final class OpenCloseTiming {
    private OpenCloseTiming() {
    }

    /** One open + close, returning something read so that nothing is optimised away. */
    @FunctionalInterface
    interface Op {
        float run() throws Exception;
    }

    /**
     * Runs the loops.
     *
     * @param args the file, opens per block, blocks, and an optional label printed first on each line
     * @throws Exception when a file cannot be opened
     */
    public static void main(String[] args) throws Exception {
        Path p = Path.of(args[0]);
        int block = Integer.parseInt(args[1]);
        int blocks = Integer.parseInt(args[2]);
        String label = args.length > 3 ? args[3] : "";
        Map<String, Op> ops = p.toString().endsWith(".dduf") ? ddufOps(p) : safetensorsOps(p);
        run(ops, block, blocks, label);
    }

    /** The DDUF variants: the archive's own open, the front door, listing every tensor, a confined arena. */
    private static Map<String, Op> ddufOps(Path p) {
        Map<String, Op> ops = new LinkedHashMap<>();
        ops.put("ddufOpenClose", () -> {
            try (DdufFile f = DdufFile.open(p)) {
                return f.entries().size();
            }
        });
        ops.put("weightsOpenClose", () -> {
            try (Weights w = Weights.open(p)) {
                return ((DdufFile) w).entries().size();
            }
        });
        ops.put("ddufOpenTensorNames", () -> { // reads every safetensors entry's header
            try (DdufFile f = DdufFile.open(p)) {
                return f.tensorNames().size();
            }
        });
        ops.put("weightsOpenTensorNames", () -> { // parses every safetensors entry's header
            try (Weights w = Weights.open(p)) {
                return w.tensorNames().size();
            }
        });
        ops.put("confinedArena", () -> {
            try (Arena arena = Arena.ofConfined()) {
                return DdufFile.open(p, arena).entries().size();
            }
        });
        return ops;
    }

    private static Map<String, Op> safetensorsOps(Path p) throws Exception {
        String first;
        long[] origin; // the first element of the first tensor
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            first = f.names().getFirst();
            origin = new long[f.tensor(first).rank()];
        }
        int group = 16;
        Map<String, Op> ops = new LinkedHashMap<>();
        ops.put("defaultOpenClose", () -> {
            try (SafetensorsFile f = SafetensorsFile.open(p)) {
                return f.size();
            }
        });
        ops.put("weightsOpenClose", () -> {
            try (Weights w = Weights.open(p)) {
                return w.tensorNames().size();
            }
        });
        ops.put("weightsOpenEveryName", () -> { // every name read: what a caller listing them pays
            try (Weights w = Weights.open(p)) {
                int n = 0;
                for (String s : w.tensorNames()) {
                    n += s.length();
                }
                return n;
            }
        });
        ops.put("confinedArena", () -> {
            try (Arena arena = Arena.ofConfined(); SafetensorsFile f = SafetensorsFile.open(p, arena)) {
                return f.size();
            }
        });
        ops.put("sharedArena", () -> {
            try (Arena arena = Arena.ofShared(); SafetensorsFile f = SafetensorsFile.open(p, arena)) {
                return f.size();
            }
        });
        ops.put("readOneDefault", () -> {
            try (Weights w = Weights.open(p)) {
                return w.tensor(first).getFloat(origin);
            }
        });
        ops.put("readOneConfined", () -> {
            try (Arena arena = Arena.ofConfined(); SafetensorsFile f = SafetensorsFile.open(p, arena)) {
                return f.tensor(first).getFloat(origin);
            }
        });
        ops.put("readOneGrouped16", () -> {
            float s = 0;
            try (Arena arena = Arena.ofShared()) {
                for (int i = 0; i < group; i++) {
                    try (SafetensorsFile f = SafetensorsFile.open(p, arena)) {
                        s += f.tensor(first).getFloat(origin);
                    }
                }
            }
            return s;
        });
        return ops;
    }

    private static void run(Map<String, Op> ops, int block, int blocks, String label) throws Exception {
        int group = 16;
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, double[]> wall = new LinkedHashMap<>();
        Map<String, double[]> cpu = new LinkedHashMap<>();
        double sink = 0;
        for (int w = 0; w < 3; w++) { // warm-up
            for (Op op : ops.values()) {
                for (int i = 0; i < block * 4; i++) {
                    sink += op.run();
                }
            }
        }
        for (String k : ops.keySet()) {
            wall.put(k, new double[blocks]);
            cpu.put(k, new double[blocks]);
        }
        for (int b = 0; b < blocks; b++) {
            for (Map.Entry<String, Op> e : ops.entrySet()) {
                boolean grouped = e.getKey().endsWith("16");
                int n = grouped ? Math.max(1, block / group) : block;
                int per = grouped ? group : 1;
                long c0 = threads.getCurrentThreadCpuTime();
                long t0 = System.nanoTime();
                for (int i = 0; i < n; i++) {
                    sink += e.getValue().run();
                }
                wall.get(e.getKey())[b] = (System.nanoTime() - t0) / 1e3 / (n * per);
                cpu.get(e.getKey())[b] = (threads.getCurrentThreadCpuTime() - c0) / 1e3 / (n * per);
            }
        }
        for (String k : ops.keySet()) {
            double[] v = wall.get(k).clone();
            double[] c = cpu.get(k).clone();
            Arrays.sort(v);
            Arrays.sort(c);
            System.out.printf("%s %s wall min=%.1f median=%.1f | cpu min=%.1f median=%.1f us/op%n", label, k,
                    v[0], v[v.length / 2], c[0], c[c.length / 2]);
        }
        System.err.println("sink " + sink);
    }
}
