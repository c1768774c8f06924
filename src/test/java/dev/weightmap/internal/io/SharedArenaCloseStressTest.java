// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stress of the JDK's shared-arena close against readers of a mapped file, with no weightmap code between the
 * readers and the segment: each round maps a file into a fresh {@link Arena#ofShared() shared arena}, starts
 * readers doing {@code MemorySegment.get(JAVA_LONG_UNALIGNED, off)} in a loop, closes the arena from the test
 * thread while they read, and expects every reader to end with {@link IllegalStateException}.
 *
 * <p>A JVM crash (SIGSEGV in {@code Unsafe.getLongUnaligned}) here is a JDK defect, not a weightmap one: the
 * close handshake can be processed at a poll where the JDK cannot install its exception (JDK-8364167). The run is
 * opt-in and long: {@code mvn -o test -Dtest=SharedArenaCloseStressTest
 * -DargLine.extra="-Dweightmap.race.rounds=20000 -XX:TieredStopAtLevel=3"} (level 3 keeps the access path in
 * profiled C1 code, where the crash was seen).
 */
class SharedArenaCloseStressTest {

    private static final int ROUNDS = Integer.getInteger("weightmap.race.rounds", 0);
    private static final int READERS = Integer.getInteger("weightmap.race.readers", 3);

    @Test
    void readersRacingASharedArenaCloseSeeOnlyIllegalState(@TempDir Path dir) throws Exception {
        assumeTrue(ROUNDS > 0, "opt-in: -Dweightmap.race.rounds=N");
        Path file = dir.resolve("data.bin");
        writeFile(file, 64 * 1024);
        ConcurrentLinkedQueue<Throwable> wrong = new ConcurrentLinkedQueue<>();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (int round = 0; round < ROUNDS && wrong.isEmpty(); round++) {
                Arena arena = Arena.ofShared();
                MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
                CountDownLatch started = new CountDownLatch(READERS);
                List<Thread> threads = new ArrayList<>();
                for (int r = 0; r < READERS; r++) {
                    threads.add(Thread.ofPlatform().start(() -> {
                        started.countDown();
                        try {
                            while (true) {
                                readAll(seg);
                            }
                        } catch (IllegalStateException expected) {
                            // the arena closed under the reader
                        } catch (Throwable t) {
                            wrong.add(t);
                        }
                    }));
                }
                started.await();
                long pause = ThreadLocalRandom.current().nextLong(200_000);
                long until = System.nanoTime() + pause;
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                arena.close();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                    assertThat(t.isAlive()).as("reader finished in round " + round).isFalse();
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    private static long readAll(MemorySegment s) {
        long sum = 0;
        for (long i = 0; i + 8 <= s.byteSize(); i += 8) {
            sum += s.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        return sum;
    }

    private static void writeFile(Path file, int size) throws IOException {
        byte[] b = new byte[size];
        ThreadLocalRandom.current().nextBytes(b);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        }
    }
}
