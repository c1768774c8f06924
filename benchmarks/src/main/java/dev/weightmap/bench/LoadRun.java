// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.Weights;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The "load" of a checkpoint as a whole process: open it, make every tensor resident and sum its bytes as 64-bit
 * words, close. {@code java -cp benchmarks.jar dev.weightmap.bench.LoadRun DIR ROUNDS [prefetch] [evict]} prints
 * one line per round (milliseconds, GB/s); round 1 of a fresh process is the "first load", later rounds the
 * warm-JVM load. {@code prefetch} calls {@link Weights#prefetch()} before summing; {@code evict} drops the files
 * from the page cache before each round ({@link Eviction#evict}, {@code posix_fadvise(POSIX_FADV_DONTNEED)}).
 */
public final class LoadRun {
    private LoadRun() {
    }

    /**
     * Runs the rounds.
     *
     * @param args DIR ROUNDS [prefetch] [evict]
     * @throws IOException when the checkpoint cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        List<String> flags = List.of(args).subList(2, args.length);
        boolean prefetch = flags.contains("prefetch");
        boolean evict = flags.contains("evict");
        for (int r = 1; r <= rounds; r++) {
            if (evict) {
                List<Path> files;
                try (Weights w = Weights.open(dir)) {
                    files = w.files();
                }
                Eviction.evict(files); // after the close: pages of a mapped file would stay
            }
            long t0 = System.nanoTime();
            long[] bytes = new long[1];
            long sum = load(dir, prefetch, bytes);
            double ms = (System.nanoTime() - t0) / 1e6;
            System.out.printf("round %d: %.1f ms, %.2f GB/s (%d bytes, sum %x)%n", r, ms, bytes[0] / ms / 1e6, bytes[0],
                    sum);
        }
    }

    /** One load: open, optionally prefetch, sum every tensor, close; {@code bytes[0]} gets the bytes summed. */
    static long load(Path dir, boolean prefetch, long[] bytes) throws IOException {
        try (Weights w = Weights.open(dir)) {
            if (prefetch) {
                w.prefetch();
            }
            List<MemorySegment> data = new ArrayList<>();
            for (Tensor t : w.tensors().values()) {
                data.add(t.data());
            }
            long s = 0;
            long n = 0;
            for (MemorySegment d : data) {
                s += sum(d);
                n += d.byteSize();
            }
            bytes[0] = n;
            return s;
        }
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
