// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.Weights;
import dev.weightmap.WeightsClosedException;
import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code close()} returns promptly while eight threads keep hashing the reader's tensors (the hashes never keep
 * the mapping's arena acquired for a whole tensor), and the hashing threads then fail with
 * {@link WeightsClosedException}.
 */
class ConcurrentHashCloseTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} over tensors of {1} KiB")
    @CsvSource({"crc32, 8192", "crc32c, 8192", "xxh3-64, 8192", "sha256, 8192", "crc32, 256", "xxh3-64, 256"})
    void closeReturnsPromptlyWhileEightThreadsHash(String algo, int kib) throws Exception {
        ChecksumAlgorithm a = ChecksumAlgorithm.fromCliName(algo);
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (int i = 0; i < 8; i++) {
            MemorySegment data = Arena.ofAuto().allocate((long) kib << 10);
            data.fill((byte) i);
            tensors.put("t" + i, Tensor.of(data, DType.U8, data.byteSize()));
        }
        Path p = dir.resolve("w-" + algo + "-" + kib + ".safetensors");
        Safetensors.save(tensors, Map.of(), p);
        Weights w = Weights.open(p);
        List<Tensor> views = new ArrayList<>(w.tensors().values());
        CountDownLatch hashing = new CountDownLatch(8);
        ConcurrentLinkedQueue<Throwable> ended = new ConcurrentLinkedQueue<>();
        List<Thread> threads = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            int first = r;
            threads.add(Thread.ofPlatform().daemon().start(() -> {
                try {
                    for (long k = first; ; k++) {
                        Checksums.hexOfTensor(a, views.get((int) (k % views.size())));
                        if (k == first) {
                            hashing.countDown();
                        }
                    }
                } catch (Throwable e) {
                    ended.add(e);
                    hashing.countDown();
                }
            }));
        }
        assertThat(hashing.await(60, TimeUnit.SECONDS)).isTrue();
        assertThat(ended).as("nothing fails before the close").isEmpty();
        long t0 = System.nanoTime();
        w.close();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).as("close() took %d ms", ms).isLessThan(2_000);
        for (Thread t : threads) {
            t.join(30_000);
            assertThat(t.isAlive()).isFalse();
        }
        assertThat(ended).hasSize(8).allSatisfy(e -> assertThat(e).isInstanceOf(WeightsClosedException.class));
    }
}
