// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.Weights;
import dev.weightmap.remote.RemoteException;
import dev.weightmap.remote.RemoteOptions;
import dev.weightmap.remote.RemoteWeights;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Remote weights against a loopback HTTP server ({@link LoopbackRangeServer}, files read by positional reads):
 * {@code inspect} (open + close) of a single safetensors file (the 300-tensor fixture), a 3-shard checkpoint (the
 * sharded fixture), a GGUF file with a 32,000-token vocabulary (a header of about 0.9 MB: growing prefix
 * requests) and a DDUF archive (where the build reads DDUF remotely), with the requests and bytes each costs
 * printed once per trial; and fetching one 1 GiB F32 tensor (a sparse file) with 1, 4 and 8 concurrent ranges
 * into a caller's segment, against one plain {@code GET} of the whole file copied into the same segment (the
 * ceiling).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class RemoteBenchmark {
    static final RemoteOptions OPTIONS = RemoteOptions.defaults().withToken(null);
    static final long BIG = 1L << 30;

    /** The server and the files it serves. */
    @State(Scope.Benchmark)
    public static class Served {
        Path dir;
        LoopbackRangeServer server;
        URI single;
        URI sharded;
        URI gguf;
        URI dduf;
        URI big;

        @Setup(Level.Trial)
        public void setup() throws IOException {
            dir = Files.createTempDirectory("wm-remote-bench");
            server = new LoopbackRangeServer();
            single = server.serve("/single/model.safetensors", BenchFiles.fixture("safetensors/many_tensors_300.safetensors"));
            Path shards = BenchFiles.fixture("safetensors/sharded");
            try (var s = Files.list(shards)) {
                for (Path p : s.toList()) {
                    server.serve("/sharded/" + p.getFileName(), p);
                }
            }
            sharded = server.serve("/sharded/model.safetensors.index.json", shards.resolve("model.safetensors.index.json"));
            gguf = server.serve("/llama.gguf", GgufBenchFiles.llamaLike(dir.resolve("llama.gguf"), 32000, 100));
            dduf = server.serve("/pipeline.dduf", BenchFiles.fixture("dduf/pipeline-folder.dduf"));
            big = server.serve("/big.safetensors", bigMatrix(dir.resolve("big.safetensors")));
            for (URI u : new URI[] {single, sharded, gguf, dduf}) {
                try (RemoteWeights w = Weights.open(u, OPTIONS)) {
                    System.out.printf("%ninspect %s: %d tensors, %d request(s), %d bytes fetched%n", u.getPath(),
                            w.tensorNames().size(), w.requestCount(), w.bytesReceived());
                } catch (RemoteException e) { // a format not read remotely in this build: -p input=dduf fails too
                    System.out.printf("%ninspect %s: %s%n", u.getPath(), e.getMessage());
                }
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() throws IOException {
            server.close();
            BenchFiles.deleteTree(dir);
        }
    }

    /** A sparse safetensors file holding one F32 tensor {@code m} of [262144, 1024]: 1 GiB of data. */
    static Path bigMatrix(Path p) throws IOException {
        long rows = BIG / 4 / 1024;
        String header = "{\"m\":{\"dtype\":\"F32\",\"shape\":[" + rows + ",1024],\"data_offsets\":[0," + BIG + "]}}";
        header += " ".repeat((8 - header.length() % 8) % 8);
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            byte[] len = new byte[8];
            for (int i = 0; i < 8; i++) {
                len[i] = (byte) ((long) h.length >>> (8 * i));
            }
            raf.write(len);
            raf.write(h);
            raf.setLength(8 + h.length + BIG);
        }
        return p;
    }

    /** A reader of the 1 GiB file with a number of concurrent ranges, and the segment fetched into. */
    @State(Scope.Benchmark)
    public static class Fetch {
        @Param({"1", "4", "8"})
        public int ranges;
        RemoteWeights weights;
        Arena arena;
        MemorySegment dst;

        @Setup(Level.Trial)
        public void setup(Served s) {
            weights = Weights.open(s.big, OPTIONS.withMaxConcurrency(ranges));
            arena = Arena.ofShared();
            dst = arena.allocate(BIG, 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            weights.close();
            arena.close();
        }
    }

    /** The segment a plain GET copies into. */
    @State(Scope.Benchmark)
    public static class Plain {
        HttpClient client;
        Arena arena;
        MemorySegment dst;

        @Setup(Level.Trial)
        public void setup() {
            client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            arena = Arena.ofShared();
            dst = arena.allocate(BIG + (1 << 20), 64);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            client.close();
            arena.close();
        }
    }

    /** Which file {@code inspect} opens ({@code -p input=dduf} for the DDUF fixture). */
    @State(Scope.Benchmark)
    public static class Inspected {
        @Param({"single", "sharded", "gguf"})
        public String input;
        URI uri;

        @Setup(Level.Trial)
        public void setup(Served s) {
            uri = switch (input) {
                case "single" -> s.single;
                case "sharded" -> s.sharded;
                case "dduf" -> s.dduf;
                default -> s.gguf;
            };
        }
    }

    @Benchmark
    @Warmup(iterations = 5, time = 1)
    @Measurement(iterations = 10, time = 1)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public long inspect(Inspected i) {
        try (RemoteWeights w = Weights.open(i.uri, OPTIONS)) {
            return w.requestCount();
        }
    }

    @Benchmark
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 5, time = 1)
    public long fetch1GiB(Fetch f) {
        f.weights.read("m", f.dst);
        return f.dst.get(java.lang.foreign.ValueLayout.JAVA_BYTE, BIG - 1);
    }

    @Benchmark
    @Warmup(iterations = 2, time = 1)
    @Measurement(iterations = 5, time = 1)
    public long wholeGet(Served s, Plain p) throws IOException, InterruptedException {
        HttpResponse<InputStream> r = p.client.send(HttpRequest.newBuilder(s.big).timeout(Duration.ofMinutes(5)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        byte[] buf = new byte[1 << 20];
        long at = 0;
        try (InputStream in = r.body()) {
            for (int n; (n = in.read(buf)) > 0; at += n) {
                MemorySegment.copy(MemorySegment.ofArray(buf), 0, p.dst, at, n);
            }
        }
        return at;
    }
}
