// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.Weights;

import java.lang.foreign.Arena;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A whole-process timing against a loopback {@link RangeServer} (not a unit test): requests and bytes per
 * {@code inspect}, and the throughput of fetching one large tensor with 1, 4 and 8 concurrent ranges against one
 * plain {@code GET} of the whole file (the ceiling). Run with
 * {@code java -Xmx4g -cp target/classes:target/test-classes dev.weightmap.remote.RemoteTiming [MiB]}.
 */
public final class RemoteTiming {
    private RemoteTiming() {
    }

    /**
     * Runs the timing.
     *
     * @param args the tensor size in MiB (default 1024)
     * @throws Exception when anything fails
     */
    public static void main(String[] args) throws Exception {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
        int cols = 1024;
        int rows = mib * 256;
        byte[] file = RemoteWeightsTest.matrix(rows, cols);
        try (RangeServer server = RangeServer.start()) {
            server.put("/m.safetensors", file);
            URI url = server.uri("/m.safetensors");
            try (RemoteWeights w = Weights.open(url, RemoteOptions.defaults().withToken(null))) {
                System.out.printf("inspect: %d request(s), %d bytes fetched%n", w.requestCount(), w.bytesReceived());
            }
            for (int round = 0; round < 3; round++) {
                try (HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()) {
                    long t0 = System.nanoTime();
                    byte[] all = c.send(HttpRequest.newBuilder(url).timeout(Duration.ofMinutes(5)).build(),
                            HttpResponse.BodyHandlers.ofByteArray()).body();
                    report("one GET of the whole file", all.length, t0);
                }
                for (int conc : new int[] {1, 4, 8}) {
                    try (RemoteWeights w = Weights.open(url, RemoteOptions.defaults().withToken(null)
                            .withMaxConcurrency(conc)); Arena arena = Arena.ofShared()) {
                        long r0 = w.requestCount();
                        long t0 = System.nanoTime();
                        var t = w.tensor("m", arena);
                        report("tensor(), " + conc + " concurrent range(s), " + (w.requestCount() - r0) + " requests",
                                t.byteLength(), t0);
                    }
                }
            }
        }
    }

    private static void report(String what, long bytes, long t0) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-50s %6.0f MiB in %6.3f s = %7.1f MiB/s%n", what, bytes / 1048576.0, s,
                bytes / 1048576.0 / s);
    }
}
