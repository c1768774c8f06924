// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeferredForceTest {
    @Test
    void forcesAndClosesEveryFile(@TempDir Path dir) throws Exception {
        List<FileChannel> chs = new ArrayList<>();
        try (DeferredForce f = new DeferredForce()) {
            for (int i = 0; i < 5; i++) {
                FileChannel ch = FileChannel.open(dir.resolve("f" + i), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE);
                ch.write(ByteBuffer.wrap(new byte[] {(byte) i}));
                chs.add(ch);
                f.submit(ch);
            }
            f.awaitAll();
        }
        for (int i = 0; i < 5; i++) {
            assertThat(chs.get(i).isOpen()).isFalse();
            assertThat(Files.readAllBytes(dir.resolve("f" + i))).containsExactly(i);
        }
    }

    @Test
    void reportsTheFirstFailure(@TempDir Path dir) throws Exception {
        try (DeferredForce f = new DeferredForce()) {
            FileChannel ok = FileChannel.open(dir.resolve("ok"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            FileChannel closed = FileChannel.open(dir.resolve("x"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            closed.close();
            f.submit(ok);
            f.submit(closed);
            assertThatThrownBy(f::awaitAll).isInstanceOf(ClosedChannelException.class);
            f.awaitAll(); // reported once
            assertThat(ok.isOpen()).isFalse();
        }
    }

    @Test
    void closeWithoutAwaitWaitsForEveryFileAndSwallowsFailures(@TempDir Path dir) throws IOException {
        FileChannel closed = FileChannel.open(dir.resolve("x"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        closed.close();
        FileChannel ok = FileChannel.open(dir.resolve("ok"), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        ok.write(ByteBuffer.wrap(new byte[] {42}));
        DeferredForce f = new DeferredForce();
        f.submit(closed);
        f.submit(ok);
        f.close(); // no exception: the caller is already unwinding another one
        assertThat(ok.isOpen()).as("forced and closed before close() returned").isFalse();
        assertThat(Files.readAllBytes(dir.resolve("ok"))).containsExactly(42);
    }
}
