// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.cli.Main;
import dev.weightmap.internal.json.JsonReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.weightmap.dduf.DdufTestSupport.expected;
import static dev.weightmap.dduf.DdufTestSupport.fixtures;
import static org.assertj.core.api.Assertions.assertThat;

/** The CLI on DDUF archives: inspect --json, verify, hash --per-tensor keys, export-dduf. */
class DdufCliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectJson() throws Exception {
        Path f = fixtures("dduf").resolve("pipeline-folder.dduf");
        Run r = run("inspect", "--json", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> j = (Map<String, Object>) JsonReader.parse(r.out().getBytes(StandardCharsets.UTF_8));
        assertThat(j.keySet()).containsExactly("format", "entries", "model_index", "tensors", "parameters",
                "parameter_counts");
        assertThat(j.get("format")).isEqualTo("dduf");
        Map<String, Object> exp = (Map<String, Object>) ((List<Object>) expected("dduf").get("files")).get(0);
        List<Object> entries = (List<Object>) j.get("entries");
        List<Object> expEntries = (List<Object>) exp.get("entries");
        assertThat(entries).hasSameSizeAs(expEntries);
        for (int i = 0; i < entries.size(); i++) {
            Map<String, Object> e = (Map<String, Object>) entries.get(i);
            Map<String, Object> x = (Map<String, Object>) expEntries.get(i);
            assertThat(e.keySet()).containsExactly("name", "offset", "length", "crc32", "alignment");
            assertThat(e.get("name")).isEqualTo(x.get("name"));
            assertThat(e.get("offset")).isEqualTo(x.get("data_offset"));
            assertThat(e.get("length")).isEqualTo(x.get("length"));
            assertThat(e.get("crc32")).isEqualTo(x.get("crc32"));
        }
        List<Object> tensors = (List<Object>) j.get("tensors");
        List<Object> expTensors = (List<Object>) exp.get("tensors");
        assertThat(tensors).hasSameSizeAs(expTensors);
        for (int i = 0; i < tensors.size(); i++) {
            Map<String, Object> t = (Map<String, Object>) tensors.get(i);
            Map<String, Object> x = (Map<String, Object>) expTensors.get(i);
            // the one tensor schema: the common fields first, then the DDUF extra (then alignment)
            assertThat(t.keySet()).containsExactly("name", "dtype", "shape", "offset", "length", "alignment", "entry");
            long off = ((Number) t.get("offset")).longValue();
            assertThat(t.get("alignment")).isEqualTo(off == 0 ? 4096L : Math.min(4096L, Long.lowestOneBit(off)));
            assertThat(t.get("entry")).isEqualTo(x.get("entry"));
            assertThat(t.get("name")).isEqualTo(x.get("name"));
            assertThat(t.get("offset")).isEqualTo(x.get("archive_offset"));
            assertThat(t.get("length")).isEqualTo(x.get("nbytes"));
            assertThat(t.get("shape")).isEqualTo(x.get("shape"));
        }
        assertThat((Map<String, Object>) j.get("model_index")).containsKey("vae");
        Run table = run("inspect", f.toString());
        assertThat(table.out()).contains("dduf, 10 entries").contains("vae/diffusion_pytorch_model.safetensors");
    }

    @Test
    void verifyOkAndCorrupted() throws Exception {
        Path f = fixtures("dduf2").resolve("pipeline-folder.dduf");
        Run ok = run("verify", f.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        assertThat(ok.out()).startsWith("OK " + f + ": dduf, 15 entries");
        byte[] b = Files.readAllBytes(f);
        b[100] ^= 1; // inside model_index.json's data: CRC mismatch (JSON still parses? flip a space-free byte)
        Path bad = dir.resolve("bad.dduf");
        Files.write(bad, b);
        Run r = run("verify", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: DDUF_CORRUPTED: " + bad + ": ");
        Path badSt = dir.resolve("badst.dduf");
        java.nio.file.Files.write(badSt, new dev.weightmap.internal.zip.RawZip().add("model_index.json", "{}")
                .add("w.safetensors", "not safetensors").build());
        Run st = run("verify", badSt.toString());
        assertThat(st.code()).isEqualTo(1);
        assertThat(st.err()).startsWith("error: DDUF_CORRUPTED: " + badSt + ": entry 'w.safetensors': invalid safetensors: ");
        Run missing = run("verify", dir.resolve("none.dduf").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: NOT_FOUND: ");
    }

    @Test
    void hashPerTensorKeys() {
        Path f = fixtures("dduf").resolve("pipeline-folder.dduf");
        Run r = run("hash", "--per-tensor", "--json", f.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("\"vae/diffusion_pytorch_model.safetensors::decoder.conv_out.weight\":\"0a3ae6e80224744e770851fa0a5a7862cfc771a0137e85398f2655bee827f737\"");
    }

    @Test
    void exportDduf() throws Exception {
        Path src = fixtures("dduf").resolve("source-pipeline");
        Path out = dir.resolve("o.dduf");
        Run r = run("export-dduf", src.toString(), out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("wrote " + out + ": 10 entries, ");
        assertThat(run("verify", out.toString()).code()).isZero();
        Path out2 = dir.resolve("e.dduf");
        Run e = run("export-dduf", out2.toString(), "--entry", "model_index.json=" + src.resolve("model_index.json"),
                "--entry", "notes.txt=" + src.resolve("tokenizer/merges.txt"));
        assertThat(e.code()).as(e.err()).isZero();
        try (DdufFile d = DdufFile.open(out2)) {
            assertThat(d.entries().keySet()).containsExactly("model_index.json", "notes.txt");
        }
        Run bad = run("export-dduf", out2.toString(), "--entry", "x.bin=" + src.resolve("model_index.json"));
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("error: DDUF_EXPORT: " + out2 + ": Invalid entry name: x.bin");
        assertThat(run("export-dduf", "only-one-arg").code()).isEqualTo(2);
    }
}
