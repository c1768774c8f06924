// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The JVM's own floor under {@link LoadRun}: the same load of a folder of safetensors shards written with the JDK
 * alone, no weightmap class involved. {@code java -cp benchmarks.jar dev.weightmap.bench.JdkLoadFloor DIR ROUNDS
 * [sum|copy]}. Each round opens every {@code .safetensors} file of DIR, reads its 8-byte header length, maps the
 * data after the header into one shared arena ({@link FileChannel#map}), then sums it with {@link LoadRun}'s loop
 * ({@code sum}) or copies it in 16 MiB pieces into one reused native buffer ({@code copy}), and closes the arena.
 * Round 1 of a fresh process against its later rounds is what a fresh JVM costs any mapping loader, before any
 * library code: the first {@code FileChannel.map} into an arena, the JDK classes it loads, the loop's JIT.
 */
public final class JdkLoadFloor {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static MemorySegment buffer;

    private JdkLoadFloor() {
    }

    /**
     * Runs the rounds.
     *
     * @param args DIR ROUNDS [sum|copy]
     * @throws IOException when a file cannot be read
     */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]);
        int rounds = Integer.parseInt(args[1]);
        boolean copy = args.length > 2 && args[2].equals("copy");
        THREADS.getCurrentThreadCpuTime();
        for (int r = 1; r <= rounds; r++) {
            long w0 = System.nanoTime();
            long c0 = THREADS.getCurrentThreadCpuTime();
            long s = 0;
            long n = 0;
            long wOpen;
            long cOpen;
            long wWork;
            long cWork;
            try (Arena arena = Arena.ofShared()) {
                List<MemorySegment> data = new ArrayList<>();
                List<Path> files;
                try (Stream<Path> list = Files.list(dir)) {
                    files = list.filter(p -> p.getFileName().toString().endsWith(".safetensors")).sorted().toList();
                }
                for (Path f : files) {
                    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                        ch.read(len, 0);
                        long start = 8 + len.getLong(0);
                        data.add(ch.map(FileChannel.MapMode.READ_ONLY, start, ch.size() - start, arena));
                    }
                }
                wOpen = System.nanoTime() - w0;
                cOpen = THREADS.getCurrentThreadCpuTime() - c0;
                long w1 = System.nanoTime();
                long c1 = THREADS.getCurrentThreadCpuTime();
                for (MemorySegment d : data) {
                    s += copy ? copy(d) : LoadRun.sum(d);
                    n += d.byteSize();
                }
                wWork = System.nanoTime() - w1;
                cWork = THREADS.getCurrentThreadCpuTime() - c1;
            }
            double ms = (System.nanoTime() - w0) / 1e6;
            System.out.printf("round %d: %.1f ms, %.2f GB/s (%d bytes, sum %x) | open+map %.1f (cpu %.1f) %s %.1f "
                    + "(cpu %.1f)%n", r, ms, n / ms / 1e6, n, s, wOpen / 1e6, cOpen / 1e6, copy ? "copy" : "sum",
                    wWork / 1e6, cWork / 1e6);
        }
    }

    /** Copies {@code d} into the reused buffer in 16 MiB pieces; returns the first word of the last piece. */
    private static long copy(MemorySegment d) {
        if (buffer == null) {
            buffer = Arena.global().allocate(16L << 20, 64);
        }
        long s = 0;
        for (long o = 0; o < d.byteSize(); o += buffer.byteSize()) {
            long len = Math.min(buffer.byteSize(), d.byteSize() - o);
            MemorySegment.copy(d, o, buffer, 0, len);
            s += buffer.get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        }
        return s;
    }
}
