// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.cli.CliTest.Result;
import static dev.weightmap.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code weightmap hash} and {@code verify --manifest}, run in-process through {@link Main#run}. */
class HashCommandTest {
    @TempDir
    Path dir;
    Path file;

    @BeforeEach
    void writeModel() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> t = new LinkedHashMap<>();
            MemorySegment a = arena.allocate(600 * 4L, 4);
            for (int i = 0; i < 600; i++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) Math.sin(i));
            }
            t.put("model.embed.weight", Tensor.of(a, DType.F32, 20, 30));
            t.put("model.norm.weight", Tensor.of(arena.allocate(16).fill((byte) 1), DType.F32, 4));
            MemorySegment b = arena.allocate(5000);
            for (int i = 0; i < 5000; i++) {
                b.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 31 + 7));
            }
            t.put("lm_head.weight", Tensor.of(b, DType.U8, 50, 100));
            file = dir.resolve("model.safetensors");
            Safetensors.save(t, Map.of("format", "pt"), file);
        }
    }

    private static String expectedFile(ChecksumAlgorithm a, Path p) throws IOException {
        return Checksums.hex(a, MemorySegment.ofArray(Files.readAllBytes(p)));
    }

    @Test
    void defaultIsSha256OfTheWholeFile() throws IOException {
        Result r = run("hash", file.toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).isEqualTo(expectedFile(ChecksumAlgorithm.SHA256, file) + "  " + file + "\n");
    }

    @Test
    void everyAlgorithmAndSeveralPaths() throws IOException {
        Path other = dir.resolve("other.bin");
        Files.write(other, new byte[] {1, 2, 3});
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            Result r = run("hash", "--algo", a.cliName(), "--threads", "2", file.toString(), other.toString());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo(expectedFile(a, file) + "  " + file + "\n"
                    + expectedFile(a, other) + "  " + other + "\n");
        }
        Result json = run("hash", "--algo", "xxh3-128", "--json", file.toString());
        assertThat(json.out().trim()).isEqualTo("{\"algo\":\"xxh3-128\",\"files\":{\"" + file + "\":\""
                + expectedFile(ChecksumAlgorithm.XXH3_128, file) + "\"},\"parallel\":\"streams\"}");
        Result crc = run("hash", "--algo", "crc32c", "--json", file.toString());
        assertThat(crc.out().trim()).endsWith(",\"parallel\":\"pieces\"}");
    }

    @Test
    void onATerminalASingleStreamHashSaysWhyCoresStayIdle() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        // said only where progress is shown: forced here, after a second by default, never for a short hash
        int code = Main.run(new String[] {"--progress", "hash", "--algo", "xxh3-64", "--threads", "2",
                file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), true);
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(expectedFile(ChecksumAlgorithm.XXH3_64, file)
                + "  " + file + "\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).endsWith("\rnote: xxh3-64 hashes each file as one sequential"
                + " stream on one thread (1 of 2 threads busy); crc32c and crc32 split a file across all cores\n");
        assertThat(run("hash", "--algo", "xxh3-64", "--threads", "2", file.toString()).err()).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void perTensorJson() throws IOException {
        Result r = run("hash", "--per-tensor", "--json", "--algo", "xxh3-64", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> m = (Map<String, Object>) JsonReader.parse(r.out().trim().getBytes(StandardCharsets.UTF_8));
        assertThat(m.keySet()).containsExactly("algo", "tensors");
        assertThat(m.get("algo")).isEqualTo("xxh3-64");
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> expected = Checksums.hexOfTensors(ChecksumAlgorithm.XXH3_64, f.tensors(), 1);
            assertThat((Map<String, Object>) m.get("tensors")).containsExactlyEntriesOf(
                    new LinkedHashMap<>(expected));
        }
        Result sha = run("hash", "--per-tensor", file.toString());
        assertThat(sha.out().lines().toList()).hasSize(3).allMatch(l -> l.matches("[0-9a-f]{64}  \\S+"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void perTensorSha256MatchesHashlibOnTheRustFixture() throws IOException {
        Path fx = dir.resolve("all_dtypes.safetensors");
        try (var in = HashCommandTest.class.getResourceAsStream("/fixtures/checksums/all_dtypes.safetensors")) {
            Files.write(fx, in.readAllBytes());
        }
        Map<String, Object> expected;
        try (var in = HashCommandTest.class.getResourceAsStream("/fixtures/checksums/all_dtypes.tensor-sha256.json")) {
            expected = (Map<String, Object>) JsonReader.parse(in.readAllBytes());
        }
        Result r = run("hash", "--per-tensor", "--json", fx.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> m = (Map<String, Object>) JsonReader.parse(r.out().trim().getBytes(StandardCharsets.UTF_8));
        assertThat(m.get("algo")).isEqualTo("sha256");
        assertThat((Map<String, Object>) m.get("tensors"))
                .containsExactlyInAnyOrderEntriesOf((Map<String, Object>) expected.get("tensors"));
        assertThat(run("hash", fx.toString()).out())
                .isEqualTo("aa646cec127b6d6507aca3e96ed9e3caa1c99879b5b3f381184af1a61cd76df9  " + fx + "\n");
    }

    @Test
    @SuppressWarnings("unchecked")
    void perTensorSha256OfTorchAndDdufFixturesMatchesTheirTools() throws IOException {
        Map<String, Object> expected;
        try (var in = HashCommandTest.class.getResourceAsStream("/fixtures/checksums/formats.tensor-sha256.json")) {
            expected = (Map<String, Object>) ((Map<String, Object>) JsonReader.parse(in.readAllBytes())).get("files");
        }
        assertThat(expected).containsOnlyKeys("noncontiguous.pt", "view_offset.pt", "pipeline-entries.dduf");
        for (Map.Entry<String, Object> e : expected.entrySet()) {
            Path fx = dir.resolve(e.getKey());
            try (var in = HashCommandTest.class.getResourceAsStream("/fixtures/checksums/" + e.getKey())) {
                Files.write(fx, in.readAllBytes());
            }
            for (String threads : List.of("1", "3")) {
                Result r = run("hash", "--per-tensor", "--json", "--threads", threads, fx.toString());
                assertThat(r.code()).as(r.err()).isZero();
                Map<String, Object> m = (Map<String, Object>) JsonReader.parse(
                        r.out().trim().getBytes(StandardCharsets.UTF_8));
                assertThat((Map<String, Object>) m.get("tensors")).as(e.getKey())
                        .containsAllEntriesOf((Map<String, Object>) e.getValue());
            }
            Path manifest = dir.resolve(e.getKey() + ".json");
            assertThat(run("hash", "--manifest", manifest.toString(), "--algo", "xxh3-128", fx.toString()).code())
                    .isZero();
            Result ok = run("verify", "--manifest", manifest.toString(), fx.toString());
            assertThat(ok.code()).as(ok.err()).isZero();
            assertThat(ok.out()).startsWith("OK ").contains("files match (xxh3-128)");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void manifestThenVerify() throws IOException {
        Path manifest = dir.resolve("m.json");
        Result w = run("hash", "--manifest", manifest.toString(), "--algo", "crc32c", file.toString());
        assertThat(w.code()).as(w.err()).isZero();
        assertThat(w.out()).isEqualTo("wrote " + manifest + ": 3 tensors, 1 files (crc32c)\n");
        Map<String, Object> m = (Map<String, Object>) JsonReader.parse(Files.readAllBytes(manifest));
        assertThat(m.keySet()).containsExactly("algo", "format", "tensors", "files");
        assertThat(m.get("format")).isEqualTo("safetensors");
        assertThat((Map<String, Object>) m.get("files"))
                .containsExactly(Map.entry("model.safetensors", expectedFile(ChecksumAlgorithm.CRC32C, file)));
        assertThat(Files.list(dir).map(p -> p.getFileName().toString()).toList())
                .containsExactlyInAnyOrder("model.safetensors", "m.json");

        Result ok = run("verify", "--manifest", manifest.toString(), file.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("OK ").contains("3 tensors, 1 files match (crc32c)");

        // flip one byte inside lm_head.weight's data
        byte[] bytes = Files.readAllBytes(file);
        long dataStart;
        long begin;
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            dataStart = f.dataStart();
            begin = f.info("lm_head.weight").begin();
        }
        bytes[(int) (dataStart + begin + 10)] ^= 1;
        Files.write(file, bytes);
        Result bad = run("verify", "--manifest", manifest.toString(), file.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.out()).isEmpty();
        assertThat(bad.err()).startsWith("error: CHECKSUM_MISMATCH: ")
                .contains("2 differences")
                .contains("tensor lm_head.weight crc32c")
                .contains("file model.safetensors crc32c")
                .doesNotContain("model.norm.weight")
                .endsWith("\n");
        assertThat(bad.err().lines().count()).isEqualTo(1);
    }

    @Test
    void verifyReportsMissingAndUnexpectedTensors() throws IOException {
        Path manifest = dir.resolve("m.json");
        Files.writeString(manifest, "{\"algo\":\"sha256\",\"tensors\":{\"gone\":\"00\"},\"files\":{\"nope.bin\":\"00\"}}");
        Result r = run("verify", "--manifest", manifest.toString(), file.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: CHECKSUM_MISMATCH: ")
                .contains("tensor gone missing").contains("tensor model.embed.weight not in manifest")
                .contains("tensor lm_head.weight not in manifest").contains("file nope.bin missing")
                .contains("5 differences");
    }

    @Test
    void badManifestsAndUsage() throws IOException {
        Path manifest = dir.resolve("m.json");
        Files.writeString(manifest, "{\"algo\":\"md5\",\"tensors\":{}}");
        Result r = run("verify", "--manifest", manifest.toString(), file.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: IO_ERROR: manifest " + manifest + ": \"algo\" must be one of");
        Files.writeString(manifest, "[1,");
        assertThat(run("verify", "--manifest", manifest.toString(), file.toString()).err())
                .startsWith("error: IO_ERROR: manifest " + manifest + " is not valid JSON");
        Files.writeString(manifest, "{\"algo\":\"crc32\",\"tensors\":{\"a\":1}}");
        assertThat(run("verify", "--manifest", manifest.toString(), file.toString()).err())
                .startsWith("error: IO_ERROR: manifest " + manifest + ": \"tensors\".a must be a hex string");
        Files.writeString(manifest, "{\"algo\":\"crc32\",\"files\":{\"../etc/passwd\":\"00\"}}");
        assertThat(run("verify", "--manifest", manifest.toString(), file.toString()).err())
                .startsWith("error: IO_ERROR: manifest " + manifest + ": file key \"../etc/passwd\" must be a relative path");
        Files.writeString(manifest, "{\"algo\":\"crc32\",\"files\":{\"/etc/passwd\":\"00\"}}");
        assertThat(run("verify", "--manifest", manifest.toString(), file.toString()).err())
                .startsWith("error: IO_ERROR: manifest " + manifest + ": file key \"/etc/passwd\" must be a relative path");
        assertThat(run("verify", "--manifest", dir.resolve("none.json").toString(), file.toString()).err())
                .startsWith("error: NOT_FOUND: ");

        Result algo = run("hash", "--algo", "md5", file.toString());
        assertThat(algo.code()).isEqualTo(2);
        assertThat(algo.err()).startsWith("error: USAGE: unsupported --algo md5");
        assertThat(run("hash", "--threads", "0", file.toString()).code()).isEqualTo(2);
        assertThat(run("hash").code()).isEqualTo(2);
        assertThat(run("hash", "--manifest", "x.json", file.toString(), file.toString()).err())
                .startsWith("error: USAGE: --manifest takes exactly one PATH");
        Result missing = run("hash", dir.resolve("missing.safetensors").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: NOT_FOUND: ");
        assertThat(run("hash", "--help").out()).contains("--manifest OUT.json").contains("xxh3-128");
        assertThat(List.of(run("verify", "--help").out())).allMatch(s -> s.contains("--manifest M.json"));
    }
}
