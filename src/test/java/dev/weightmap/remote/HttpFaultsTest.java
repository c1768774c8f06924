// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.safetensors.SafetensorsException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class HttpFaultsTest {
    static final RemoteOptions FAST = RemoteOptions.defaults().withToken(null)
            .withRetries(2, Duration.ofMillis(5)).withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));

    RangeServer server;
    byte[] file;

    @BeforeEach
    void start() throws IOException {
        server = RangeServer.start();
        file = RemoteWeightsTest.matrix(64, 64);
        server.put("/m.safetensors", file);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private URI url() {
        return server.uri("/m.safetensors");
    }

    private static float first(RemoteWeights w, long row) {
        try (Arena a = Arena.ofConfined()) {
            return w.narrow("m", 0, row, 1, a).getFloat(0, 0);
        }
    }

    @Test
    void aServerIgnoringRangeServesTheHeaderFromTheStartOfTheBodyButNoLaterRange() {
        server.ignoreRange = true;
        file = RemoteWeightsTest.matrix(8192, 1024); // 32 MiB: far more than loopback socket buffers hold
        server.put("/m.safetensors", file);
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            assertThat(w.tensorNames()).containsExactly("m");
            assertThat(server.bytesSent.get()).isLessThan(file.length); // closed before the whole body
            RemoteException e = catchThrowableOfType(RemoteException.class, () -> first(w, 10));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_RANGE_IGNORED);
            assertThat(e.getMessage()).startsWith(url().toString());
        }
    }

    @Test
    void aDroppedConnectionIsResumedAndTooManyDropsAreTruncated() {
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            server.drops.set(1);
            server.dropAfter = 100;
            int before = server.requests();
            assertThat(first(w, 40)).isEqualTo(40 * 64);
            assertThat(server.requests() - before).isEqualTo(2);
            assertThat(server.log.get(server.log.size() - 1).range()).isEqualTo("bytes=" + (dataStart() + 40 * 256 + 100)
                    + "-" + (dataStart() + 41 * 256 - 1));
            server.drops.set(10);
            server.dropAfter = 10; // three attempts bring 30 of the row's 256 bytes
            RemoteException e = catchThrowableOfType(RemoteException.class, () -> first(w, 41));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_TRUNCATED);
        }
    }

    private long dataStart() {
        return 8 + ByteBuffer.wrap(file, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void aWrongContentRangeIsRefused() {
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            server.badContentRange = "bytes 0-255/" + file.length;
            RemoteException e = catchThrowableOfType(RemoteException.class, () -> first(w, 3));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_BAD_CONTENT_RANGE);
        }
        server.badContentRange = "bytes 0-10/*";
        assertThatThrownBy(() -> Weights.open(url(), FAST)).isInstanceOf(RemoteException.class)
                .extracting(t -> ((RemoteException) t).reason()).isEqualTo(RemoteException.Reason.REMOTE_BAD_CONTENT_RANGE);
    }

    @Test
    void twoServerErrorsAreRetriedThenSucceedButThreeAreNot() {
        server.fail500.set(2);
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            assertThat(server.requests()).isEqualTo(3);
            assertThat(w.tensorNames()).containsExactly("m");
        }
        server.fail500.set(3);
        RemoteException e = catchThrowableOfType(RemoteException.class, () -> Weights.open(url(), FAST));
        assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_HTTP_STATUS);
        assertThat(e.getMessage()).contains("500").contains("3 attempts");
    }

    @Test
    void aSlowServerTimesOut() {
        server.delayMillis = 2000;
        RemoteOptions quick = FAST.withRetries(1, Duration.ofMillis(1))
                .withTimeouts(Duration.ofSeconds(2), Duration.ofMillis(200));
        long t0 = System.nanoTime();
        RemoteException e = catchThrowableOfType(RemoteException.class, () -> Weights.open(url(), quick));
        assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_TIMEOUT);
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(30)); // no hang
    }

    @Test
    void aFileChangingBetweenRequestsIsAnErrorNeverAMix() {
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            byte[] changed = file.clone();
            changed[changed.length - 1] ^= 1;
            server.put("/m.safetensors", changed); // new ETag
            RemoteException e = catchThrowableOfType(RemoteException.class, () -> first(w, 1));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_CHANGED);
            assertThat(server.log.get(server.log.size() - 1).ifMatch()).isEqualTo("\"v1\"");
            server.ignoreIfMatch = true; // a server that does not check preconditions: the ETag is compared here
            e = catchThrowableOfType(RemoteException.class, () -> first(w, 1));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_CHANGED);
        }
    }

    @Test
    void theTokenGoesToTheNamedHostOnlyNeverThroughARedirectElsewhere() throws IOException {
        try (RangeServer cdn = RangeServer.start()) {
            cdn.put("/m.safetensors", file);
            // the same loopback address under another name is another host
            server.redirectTo = URI.create("http://localhost:" + cdn.uri("/").getPort() + "/");
            RemoteOptions withToken = FAST.withToken("hf_secret_token_123");
            try (RemoteWeights w = Weights.open(url(), withToken)) {
                assertThat(first(w, 5)).isEqualTo(5 * 64);
                assertThat(w.toString()).doesNotContain("hf_secret");
            }
            assertThat(server.log.get(0).authorization()).isEqualTo("Bearer hf_secret_token_123");
            assertThat(cdn.log).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
            // later reads go straight to the redirect target
            assertThat(server.requests()).isEqualTo(1);
            assertThat(withToken.toString()).doesNotContain("hf_secret");
        }
    }

    @Test
    void anExpiredRedirectTargetIsAskedForAgainAtTheNamedUrl() throws IOException {
        try (RangeServer cdn = RangeServer.start(); RangeServer cdn2 = RangeServer.start()) {
            cdn.put("/m.safetensors", file);
            cdn2.put("/m.safetensors", file); // the same version (ETag) on both
            server.redirectTo = cdn.uri("/");
            try (RemoteWeights w = Weights.open(url(), FAST)) {
                cdn.removeAll(); // the remembered target answers 404, as an expired signed URL does
                server.redirectTo = cdn2.uri("/");
                int before = server.requests();
                assertThat(first(w, 2)).isEqualTo(2 * 64);
                assertThat(server.requests() - before).isEqualTo(1);
                assertThat(cdn2.requests()).isEqualTo(1);
            }
        }
    }

    @Test
    void statusCodesMapToReasonsAnd429IsRetried() {
        server.status = 401;
        server.statusTimes.set(1);
        RemoteException e = catchThrowableOfType(RemoteException.class, () -> Weights.open(url(), FAST));
        assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_UNAUTHORIZED);
        assertThat(e.getMessage()).contains("HF_TOKEN");
        server.status = 429;
        server.statusTimes.set(2);
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            assertThat(w.tensorNames()).containsExactly("m");
        }
        server.status = 418;
        server.statusTimes.set(1);
        assertThat(catchThrowableOfType(RemoteException.class, () -> Weights.open(url(), FAST)).reason())
                .isEqualTo(RemoteException.Reason.REMOTE_HTTP_STATUS);
    }

    @Test
    void aRedirectLoopEndsWithATypedError() {
        server.redirectTo = server.uri("/loop/");
        RemoteException e = catchThrowableOfType(RemoteException.class, () -> Weights.open(url(), FAST));
        assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_REDIRECT);
        assertThat(server.requests()).isEqualTo(RemoteOptions.defaults().maxRedirects() + 1);
    }

    @Test
    void errorsNameTheUrlWithoutQueryOrToken() {
        URI secret = URI.create(server.uri("/missing.safetensors") + "?X-Amz-Signature=abcdef");
        RemoteException e = catchThrowableOfType(RemoteException.class,
                () -> Weights.open(secret, FAST.withToken("hf_tok_999")));
        assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_NOT_FOUND);
        assertThat(e.getMessage()).contains("/missing.safetensors").doesNotContain("abcdef").doesNotContain("hf_tok");
        assertThat(e.file()).doesNotContain("abcdef");
        assertThat(catchThrowableOfType(RemoteException.class, () -> Weights.open(URI.create("ftp://x/y"), FAST))
                .reason()).isEqualTo(RemoteException.Reason.REMOTE_BAD_URL);
    }

    @Test
    void aHeaderLengthOf2To60IsRefusedAfterOneRequest() {
        byte[] hostile = new byte[64];
        ByteBuffer.wrap(hostile).order(ByteOrder.LITTLE_ENDIAN).putLong(1L << 60).put((byte) '{');
        server.put("/h.safetensors", hostile);
        SafetensorsException e = catchThrowableOfType(SafetensorsException.class,
                () -> Weights.open(server.uri("/h.safetensors"), FAST));
        assertThat(e.code()).isEqualTo("HEADER_TOO_LARGE");
        assertThat(server.requests()).isEqualTo(1);
        // a length past the end of the file
        ByteBuffer.wrap(hostile).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        server.put("/h.safetensors", hostile);
        assertThat(catchThrowableOfType(SafetensorsException.class, () -> Weights.open(server.uri("/h.safetensors"),
                FAST)).code()).isEqualTo("INVALID_HEADER_LENGTH");
    }

    @Test
    void aBodyShorterThanPromisedIsTruncatedNotPartial() {
        try (RemoteWeights w = Weights.open(url(), FAST.withRetries(0, Duration.ZERO)); Arena a = Arena.ofConfined()) {
            server.drops.set(1);
            server.dropAfter = 7;
            RemoteException e = catchThrowableOfType(RemoteException.class, () -> w.tensor("m", a));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_TRUNCATED);
            assertThat(e.getMessage()).contains("7 of");
            // the reader's own copy is not cached half-filled: the next call fetches it whole
            assertThat(w.tensor("m").getFloat(63, 63)).isEqualTo(63 * 64 + 63);
        }
    }

    @Test
    void rangesPastTheEndAndMissingTensorsAreTypedErrors() {
        try (HttpRangeSource s = HttpRangeSource.open(url(), FAST)) {
            byte[] tail = s.readSuffix(16);
            assertThat(tail).hasSize(16);
            assertThat(s.size()).isEqualTo(file.length);
            RemoteException e = catchThrowableOfType(RemoteException.class,
                    () -> s.read(file.length - 4, java.lang.foreign.MemorySegment.ofArray(new byte[8])));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_RANGE_NOT_SATISFIABLE);
        }
        try (RemoteWeights w = Weights.open(url(), FAST)) {
            assertThat(catchThrowableOfType(WeightmapException.class, () -> w.tensor("nope")).code())
                    .isEqualTo("TENSOR_NOT_FOUND");
            assertThat(catchThrowableOfType(WeightmapException.class, () -> w.shard("m", 2, 0, 2, Arena.global()))
                    .code()).isEqualTo("INVALID_ARGUMENT");
            w.close();
            assertThatThrownBy(() -> w.tensor("m")).isInstanceOf(dev.weightmap.WeightsClosedException.class);
        }
        byte[] empty = {};
        server.put("/empty", empty);
        try (HttpRangeSource s = HttpRangeSource.open(server.uri("/empty"), FAST)) {
            RemoteException e = catchThrowableOfType(RemoteException.class, () -> s.readPrefix(10));
            assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_RANGE_NOT_SATISFIABLE);
        }
    }

    @Test
    void byteContentOfASliceIsExact() {
        try (RemoteWeights w = Weights.open(url(), FAST); Arena a = Arena.ofShared()) {
            var t = w.slice("m", new long[] {2, 3}, new long[] {4, 7}, a);
            float[] got = new float[8];
            for (int i = 0; i < 8; i++) {
                got[i] = t.data().get(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 4L * i);
            }
            assertThat(got).containsExactly(131, 132, 133, 134, 195, 196, 197, 198);
        }
    }
}
