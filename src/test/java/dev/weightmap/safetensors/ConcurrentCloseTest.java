// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** Eight readers while another thread closes the file: readers see IllegalStateException or finish, nothing else. */
class ConcurrentCloseTest {

    @RepeatedTest(3)
    void readersSeeOnlyIllegalStateException(@TempDir Path dir) throws Exception {
        int n = 1 << 20; // 4 MB of F32
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i % 7;
        }
        Path p = dir.resolve("big.safetensors");
        Safetensors.save(Map.of("w", Tensor.ofFloats(v, 1024, 1024), "b", Tensor.ofFloats(new float[] {1, 2}, 2)), null, p);
        SafetensorsFile f = SafetensorsFile.open(p);
        Tensor w = f.tensor("w");
        ConcurrentLinkedQueue<Throwable> seen = new ConcurrentLinkedQueue<>();
        AtomicLong finishedLoops = new AtomicLong();
        CountDownLatch started = new CountDownLatch(8);
        List<Thread> readers = new java.util.ArrayList<>();
        for (int r = 0; r < 8; r++) {
            int kind = r % 4;
            Thread t = new Thread(() -> {
                started.countDown();
                try (FileChannel devNull = FileChannel.open(Path.of("/dev/null"), StandardOpenOption.WRITE)) {
                    for (int loop = 0; loop < 400; loop++) {
                        double sum = 0;
                        switch (kind) {
                            case 0 -> {
                                for (float x : w.toFloatArray()) {
                                    sum += x;
                                }
                            }
                            case 1 -> {
                                MemorySegment d = w.data();
                                for (long i = 0; i < n; i += 16) {
                                    sum += d.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i);
                                }
                            }
                            case 2 -> {
                                for (long i = 0; i < 1024; i += 3) {
                                    sum += w.getFloat(i, 1023 - i) + f.tensor("b").getFloat(1);
                                }
                                sum += w.transpose(0, 1).select(0, 5).toFloatArray()[7];
                            }
                            default -> w.writeTo(devNull); // channel I/O holds the mapping's scope while writing
                        }
                        if (sum < 0) {
                            throw new AssertionError();
                        }
                        finishedLoops.incrementAndGet();
                    }
                } catch (Throwable e) {
                    seen.add(e);
                }
            });
            readers.add(t);
            t.start();
        }
        started.await();
        Thread.sleep(30);
        Thread closer = new Thread(f::close);
        closer.start();
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        // once close() has returned the mapping is gone for everybody
        assertThat(f.isOpen()).isFalse();
        for (Thread t : readers) {
            t.join(60_000);
            assertThat(t.isAlive()).isFalse();
        }
        for (Throwable e : seen) {
            assertThat(e).isInstanceOf(IllegalStateException.class);
        }
        try {
            w.getFloat(0, 0);
            throw new AssertionError("read after close succeeded");
        } catch (IllegalStateException expected) {
            // closed
        }
    }

    @org.junit.jupiter.api.Test
    void closeWaitsForChannelIoThatHoldsTheMapping(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("w.safetensors");
        Safetensors.save(Map.of("w", Tensor.ofFloats(new float[1 << 20], 1 << 20)), null, p);
        SafetensorsFile f = SafetensorsFile.open(p);
        java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
        ConcurrentLinkedQueue<Throwable> seen = new ConcurrentLinkedQueue<>();
        Tensor t = f.tensor("w");
        Thread writer = new Thread(() -> {
            try {
                t.writeTo(pipe.sink()); // blocks: nobody reads the pipe
            } catch (Throwable e) {
                seen.add(e);
            }
        });
        writer.start();
        // one byte read proves the writer is inside its single 4 MiB write (a fixed sleep raced on a loaded machine)
        assertThat(pipe.source().read(java.nio.ByteBuffer.allocate(1))).isEqualTo(1);
        Thread.sleep(50);
        Thread closer = new Thread(f::close);
        closer.start();
        closer.join(300);
        // before the fix close() swallowed the JDK's "acquired" refusal and returned with the file still mapped
        assertThat(closer.isAlive() || !f.isOpen()).isTrue();
        pipe.source().close(); // the blocked write fails, releasing the mapping
        writer.join(10_000);
        closer.join(10_000);
        assertThat(closer.isAlive()).isFalse();
        assertThat(f.isOpen()).isFalse();
        pipe.sink().close();
        assertThat(seen).allSatisfy(e -> assertThat(e).isInstanceOf(java.io.IOException.class));
    }
}
