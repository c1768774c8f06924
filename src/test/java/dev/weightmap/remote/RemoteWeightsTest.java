// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.Weights;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class RemoteWeightsTest extends LoopbackServerTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures/safetensors");
    static final RemoteOptions FAST = RemoteOptions.defaults().withToken(null)
            .withRetries(2, java.time.Duration.ofMillis(5));


    static List<Path> singleFixtures() throws IOException {
        try (Stream<Path> s = Stream.concat(Files.list(FIXTURES), Files.list(FIXTURES.resolve("dtypes")))) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    static byte[] bytes(Tensor t) {
        return t.data().toArray(ValueLayout.JAVA_BYTE);
    }

    static void assertSame(Weights local, Weights remote) {
        assertThat(remote.tensorNames()).isEqualTo(local.tensorNames());
        assertThat(remote.metadata()).isEqualTo(local.metadata());
        for (String n : local.tensorNames()) {
            Tensor a = local.tensor(n);
            Tensor b = remote.tensor(n);
            assertThat(b.dtype()).as(n).isEqualTo(a.dtype());
            assertThat(b.shape()).as(n).isEqualTo(a.shape());
            assertThat(bytes(b)).as(n).isEqualTo(bytes(a));
        }
    }

    @Test
    void everySingleFixtureOpenedRemotelyIsTheLocalOneAndInspectCostsOneRequest() throws IOException {
        for (Path f : singleFixtures()) {
            if (Files.size(f) > 200_000) {
                continue; // the large one is covered by the slice tests
            }
            server.putFile("/m/" + f.getFileName(), f);
            int before = server.requests();
            try (Weights local = Weights.open(f);
                 RemoteWeights remote = Weights.open(server.uri("/m/" + f.getFileName()), FAST)) {
                assertThat(server.requests() - before).as(f.toString()).isEqualTo(1);
                assertThat(remote.format()).isEqualTo(Weights.SAFETENSORS);
                assertThat(remote.displayName()).isEqualTo(server.uri("/m/" + f.getFileName()).toString());
                assertSame(local, remote);
            }
        }
    }

    @Test
    void aHeaderLongerThanTheFirstRequestCostsOneMore() throws IOException {
        Path f = FIXTURES.resolve("many_tensors_300.safetensors");
        server.putFile("/big.safetensors", f);
        try (RemoteWeights remote = Weights.open(server.uri("/big.safetensors"), FAST.withSpeculativeBytes(1024));
             SafetensorsFile local = SafetensorsFile.open(f)) {
            assertThat(server.requests()).isEqualTo(2);
            assertThat(remote.tensorNames()).isEqualTo(local.names());
            assertThat(remote.parameterCounts()).isEqualTo(local.header().parameterCounts());
        }
    }

    @Test
    void shardedCheckpointCostsTheIndexPlusOneRequestPerShard() throws IOException {
        Path dir = FIXTURES.resolve("sharded");
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.toList()) {
                server.putFile("/repo/resolve/main/" + p.getFileName(), p);
            }
        }
        URI index = server.uri("/repo/resolve/main/model.safetensors.index.json");
        try (Weights local = Weights.open(dir.resolve("model.safetensors.index.json"));
             RemoteWeights remote = Weights.open(index, FAST)) {
            assertThat(server.requests()).isEqualTo(1 + 3);
            assertThat(remote.format()).isEqualTo(Weights.SHARDED);
            assertThat(remote.urls()).hasSize(4);
            assertSame(local, remote);
        }
    }

    /** A [rows, cols] F32 matrix whose element (r, c) is r * cols + c. */
    static byte[] matrix(int rows, int cols) {
        String header = "{\"m\":{\"dtype\":\"F32\",\"shape\":[" + rows + "," + cols + "],\"data_offsets\":[0,"
                + (4L * rows * cols) + "]}}";
        byte[] h = header.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 4 * rows * cols).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (int i = 0; i < rows * cols; i++) {
            b.putFloat(i);
        }
        return b.array();
    }

    @Test
    void anEighthOfTheRowsFetchesAnEighthOfTheBytesInOneRequest() throws IOException {
        int rows = 256;
        int cols = 64;
        server.put("/m.safetensors", matrix(rows, cols));
        try (RemoteWeights w = Weights.open(server.uri("/m.safetensors"), FAST); Arena arena = Arena.ofConfined()) {
            long before = server.bytesSent.get();
            int reqs = server.requests();
            Tensor t = w.shard("m", 0, 3, 8, arena);
            long fetched = server.bytesSent.get() - before;
            assertThat(server.requests() - reqs).isEqualTo(1);
            assertThat(fetched).isLessThanOrEqualTo(4L * rows * cols / 8 + 4L * cols);
            assertThat(t.shape()).containsExactly(rows / 8, cols);
            assertThat(t.getFloat(0, 0)).isEqualTo(3 * 32 * cols);
            assertThat(t.getFloat(31, 63)).isEqualTo((3 * 32 + 31) * cols + 63);
        }
    }

    @Test
    void columnShardsAndBoxesMatchLocalSlicing() throws IOException {
        int rows = 24;
        int cols = 10;
        byte[] bytes = matrix(rows, cols);
        server.put("/m.safetensors", bytes);
        try (RemoteWeights w = Weights.open(server.uri("/m.safetensors"), FAST.withMaxConcurrency(3));
             Arena arena = Arena.ofConfined()) {
            for (int rank = 0; rank < 4; rank++) {
                int reqs = server.requests();
                Tensor t = w.shard("m", 1, rank, 4, arena); // parts of 3, 3, 3, 1 columns
                long width = rank < 3 ? 3 : 1;
                assertThat(t.shape()).containsExactly(rows, width);
                assertThat(server.requests() - reqs).isEqualTo(rows); // one run per row
                for (int r = 0; r < rows; r++) {
                    for (int c = 0; c < width; c++) {
                        assertThat(t.getFloat(r, c)).isEqualTo(r * cols + rank * 3 + c);
                    }
                }
            }
            Tensor box = w.slice("m", new long[] {5, 0}, new long[] {9, 10}, arena);
            assertThat(box.shape()).containsExactly(4, 10);
            assertThat(box.getFloat(0, 0)).isEqualTo(50);
            Tensor empty = w.slice("m", new long[] {5, 2}, new long[] {5, 4}, arena);
            assertThat(empty.numel()).isZero();
        }
    }

    @Test
    void sliceRequestsRunConcurrentlyButNeverMoreThanTheBound() throws IOException {
        server.put("/m.safetensors", matrix(24, 10));
        try (RemoteWeights w = Weights.open(server.uri("/m.safetensors"), FAST.withMaxConcurrency(3));
             Arena arena = Arena.ofShared()) {
            server.delayMillis = 30;
            server.maxInFlight.set(0);
            Tensor t = w.shard("m", 1, 0, 2, arena); // 24 runs, one per row
            assertThat(t.shape()).containsExactly(24, 5);
            assertThat(server.maxInFlight.get()).isBetween(2, 3);
        }
    }

    @Test
    void wholeTensorsGoWhereTheCallerSays() throws IOException {
        server.put("/m.safetensors", matrix(8, 8));
        try (RemoteWeights w = Weights.open(server.uri("/m.safetensors"), FAST); Arena arena = Arena.ofConfined()) {
            MemorySegment dst = arena.allocate(256);
            w.read("m", dst);
            assertThat(dst.get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4 * 63))
                    .isEqualTo(63f);
            Tensor a = w.tensor("m");
            int reqs = server.requests();
            assertThat(w.tensor("m")).isSameAs(a);
            assertThat(server.requests()).isEqualTo(reqs);
            assertThat(w.parameterCount()).isEqualTo(64);
        }
    }

    @Test
    void aLargeTensorIsFetchedInConcurrentRanges() throws IOException {
        int rows = 4096 + 1;
        int cols = 1024; // 16 MiB + 4 KiB
        byte[] bytes = matrix(rows, cols);
        server.put("/m.safetensors", bytes);
        try (RemoteWeights w = Weights.open(server.uri("/m.safetensors"), FAST); Arena arena = Arena.ofConfined()) {
            int reqs = server.requests();
            Tensor t = w.tensor("m", arena);
            assertThat(server.requests() - reqs).isGreaterThan(1);
            assertThat(t.getFloat(rows - 1, cols - 1)).isEqualTo((float) ((long) rows * cols - 1));
            assertThat(t.getFloat(2048, 7)).isEqualTo(2048f * cols + 7);
        }
    }
}
