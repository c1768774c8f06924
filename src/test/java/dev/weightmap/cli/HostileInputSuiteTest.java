// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.safetensors.TestFiles;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.shard.SaveOptions;
import dev.weightmap.shard.StateDicts;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The command line in a child JVM with {@value #HEAP} over hostile inputs: each run ends within {@value #BOUND_S} s
 * (generous: the machine may be shared), and a refused input exits 1 with exactly one
 * {@code error: REASON: message} line whose reason is the expected typed one, never INTERNAL or an
 * OutOfMemoryError; the largest accepted inputs succeed under the same bounds. Big inputs are generated here, in a
 * temporary folder; the largest ones run only with {@code -Plong}.
 */
class HostileInputSuiteTest {
    static final String HEAP = "-Xmx256m";
    static final long BOUND_S = 60;
    static final boolean LONG = Integer.getInteger(Seeded.TRIES_FACTOR_PROPERTY, 1) > 1;

    @TempDir
    static Path tmp;

    record Result(int code, String err, double seconds) {
    }

    /** Runs {@code weightmap ARGS} in a child JVM; stdout goes to a file, stderr is returned. */
    static Result cli(String... args) throws IOException, InterruptedException {
        return cliWithHeap(HEAP, args);
    }

    /** {@link #cli} with another {@code -Xmx} option. */
    static Result cliWithHeap(String heap, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        boolean done = p.waitFor(BOUND_S, TimeUnit.SECONDS);
        double s = (System.nanoTime() - t0) / 1e9;
        if (!done) {
            p.destroyForcibly().waitFor();
        }
        String e = Files.readString(err, StandardCharsets.UTF_8);
        Files.delete(out);
        Files.delete(err);
        assertThat(done).as("weightmap %s did not finish within %d s", String.join(" ", args), BOUND_S).isTrue();
        return new Result(p.exitValue(), e, s);
    }

    /** Asserts exit 1 with one error line of {@code reason}. */
    static void refused(String reason, String... args) throws Exception {
        Result r = cli(args);
        String what = String.join(" ", args) + " -> " + r.err();
        assertThat(r.code()).as(what).isEqualTo(1);
        assertThat(r.err().lines().toList()).as(what).hasSize(1);
        assertThat(r.err()).as(what).startsWith("error: " + reason + ": ").doesNotContain("INTERNAL")
                .doesNotContain("OutOfMemoryError");
    }

    /** Asserts exit 0 and nothing on stderr. */
    static void accepted(String... args) throws Exception {
        Result r = cli(args);
        assertThat(r.code()).as(String.join(" ", args) + " -> " + r.err()).isZero();
        assertThat(r.err()).as(String.join(" ", args)).isEmpty();
    }

    // ------------------------------------------------------------------------------------------ inputs

    /** Writes a safetensors file of one U8 [1] tensor per name (plus metadata), streaming the header. */
    static Path safetensors(String file, List<String> names, String metadataJson) throws IOException {
        StringBuilder sb = new StringBuilder("{");
        if (metadataJson != null) {
            sb.append("\"__metadata__\":").append(metadataJson);
        }
        for (int i = 0; i < names.size(); i++) {
            if (sb.length() > 1) {
                sb.append(',');
            }
            sb.append('"').append(names.get(i)).append("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[")
                    .append(i).append(',').append(i + 1).append("]}");
        }
        byte[] header = sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        Path p = tmp.resolve(file);
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            o.write(header);
            o.write(new byte[names.size()]);
        }
        return p;
    }

    static List<String> numbered(int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add("t" + i);
        }
        return out;
    }

    /** A sparse file of {@code length} bytes that starts with {@code head}. */
    static Path sparse(String file, byte[] head, long length) throws IOException {
        Path p = tmp.resolve(file);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.write(head);
            raf.setLength(length);
        }
        return p;
    }

    static String fixture(String rel) throws URISyntaxException {
        return Path.of(HostileInputSuiteTest.class.getResource("/fixtures/" + rel).toURI()).toString();
    }

    static Path collide;

    @BeforeAll
    static void inputs() throws IOException {
        collide = safetensors("collide.safetensors", TestFiles.collidingNames(17), null); // 131,072 names, 12 MB
    }

    // ------------------------------------------------------------------------------------------ cases

    @Test
    void hashFloodingNames() throws Exception {
        accepted("verify", collide.toString());
        accepted("inspect", collide.toString());
        accepted("hash", "--per-tensor", "--algo", "xxh3-64", collide.toString());
        // the same names as an index's weight_map (the index and the checkpoint's name maps)
        Path dir = Files.createDirectories(tmp.resolve("collide-ckpt"));
        Files.copy(collide, dir.resolve("model-00001-of-00001.safetensors"));
        StringBuilder index = new StringBuilder("{\"metadata\": {\"total_size\": 131072}, \"weight_map\": {");
        List<String> names = TestFiles.collidingNames(17);
        for (int i = 0; i < names.size(); i++) {
            index.append(i == 0 ? "" : ", ").append('"').append(names.get(i))
                    .append("\": \"model-00001-of-00001.safetensors\"");
        }
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.append("}}"));
        accepted("verify", dir.toString());
    }

    @Test
    void headersOverTheLimitAreRefusedWithoutReadingThem() throws Exception {
        // a header length of 100,000,001 bytes (a 100 MB __metadata__ value), the file as long as it claims
        byte[] head = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(100_000_001L).array();
        String p = sparse("huge-header.safetensors", head, 8 + 100_000_001L).toString();
        refused("HEADER_TOO_LARGE", "inspect", p);
        refused("HEADER_TOO_LARGE", "verify", p);
        refused("HEADER_TOO_LARGE", "hash", "--per-tensor", p);
    }

    @Test
    void indexFilesOverTheLimitAreRefused() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("big-index"));
        byte[] head = "{\"metadata\": {\"total_size\": 1, \"pad\": \"".getBytes(StandardCharsets.US_ASCII);
        Path index = sparse("big-index/model.safetensors.index.json", head, 236L << 20);
        refused("LIMIT_EXCEEDED", "inspect", dir.toString());
        refused("LIMIT_EXCEEDED", "verify", index.toString());
    }

    @Test
    void theLargestAcceptedIndex() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ten-mib-index"));
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("a", Tensor.of(MemorySegment.ofArray(new byte[] {1, 2}), DType.U8, 2));
        Safetensors.save(sd, Map.of("format", "pt"), dir.resolve("model-00001-of-00001.safetensors"));
        String tail = "\"}, \"weight_map\": {\"a\": \"model-00001-of-00001.safetensors\"}}";
        String head = "{\"metadata\": {\"total_size\": 2, \"pad\": \"";
        int pad = (10 << 20) - head.length() - tail.length();
        Files.writeString(dir.resolve("model.safetensors.index.json"), head + "x".repeat(pad) + tail);
        assertThat(Files.size(dir.resolve("model.safetensors.index.json"))).isEqualTo(10L << 20);
        accepted("verify", dir.toString());
        accepted("inspect", dir.toString());
    }

    @Test
    void expandedViewsPromiseTerabytes() throws Exception {
        for (String f : List.of("torch-hostile/expanded.pt", "torch-hostile/expanded_legacy.pt")) {
            String p = fixture(f);
            accepted("verify", p);
            refused("AMPLIFICATION", "hash", "--per-tensor", p);
            refused("AMPLIFICATION", "convert", p, tmp.resolve("x/model.safetensors").toString());
            refused("AMPLIFICATION", "shard", p, tmp.resolve("y").toString());
        }
        refused("INVALID_VIEW", "hash", "--per-tensor", fixture("torch-hostile/expanded_overflow.pt"));
        accepted("hash", "--per-tensor", fixture("torch-hostile/empty_at_max_offset.pt"));
    }

    @Test
    void maliciousPickles() throws Exception {
        for (String f : List.of("pickled_module.pt", "reduce_eval.pt", "reduce_popen.pt", "reduce_system.pt")) {
            refused("FORBIDDEN_GLOBAL", "verify", fixture("torch-malicious/" + f));
        }
    }

    @Test
    void aMillionOneByteTensors() throws Exception {
        // 1,000,000 tensors: a 70 MB header, within the 100 MB limit
        Path p = safetensors("million.safetensors", numbered(LONG ? 1_000_000 : 200_000), null);
        accepted("verify", p.toString());
        accepted("hash", p.toString());
        accepted("inspect", p.toString());
    }

    @Test
    void twoHundredThousandTensorPickle() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("many-pt"));
        int n = LONG ? 200_000 : 50_000;
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            sd.put("layer." + i + ".w", Tensor.of(MemorySegment.ofArray(new byte[] {(byte) i}), DType.U8, 1));
        }
        StateDicts.save(sd, dir, SaveOptions.builder().format(SaveOptions.Format.TORCH).maxShardSize(Long.MAX_VALUE)
                .build());
        String p = dir.resolve("pytorch_model.bin").toString();
        accepted("verify", p);
        accepted("inspect", p);
    }

    @Test
    void aLargeAcceptedMetadataValue() throws Exception {
        // a __metadata__ value just under the header limit (99 MB), only with -Plong (it writes 99 MB)
        org.junit.jupiter.api.Assumptions.assumeTrue(LONG, "a 99 MB input: run with -Plong");
        Path p = safetensors("meta.safetensors", List.of("a"), "{\"k\":\"" + "x".repeat(99_000_000) + "\"}");
        // the header bytes, the decoded value and its printed copy: about three times the header
        Result r = cli("verify", p.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: OUT_OF_MEMORY: ");
        assertThat(cliWithHeap("-Xmx512m", "verify", p.toString()).code()).isZero();
        assertThat(cliWithHeap("-Xmx512m", "inspect", p.toString()).code()).isZero();
    }

    @Test
    void theLargestHeaderTheLimitAllows() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(LONG, "a 100 MB input: run with -Plong");
        // 1,440,000 one-byte tensors: a 98.9 MB header, just within the 100,000,000-byte limit
        Path p = safetensors("max.safetensors", numbered(1_440_000), null);
        accepted("verify", p.toString()); // fits 256 MiB
        Result r = cli("hash", "--per-tensor", p.toString()); // every hash held: more than 256 MiB
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: OUT_OF_MEMORY: ").contains("larger -Xmx");
        assertThat(cliWithHeap("-Xmx1g", "hash", "--per-tensor", "--algo", "xxh3-64", p.toString()).code()).isZero();
        assertThat(cliWithHeap("-Xmx512m", "inspect", "--json", p.toString()).code()).isZero();
    }
}
