// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.TensorLocation;
import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufArray;
import dev.weightmap.gguf.GgufException;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** GGUF over HTTP: the header from growing prefix requests, tensors on demand, as the local file gives them. */
class RemoteGgufTest extends LoopbackServerTest {

    @Test
    void everyGgufFixtureOpenedRemotelyIsTheLocalOne() throws IOException {
        for (Path f : HeaderOnlyTest.ggufFixtures()) {
            String path = "/g/" + f.getFileName();
            server.putFile(path, f);
            int before = server.requests();
            try (GgufFile local = GgufFile.open(f);
                 RemoteWeights remote = Weights.open(server.uri(path), RemoteWeightsTest.FAST)) {
                // every fixture's header fits the first request of 100 KiB
                assertThat(server.requests() - before).as(f.toString()).isEqualTo(1);
                assertThat(remote.format()).isEqualTo(Weights.GGUF);
                assertThat(remote.ggufHeader()).isPresent();
                assertThat(remote.metadata().keySet()).isEqualTo(local.metadata().keySet());
                assertThat(remote.parameterCount()).isEqualTo(local.infos().stream().mapToLong(i -> i.elements()).sum());
                List<TensorLocation> a = local.locations();
                List<TensorLocation> b = remote.locations();
                assertThat(b).hasSameSizeAs(a);
                for (int i = 0; i < a.size(); i++) {
                    assertThat(b.get(i).name()).isEqualTo(a.get(i).name());
                    assertThat(b.get(i).dtype()).isEqualTo(a.get(i).dtype());
                    assertThat(b.get(i).shape()).isEqualTo(a.get(i).shape());
                    assertThat(b.get(i).offset()).isEqualTo(a.get(i).offset());
                    assertThat(b.get(i).extras().get("ggml_type")).isEqualTo(a.get(i).extras().get("ggml_type"));
                }
                assertThat(remote.tensorNames()).isEqualTo(local.tensorNames());
                for (String k : local.metadata().keySet()) {
                    assertThat(comparable(remote.metadata().get(k))).as(k).isEqualTo(comparable(local.metadata().get(k)));
                }
                for (String n : local.tensorNames()) {
                    assertThat(RemoteWeightsTest.bytes(remote.tensor(n))).as(n)
                            .isEqualTo(RemoteWeightsTest.bytes(local.tensor(n)));
                }
                assertThat(remote.parameterCountsByType().keySet())
                        .containsExactlyElementsOf(local.parameterCounts().keySet().stream().map(Enum::name).toList());
            }
        }
    }

    /** Arrays compared by their bytes and type, other values by equality. */
    private static Object comparable(Object v) {
        return v instanceof GgufArray a ? List.of(a.elementType(), a.size(),
                Arrays.toString(a.bytes().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))) : v;
    }

    @Test
    void aHeaderLongerThanTheFirstRequestGrowsByDoubling() throws IOException {
        Path f = HeaderOnlyTest.GGUF.resolve("tiny_llama_f32.gguf");
        server.putFile("/t.gguf", f);
        try (GgufFile local = GgufFile.open(f);
             RemoteWeights remote = Weights.open(server.uri("/t.gguf"), RemoteWeightsTest.FAST.withSpeculativeBytes(1024))) {
            // 1 KiB, then at least doubling to cover a header of about 24 KiB: at most 1 + log2(24) + 1 requests
            long header = local.dataOffset();
            int bound = 1 + (64 - Long.numberOfLeadingZeros((header + 1023) / 1024)) + 1;
            assertThat(server.requests()).isGreaterThan(1).isLessThanOrEqualTo(bound);
            assertThat(remote.bytesReceived()).isLessThan(2 * header + 1024);
            assertThat(remote.tensorNames()).isEqualTo(local.tensorNames());
            String name = local.tensorNames().get(local.tensorNames().size() - 1);
            int before = server.requests();
            Tensor t = remote.tensor(name);
            assertThat(server.requests() - before).isEqualTo(1);
            assertThat(RemoteWeightsTest.bytes(t)).isEqualTo(RemoteWeightsTest.bytes(local.tensor(name)));
        }
    }

    @Test
    void aServerIgnoringRangeStillGivesTheHeadersFromTheStartOfTheBody() throws IOException {
        server.ignoreRange = true;
        Path f = HeaderOnlyTest.GGUF.resolve("tiny_llama_f32.gguf");
        server.putFile("/t.gguf", f);
        server.putFile("/big.safetensors", RemoteWeightsTest.FIXTURES.resolve("many_tensors_300.safetensors"));
        RemoteOptions small = RemoteWeightsTest.FAST.withSpeculativeBytes(1024);
        try (GgufFile local = GgufFile.open(f); RemoteWeights remote = Weights.open(server.uri("/t.gguf"), small)) {
            assertThat(remote.tensorNames()).isEqualTo(local.tensorNames());
            // every growth re-reads the prefix from byte 0 and closes the body: never the whole file
            assertThat(remote.bytesReceived()).isLessThan(4 * local.dataOffset());
            String last = local.tensorNames().get(local.tensorNames().size() - 1);
            assertThat(catchThrowableOfType(RemoteException.class, () -> remote.tensor(last)).reason())
                    .isEqualTo(RemoteException.Reason.REMOTE_RANGE_IGNORED);
        }
        try (RemoteWeights remote = Weights.open(server.uri("/big.safetensors"), small)) {
            assertThat(remote.tensorNames()).hasSize(300);
        }
    }

    @Test
    void rowsOfAGgufMatrixAreFetchedAlone() throws IOException {
        Path f = HeaderOnlyTest.GGUF.resolve("tiny_llama_f32.gguf");
        server.putFile("/t.gguf", f);
        try (GgufFile local = GgufFile.open(f);
             RemoteWeights remote = Weights.open(server.uri("/t.gguf"), RemoteWeightsTest.FAST);
             Arena arena = Arena.ofConfined()) {
            String name = local.infos().stream().filter(i -> i.ne().length == 2 && i.ne()[1] >= 4)
                    .findFirst().orElseThrow().name();
            Tensor whole = local.tensor(name);
            long rows = whole.shape()[0];
            long before = server.bytesSent.get();
            Tensor part = remote.shard(name, 0, 1, 4, arena);
            long rowBytes = whole.data().byteSize() / rows;
            assertThat(server.bytesSent.get() - before).isLessThanOrEqualTo(rowBytes * ((rows + 3) / 4));
            long first = (rows + 3) / 4;
            assertThat(RemoteWeightsTest.bytes(part)).isEqualTo(RemoteWeightsTest.bytes(
                    whole.narrow(0, first, part.shape()[0])));
        }
    }

    @Test
    void anInvalidRemoteGgufHeaderIsTheLocalError() throws IOException {
        byte[] all = Files.readAllBytes(HeaderOnlyTest.GGUF.resolve("tiny_llama_f32.gguf"));
        byte[] bad = Arrays.copyOf(all, all.length);
        ByteBuffer.wrap(bad).order(ByteOrder.LITTLE_ENDIAN).putLong(8, 1L << 50); // tensor count
        server.put("/bad.gguf", bad);
        GgufException e = catchThrowableOfType(GgufException.class,
                () -> Weights.open(server.uri("/bad.gguf"), RemoteWeightsTest.FAST));
        assertThat(e.reason()).isEqualTo(GgufException.Reason.COUNT_TOO_LARGE);
        assertThat(server.requests()).isEqualTo(1);

        // a key claiming 2^60 bytes: refused from the first request, never grown towards
        byte[] huge = Arrays.copyOf(all, all.length);
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(24, 1L << 60);
        server.put("/huge.gguf", huge);
        int before = server.requests();
        e = catchThrowableOfType(GgufException.class, () -> Weights.open(server.uri("/huge.gguf"), RemoteWeightsTest.FAST));
        assertThat(e.reason()).isEqualTo(GgufException.Reason.TRUNCATED);
        assertThat(server.requests() - before).isEqualTo(1);
    }
}
