// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.checksum.Xxh3;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reproducer for JIT profile pollution: XXH3 over 1 GiB of mapped, native and heap segments in the order given,
 * e.g. {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.weightmap.bench.XxhMixedSegments map,mem,map}. Prints the best of 4 passes per step in GB/s of thread
 * CPU time. Uses a temp file in /dev/shm (or java.io.tmpdir).
 */
public final class XxhMixedSegments {
    private XxhMixedSegments() {
    }

    /** Runs the steps named in {@code args[0]} (comma-separated {@code map}, {@code mem}, {@code heap}). */
    public static void main(String[] args) throws Exception {
        long size = 1L << 30;
        try (Arena arena = Arena.ofShared()) {
            MemorySegment mem = arena.allocate(size, 64);
            for (long o = 0; o < size; o += 8) {
                mem.set(ValueLayout.JAVA_LONG_UNALIGNED, o, o * 0x9E3779B97F4A7C15L);
            }
            Path dir = Files.isDirectory(Path.of("/dev/shm")) ? Path.of("/dev/shm") : Path.of(System.getProperty("java.io.tmpdir"));
            Path file = Files.createTempFile(dir, "xxh-mixed-", ".bin");
            try {
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.write(mem.asByteBuffer());
                }
                MemorySegment map;
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                    map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                }
                MemorySegment heap = MemorySegment.ofArray(new byte[1 << 29]);
                var mx = ManagementFactory.getThreadMXBean();
                for (String step : args.length > 0 ? args[0].split(",") : new String[] {"map", "mem", "map"}) {
                    MemorySegment s = switch (step) {
                        case "mem" -> mem;
                        case "heap" -> heap;
                        default -> map;
                    };
                    double best = 0;
                    for (int r = 0; r < 4; r++) {
                        long t = mx.getCurrentThreadCpuTime();
                        Xxh3.hash64(s);
                        best = Math.max(best, s.byteSize() / (double) (mx.getCurrentThreadCpuTime() - t));
                    }
                    System.out.printf("%s %.2f GB/s%n", step, best);
                }
            } finally {
                Files.deleteIfExists(file);
            }
        }
    }
}
