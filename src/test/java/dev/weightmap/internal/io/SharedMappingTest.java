// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.WeightsClosedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class SharedMappingTest {
    @TempDir
    Path dir;

    private Path file(int size) throws IOException {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) i;
        }
        Path p = Files.createTempFile(dir, "m", ".bin");
        Files.write(p, b);
        return p;
    }

    @Test
    void anOpenedFileIsMappedOnlyWhenItsBytesAreAskedFor() throws IOException {
        Path p = file(10_000);
        SharedMapping m = SharedMapping.owned("x");
        long[] seen = new long[1];
        SharedMapping.LazyFile f = m.open(p, lazy -> seen[0] = lazy.channel().size());
        assertThat(seen[0]).isEqualTo(10_000);
        assertThat(f.size()).isEqualTo(10_000);
        assertThat(m.hasArena()).as("nothing mapped yet").isFalse();
        m.close();
        assertThat(m.hasArena()).as("closing created no arena").isFalse();
        assertThat(m.isMapped()).isFalse();
        assertThatThrownBy(f::segment).isInstanceOf(WeightsClosedException.class);
        assertThatThrownBy(() -> m.open(p, null)).isInstanceOf(WeightsClosedException.class);
    }

    @Test
    void theFirstUseMapsOnceForEveryThreadAndCloseUnmaps() throws Exception {
        Path p = file(70_000);
        SharedMapping m = SharedMapping.owned("x");
        SharedMapping.LazyFile f = m.open(p, null);
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        Set<Long> addresses = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    MemorySegment s = f.segment();
                    assertThat(s.get(ValueLayout.JAVA_BYTE, 69_999)).isEqualTo((byte) 69_999);
                    addresses.add(s.address());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        go.countDown();
        for (Thread t : threads) {
            t.join();
        }
        assertThat(addresses).hasSize(1);
        MemorySegment s = f.segment();
        assertThat(s.byteSize()).isEqualTo(70_000);
        m.close();
        assertThat(s.scope().isAlive()).isFalse();
        assertThatThrownBy(() -> s.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aLeaseKeepsAMappingMadeOnFirstUseAliveAfterClose() throws IOException {
        Path p = file(5000);
        SharedMapping m = SharedMapping.owned("x");
        SharedMapping.LazyFile f = m.open(p, null);
        MemorySegment s = f.segment();
        Weights.Lease lease = m.retain();
        m.close();
        assertThat(s.get(ValueLayout.JAVA_BYTE, 4999)).isEqualTo((byte) 4999);
        lease.close();
        assertThatThrownBy(() -> s.get(ValueLayout.JAVA_BYTE, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aFileThatShrankBeforeItsFirstUseIsReportedNotMapped() throws IOException {
        Path p = file(8192);
        SharedMapping m = SharedMapping.owned("x");
        SharedMapping.LazyFile f = m.open(p, null);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(100);
        }
        WeightmapException e = catchThrowableOfType(WeightmapException.class, f::segment);
        assertThat(e.reason()).isEqualTo(WeightmapException.Common.FILE_CHANGED);
        assertThat(e).hasMessageContaining("shrank");
        m.close();
    }

    @Test
    void anEmptyFileGivesAnEmptySegment() throws IOException {
        Path p = file(0);
        SharedMapping m = SharedMapping.owned("x");
        assertThat(m.open(p, null).segment().byteSize()).isZero();
        m.close();
    }

    @Test
    void aDirectoryIsRefused() {
        SharedMapping m = SharedMapping.owned("x");
        assertThatThrownBy(() -> m.open(dir, null)).isInstanceOf(IOException.class).hasMessageContaining("directory");
        m.close();
    }

    @Test
    void channelsAreClosedWhenTheCallbackFailsAndWhenTheMappingCloses() throws IOException {
        Path p = file(100);
        long before = openDescriptors();
        for (int i = 0; i < 50; i++) {
            SharedMapping m = SharedMapping.owned("x");
            assertThatThrownBy(() -> m.open(p, lazy -> {
                throw new IOException("bad header");
            })).hasMessage("bad header");
            m.close();
            SharedMapping ok = SharedMapping.owned("y");
            ok.open(p, null);
            ok.close();
        }
        assertThat(openDescriptors()).isLessThan(before + 10);
    }

    @Test
    void theCallbackMayMapAtOnce() throws IOException {
        Path p = file(3000);
        SharedMapping m = SharedMapping.owned("x");
        MemorySegment[] seen = new MemorySegment[1];
        SharedMapping.LazyFile f = m.open(p, lazy -> seen[0] = lazy.segment());
        assertThat(m.hasArena()).isTrue();
        assertThat(f.segment()).isSameAs(seen[0]);
        assertThat(seen[0].get(ValueLayout.JAVA_BYTE, 2999)).isEqualTo((byte) 2999);
        m.close();
        assertThat(seen[0].scope().isAlive()).isFalse();
    }

    private static long openDescriptors() throws IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(fds)) {
            return s.count();
        }
    }
}
