// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weightmap.WeightmapException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Positional-read streaming: every byte once and in order, and a file shorter than expected is FILE_CHANGED. */
class FileStreamerTest {
    @TempDir
    Path dir;

    private Path file(int size) throws IOException {
        byte[] b = new byte[size];
        new Random(size).nextBytes(b);
        Path f = dir.resolve("f" + size);
        Files.write(f, b);
        return f;
    }

    private static byte[] collect(Path f, long offset, long length, boolean ahead) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            FileStreamer.Sink sink = c -> out.write(c.toArray(ValueLayout.JAVA_BYTE));
            if (ahead) {
                FileStreamer.streamAhead(ch, f.toString(), offset, length, sink);
            } else {
                FileStreamer.stream(ch, f.toString(), offset, length, sink);
            }
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, FileStreamer.CHUNK - 1, FileStreamer.CHUNK, 2 * FileStreamer.CHUNK + 1,
            5 * FileStreamer.CHUNK + 12345})
    void streamsEveryByteInOrder(int size) throws IOException {
        Path f = file(size);
        byte[] all = Files.readAllBytes(f);
        assertThat(collect(f, 0, size, false)).isEqualTo(all);
        assertThat(collect(f, 0, size, true)).isEqualTo(all);
        if (size > 10) {
            byte[] mid = java.util.Arrays.copyOfRange(all, 7, size - 3);
            assertThat(collect(f, 7, size - 10, true)).isEqualTo(mid);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aFileShorterThanExpectedIsFileChanged(boolean ahead) throws IOException {
        Path f = file(3 * FileStreamer.CHUNK + 5);
        assertThatThrownBy(() -> collect(f, 0, 4L * FileStreamer.CHUNK, ahead))
                .isInstanceOf(WeightmapException.class)
                .satisfies(e -> {
                    assertThat(((WeightmapException) e).code()).isEqualTo("FILE_CHANGED");
                    assertThat(((WeightmapException) e).file()).isEqualTo(f.toString());
                    assertThat(e.getMessage()).contains(f.toString(), String.valueOf(3 * FileStreamer.CHUNK + 5));
                });
    }

    /**
     * A sink that is sometimes slow and sometimes fast: the helper runs ahead while it is slow and the calling
     * thread reads chunks itself (in turn, and ahead of its turn) while it is fast; every byte still arrives once
     * and in order.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 7})
    void chunksReadByEitherThreadArriveInOrder(int seed) throws IOException {
        Path f = file(40 * FileStreamer.CHUNK + seed * 4099);
        byte[] all = Files.readAllBytes(f);
        Random slow = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            FileStreamer.streamAhead(ch, f.toString(), 0, all.length, c -> {
                if (slow.nextInt(4) == 0) {
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                out.write(c.toArray(ValueLayout.JAVA_BYTE));
            });
        }
        assertThat(out.toByteArray()).isEqualTo(all);
    }

    @Test
    void aFailingSinkStopsTheReadAheadThread() throws Exception {
        Path f = file(8 * FileStreamer.CHUNK);
        int[] calls = {0};
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            assertThatThrownBy(() -> FileStreamer.streamAhead(ch, f.toString(), 0, Files.size(f), c -> {
                if (++calls[0] == 2) {
                    throw new IOException("sink failed");
                }
            })).isInstanceOf(IOException.class).hasMessage("sink failed");
        }
        assertThat(calls[0]).isEqualTo(2);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("weightmap-read-ahead"));
    }
}
