// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {

    /** What one run of the command printed; the CLI tests of this package share it with {@link #run}. */
    record Result(int code, String out, String err) {
        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }

        /** Standard output parsed as the JSON object of a {@code --json} command. */
        @SuppressWarnings("unchecked")
        Map<String, Object> json() {
            return (Map<String, Object>) JsonReader.parse(out.strip().getBytes(StandardCharsets.UTF_8));
        }
    }

    static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static String fixture(String name) {
        return TestFiles.fixture(name).toString();
    }

    @Test
    void inspectJsonHasTheContractFieldsInOrder() {
        for (Map<String, Object> exp : TestFiles.expectedFiles()) {
            Result r = run("inspect", "--json", fixture((String) exp.get("file")));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).endsWith("\n").doesNotContain("\n\n");
            @SuppressWarnings("unchecked")
            Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
            assertThat(j.keySet()).containsExactly("format", "header_length", "data_start", "metadata", "tensors",
                    "parameters", "parameter_counts");
            assertThat(j.get("format")).isEqualTo("safetensors");
            assertThat(j.get("header_length")).isEqualTo(exp.get("header_len"));
            assertThat(j.get("data_start")).isEqualTo(exp.get("data_start"));
            assertThat(j.get("metadata")).isEqualTo(exp.get("metadata") == null ? Map.of() : exp.get("metadata"));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> ts = (List<Map<String, Object>>) j.get("tensors");
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> et = (List<Map<String, Object>>) exp.get("tensors");
            assertThat(ts).hasSameSizeAs(et);
            for (int i = 0; i < ts.size(); i++) {
                Map<String, Object> t = ts.get(i);
                Map<String, Object> e = et.get(i);
                assertThat(t.keySet()).containsExactly("name", "dtype", "shape", "offset", "length", "alignment");
                assertThat(t.get("name")).isEqualTo(e.get("name"));
                assertThat(t.get("dtype")).isEqualTo(e.get("dtype"));
                assertThat(t.get("shape")).isEqualTo(e.get("shape"));
                long begin = ((Number) ((List<?>) e.get("data_offsets")).get(0)).longValue();
                long offset = ((Number) exp.get("data_start")).longValue() + begin;
                assertThat(t.get("offset")).isEqualTo(offset);
                assertThat(t.get("length")).isEqualTo(e.get("nbytes"));
                long align = offset == 0 ? 4096 : Math.min(4096, Long.lowestOneBit(offset));
                assertThat(t.get("alignment")).isEqualTo(align);
            }
        }
    }

    @Test
    void inspectJsonEmptyFileIsExact() {
        Result r = run("inspect", "--json", fixture("empty.safetensors"));
        assertThat(r.out()).isEqualTo("{\"format\":\"safetensors\",\"header_length\":8,\"data_start\":16,\"metadata\":{},\"tensors\":[],"
                + "\"parameters\":0,\"parameter_counts\":{}}\n");
    }

    @Test
    void inspectTable() {
        Result r = run("inspect", fixture("with_metadata.safetensors"));
        assertThat(r.code()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines.get(0)).contains("with_metadata.safetensors").contains("safetensors, 3 tensors, header 360 bytes, data at 368");
        assertThat(r.out()).contains("metadata:").contains("  format = pt");
        String header = lines.stream().filter(l -> l.startsWith("NAME")).findFirst().orElseThrow();
        assertThat(header).contains("DTYPE").contains("SHAPE").contains("OFFSET").contains("BYTES").contains("ALIGN");
        assertThat(r.out()).containsPattern("(?m)^step\\s+I64\\s+\\[\\]\\s+368\\s+8\\s+16$");
        assertThat(r.out()).containsPattern("(?m)^weight\\s+F32\\s+\\[4, 3\\]\\s+392\\s+48\\s+8$");
    }

    @Test
    void verifyOk() {
        for (Map<String, Object> exp : TestFiles.expectedFiles()) {
            Result r = run("verify", fixture((String) exp.get("file")));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).startsWith("OK ").contains("safetensors").endsWith("\n");
            assertThat(r.err()).isEmpty();
        }
    }

    @Test
    void verifyInvalidPrintsOneErrorLine(@TempDir Path dir) throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "INVALID_OFFSET");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", "TENSOR_INVALID_INFO");
        cases.put("{\"a\":{\"dtype\":\"X\",\"shape\":[1],\"data_offsets\":[0,4]}}", "UNKNOWN_DTYPE");
        cases.put("{\"a\":1", "INVALID_JSON");
        cases.put("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"a\":{}}", "DUPLICATE_KEY");
        int i = 0;
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Path p = dir.resolve("bad" + i++ + ".safetensors");
            Files.write(p, TestFiles.image(c.getKey(), new byte[8]));
            Result r = run("verify", p.toString());
            assertThat(r.code()).isEqualTo(1);
            assertThat(r.out()).isEmpty();
            assertThat(r.errLines()).hasSize(1);
            assertThat(r.errLines().get(0)).startsWith("error: " + c.getValue() + ": " + p + ": ");
            assertThat(r.err()).doesNotContain("\tat ").doesNotContain("Exception");
            // inspect and hash report the same way
            Result ri = run("inspect", "--json", p.toString());
            assertThat(ri.code()).isEqualTo(1);
            assertThat(ri.errLines()).containsExactly(r.errLines().get(0));
            assertThat(run("hash", "--per-tensor", p.toString()).errLines()).containsExactly(r.errLines().get(0));
        }
        // too small, and a newline inside a message stays on one line
        Path small = dir.resolve("small.safetensors");
        Files.write(small, new byte[3]);
        assertThat(run("verify", small.toString()).errLines()).singleElement().asString().startsWith("error: HEADER_TOO_SMALL: ");
        Path nl = dir.resolve("nl.safetensors");
        Files.write(nl, TestFiles.image("{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[4]));
        Result r = run("verify", nl.toString());
        assertThat(r.errLines()).singleElement().asString().startsWith("error: TENSOR_INVALID_INFO: ");
        // --debug adds the stack trace
        Result d = run("--debug", "verify", nl.toString());
        assertThat(d.code()).isEqualTo(1);
        assertThat(d.err()).contains("\tat ");
    }

    @Test
    void missingFileIsNotFound(@TempDir Path dir) {
        String p = dir.resolve("nope.safetensors").toString();
        for (String[] args : new String[][] {{"verify", p}, {"inspect", p}, {"hash", p}, {"hash", "--per-tensor", p}}) {
            Result r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.errLines()).singleElement().asString().startsWith("error: NOT_FOUND: ").contains("nope.safetensors");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"verify", "verify a b", "verify --bogus x", "inspect", "inspect --json", "inspect --json=1 x",
        "hash", "hash --algo md5 x", "hash --algo", "demo extra", "frobnicate", "hash --per-tensor --algo= x"})
    void usageErrorsExitTwo(String line) {
        Result r = run(line.split(" "));
        assertThat(r.code()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: USAGE: ");
        assertThat(r.err()).doesNotContain("\tat ");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void noArgumentsPrintsUsageAndExitsTwo() {
        Result r = run();
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).contains("usage: weightmap").contains("inspect").contains("verify").contains("hash").contains("demo");
    }

    @Test
    void helpAndVersion() {
        for (String h : new String[] {"--help", "-h", "help"}) {
            Result r = run(h);
            assertThat(r.code()).isZero();
            assertThat(r.out()).contains("commands:");
        }
        for (Command c : Main.COMMANDS) {
            for (String[] args : new String[][] {{c.name(), "--help"}, {c.name(), "-h"}, {"help", c.name()}, {c.name(), "x", "--help"}}) {
                Result r = run(args);
                assertThat(r.code()).isZero();
                assertThat(r.out()).startsWith("weightmap " + c.name()).isEqualTo(c.usage() + "\n");
                assertThat(r.err()).isEmpty();
            }
            assertThat(c.summary()).isNotBlank();
        }
        Result v = run("--version");
        assertThat(v.code()).isZero();
        assertThat(v.out()).isEqualTo("weightmap " + Main.VERSION + "\n");
        assertThat(run("-V").out()).isEqualTo(v.out());
    }

    @Test
    void hashWholeFileEqualsSha256sum() throws Exception {
        for (String f : new String[] {"empty.safetensors", "large_f32_512x512.safetensors", "unicode_names.safetensors"}) {
            Path p = TestFiles.fixture(f);
            String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
            Result r = run("hash", p.toString());
            assertThat(r.code()).isZero();
            assertThat(r.out()).isEqualTo(expected + "  " + p + "\n");
            assertThat(run("hash", "--algo", "sha256", p.toString()).out()).isEqualTo(r.out());
            assertThat(run("hash", "--algo=sha256", p.toString()).out()).isEqualTo(r.out());
        }
        // sha256 of the empty input
        Result e = run("hash", TestFiles.fixture("expected.json").toString());
        assertThat(e.code()).isZero();
    }

    @Test
    void hashPerTensorJsonEqualsExpected() {
        for (Map<String, Object> exp : TestFiles.expectedFiles()) {
            Result r = run("hash", "--per-tensor", "--json", fixture((String) exp.get("file")));
            assertThat(r.code()).as(r.err()).isZero();
            @SuppressWarnings("unchecked")
            Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
            assertThat(j.keySet()).containsExactly("algo", "tensors");
            assertThat(j.get("algo")).isEqualTo("sha256");
            Map<String, Object> want = new LinkedHashMap<>();
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> et = (List<Map<String, Object>>) exp.get("tensors");
            et.forEach(t -> want.put((String) t.get("name"), t.get("sha256")));
            @SuppressWarnings("unchecked")
            Map<String, Object> got = (Map<String, Object>) j.get("tensors");
            assertThat(new ArrayList<>(got.entrySet())).containsExactlyElementsOf(want.entrySet());
        }
        Result plain = run("hash", "--per-tensor", fixture("with_metadata.safetensors"));
        assertThat(plain.out().lines().toList()).containsExactly(
                "e6ad6c9a3a3b7658c35bacf6553fcb8ffe34387534a648fe18f875b8f7a86ddb  step",
                "283e4f49b9351bde5277c7018f4a353063da06644e860cfbaba79fea476349ec  bias",
                "d793bc6fdc77e1596922d3f5ca766733bfea620622eaf77abb214efcfb237ca6  weight");
    }

    @Test
    void demoRuns() {
        Result r = run("demo");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains("wrote ").contains("opened zero-copy in").contains("model.embed_tokens.weight")
                .contains("step (I64) = 1000").contains("lm_head.weight_scale (F8_E4M3)");
        String wrote = r.out().lines().filter(l -> l.startsWith("wrote ")).findFirst().orElseThrow();
        Path file = Path.of(wrote.substring(6, wrote.indexOf(" (")));
        assertThat(file).doesNotExist();
        assertThat(file.getParent()).doesNotExist();
    }

    @Test
    void demoKeep() throws Exception {
        Result r = run("demo", "--keep");
        assertThat(r.code()).isZero();
        String kept = r.out().lines().filter(l -> l.startsWith("kept ")).findFirst().orElseThrow().substring(5);
        Path p = Path.of(kept);
        assertThat(run("verify", kept).code()).isZero();
        Files.delete(p);
        Files.delete(p.getParent());
    }

    @Test
    void directoryIsNotASafetensorsFile(@TempDir Path dir) {
        Result r = run("inspect", dir.toString());
        assertThat(r.code()).isIn(1, 2);
        assertThat(r.errLines()).hasSize(r.code() == 2 ? 2 : 1);
        assertThat(r.err()).doesNotContain("\tat ");
    }
}
