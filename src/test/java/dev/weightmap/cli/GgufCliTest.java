// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.cli.CliTest.Result;
import dev.weightmap.internal.json.JsonReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.weightmap.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code inspect}, {@code verify} and {@code hash} on GGUF files, against the fixtures' expected.json. */
class GgufCliTest {
    static Path dir;
    static Map<String, Object> expected;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws Exception {
        dir = Path.of(GgufCliTest.class.getResource("/fixtures/gguf/expected.json").toURI()).getParent();
        expected = (Map<String, Object>) JsonReader.parse(Files.readAllBytes(dir.resolve("expected.json")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> file(String name) {
        for (Object o : (List<Object>) expected.get("files")) {
            if (((Map<String, Object>) o).get("file").equals(name)) {
                return (Map<String, Object>) o;
            }
        }
        throw new IllegalArgumentException(name);
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectJsonContract() {
        for (String name : List.of("kquants.gguf", "all_types.gguf", "odd_shapes.gguf", "alignment_64.gguf")) {
            Result r = run("inspect", "--json", dir.resolve(name).toString());
            assertThat(r.code()).as(r.err()).isZero();
            Map<String, Object> j = r.json();
            Map<String, Object> exp = file(name);
            assertThat(j.keySet()).containsExactly("format", "version", "alignment", "data_offset", "metadata",
                    "tensors");
            assertThat(j.get("format")).isEqualTo("gguf");
            assertThat(j.get("version")).isEqualTo(exp.get("version"));
            assertThat(j.get("alignment")).isEqualTo(exp.get("alignment"));
            assertThat(j.get("data_offset")).isEqualTo(exp.get("data_offset"));
            List<Object> tensors = (List<Object>) j.get("tensors");
            List<Object> expTensors = (List<Object>) exp.get("tensors");
            assertThat(tensors).hasSameSizeAs(expTensors);
            for (int i = 0; i < tensors.size(); i++) {
                Map<String, Object> t = (Map<String, Object>) tensors.get(i);
                Map<String, Object> e = (Map<String, Object>) expTensors.get(i);
                assertThat(t.keySet()).containsExactly("name", "dtype", "shape", "ne", "offset", "length", "alignment");
                for (String k : List.of("name", "dtype", "shape", "ne", "offset", "length")) {
                    assertThat(t.get(k)).as(name + " " + e.get("name") + " " + k).isEqualTo(e.get(k));
                }
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void metadataJsonIsExactAndSummarised() {
        Result r = run("inspect", "--json", dir.resolve("metadata_types.gguf").toString());
        assertThat(r.code()).isZero();
        Map<String, Object> md = (Map<String, Object>) r.json().get("metadata");
        assertThat(md.get("test.u64")).hasToString("18446744073709551615");
        assertThat(md.get("test.i64")).isEqualTo(Long.MIN_VALUE);
        assertThat(md.get("test.f32_nan")).isEqualTo("NaN");
        assertThat(md.get("test.f64_inf")).isEqualTo("Infinity");
        assertThat(md.get("test.arr.u8")).isEqualTo(List.of(0L, 1L, 255L));
        Map<String, Object> summary = (Map<String, Object>) md.get("test.arr.i32_long");
        assertThat(summary.keySet()).containsExactly("type", "length", "first");
        assertThat(summary.get("type")).isEqualTo("INT32");
        assertThat(summary.get("length")).isEqualTo(100L);
        assertThat((List<Object>) summary.get("first")).hasSize(GgufDescribe.FIRST).startsWith(258L, 723L, 80L);
        assertThat(md.get("test.arr.nested_i32")).isEqualTo(List.of(List.of(1L, 2L), List.of(3L), List.of(4L, 5L, 6L)));
    }

    @Test
    void tableShowsParameterCountsAndBitsPerWeight() {
        Result r = run("inspect", dir.resolve("tiny_llama_f32.gguf").toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).contains("gguf v3, 22 tensors").contains("parameters:").contains("bits per weight")
                .contains("tokenizer.ggml.tokens = [STRING x 1000: \"<unk>\"").contains("token_embd.weight");
    }

    @Test
    void verifySaysGgufRecordsNoChecksums() {
        Result r = run("verify", dir.resolve("kquants.gguf").toString());
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("OK ").contains("GGUF records no checksums");
        Result j = run("verify", "--json", dir.resolve("kquants.gguf").toString());
        assertThat(j.json().get("checksums")).isEqualTo(0L);
        assertThat(j.json().get("ok")).isEqualTo(true);
    }

    @Test
    @SuppressWarnings("unchecked")
    void hashPerTensorIsOverTheStoredBytes() {
        Result r = run("hash", "--per-tensor", "--json", dir.resolve("kquants.gguf").toString());
        assertThat(r.code()).as(r.err()).isZero();
        Map<String, Object> hashes = (Map<String, Object>) r.json().get("tensors");
        for (Object o : (List<Object>) file("kquants.gguf").get("tensors")) {
            Map<String, Object> t = (Map<String, Object>) o;
            assertThat(hashes.get(t.get("name"))).as((String) t.get("name")).isEqualTo(t.get("sha256"));
        }
    }

    @Test
    void badGgufGivesItsReason(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("x.bin");
        byte[] b = Files.readAllBytes(dir.resolve("odd_shapes.gguf"));
        b[4] = 1; // version 1
        Files.write(f, b);
        Result r = run("verify", f.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().startsWith("error: UNSUPPORTED_VERSION: ")
                .contains(f.toString());
    }

    @Test
    @SuppressWarnings("unchecked")
    void convertDequantizesToSafetensors(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("o/model.safetensors");
        Result r = run("convert", dir.resolve("all_types.gguf").toString(), out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        try (dev.weightmap.safetensors.SafetensorsFile st = dev.weightmap.safetensors.SafetensorsFile.open(out)) {
            assertThat(st.metadata()).containsEntry("general.architecture", "fixture");
            for (Object o : (List<Object>) file("all_types.gguf").get("tensors")) {
                Map<String, Object> t = (Map<String, Object>) o;
                String name = (String) t.get("name");
                dev.weightmap.tensor.Tensor x = st.tensor(name);
                assertThat(x.shape()).isEqualTo(((List<Long>) t.get("shape")).stream().mapToLong(Long::longValue)
                        .toArray());
                if (((String) t.get("dtype")).startsWith("Q") || ((String) t.get("dtype")).startsWith("TQ")
                        || t.get("dtype").equals("MXFP4")) {
                    assertThat(x.dtype().headerName()).isEqualTo("F32");
                    assertThat(dev.weightmap.gguf.GgufCliSupport.sha256(x.data())).as(name)
                            .isEqualTo(t.get("f32_sha256"));
                } else { // plain types are kept as stored
                    assertThat(x.dtype().headerName()).isEqualTo(t.get("dtype"));
                    assertThat(dev.weightmap.gguf.GgufCliSupport.sha256(x.data())).isEqualTo(t.get("sha256"));
                }
            }
        }
        Path bf = tmp.resolve("b/model.safetensors");
        assertThat(run("convert", dir.resolve("all_types.gguf").toString(), bf.toString(), "--dtype", "bf16").code())
                .isZero();
        try (dev.weightmap.safetensors.SafetensorsFile st = dev.weightmap.safetensors.SafetensorsFile.open(bf)) {
            assertThat(st.tensors().values()).allSatisfy(x -> assertThat(x.dtype().headerName()).isEqualTo("BF16"));
        }
        Path k = tmp.resolve("k/model.safetensors");
        Path q8k = tmp.resolve("q8k.gguf"); // one Q8_K tensor: a type gguf-py cannot dequantize either
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(64 + 292).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put("GGUF".getBytes()).putInt(3).putLong(1).putLong(0).putLong(1).put((byte) 'q').putInt(1).putLong(256)
                .putInt(15).putLong(0);
        Files.write(q8k, b.array());
        assertThat(run("inspect", q8k.toString()).out()).contains("Q8_K");
        Result fail = run("convert", q8k.toString(), k.toString());
        assertThat(fail.code()).isEqualTo(1);
        assertThat(fail.errLines()).singleElement().asString().startsWith("error: UNSUPPORTED_TYPE: ");
        assertThat(k).doesNotExist();
        assertThat(run("convert", dir.resolve("all_types.gguf").toString(), bf.toString(), "--dtype", "q4").code())
                .isEqualTo(2);
    }

    @Test
    @SuppressWarnings("unchecked")
    void convertToGgufQuantizesAsGgufPy(@TempDir Path tmp) throws Exception {
        Map<String, Object> writer = (Map<String, Object>) expected.get("writer");
        Map<String, Object> types = (Map<String, Object>) writer.get("types");
        Path input = dir.resolve((String) writer.get("input"));
        for (Map.Entry<String, Object> e : types.entrySet()) {
            Path out = tmp.resolve(e.getKey() + ".gguf");
            Result r = run("convert", input.toString(), out.toString(), "--type", e.getKey());
            assertThat(r.code()).as(r.err()).isZero();
            Map<String, Object> exp = (Map<String, Object>) ((Map<String, Object>) e.getValue()).get("tensors");
            try (dev.weightmap.gguf.GgufFile g = dev.weightmap.gguf.GgufFile.open(out)) {
                assertThat(g.tensorNames()).containsExactlyInAnyOrderElementsOf(exp.keySet());
                for (Map.Entry<String, Object> t : exp.entrySet()) {
                    Map<String, Object> x = (Map<String, Object>) t.getValue();
                    dev.weightmap.gguf.GgufTensorInfo info = g.info(t.getKey());
                    String label = e.getKey() + " " + t.getKey();
                    assertThat(info.type().name()).as(label).isEqualTo(x.get("dtype"));
                    assertThat(info.ne()).isEqualTo(((List<Long>) x.get("ne")).stream().mapToLong(Long::longValue)
                            .toArray());
                    assertThat(dev.weightmap.gguf.GgufCliSupport.sha256(g.raw(t.getKey()))).as(label)
                            .isEqualTo(x.get("sha256"));
                    if ("fallback".equals(x.get("stored_as"))) {
                        assertThat(r.out()).contains(t.getKey() + ": row length");
                    }
                }
            }
        }
        assertThat(run("convert", input.toString(), tmp.resolve("x.gguf").toString(), "--type", "q2_k").code())
                .isEqualTo(2);
    }

    @Test
    void convertToGgufTakesATorchCheckpoint(@TempDir Path tmp) throws Exception {
        Path pt = Path.of(GgufCliTest.class.getResource("/fixtures/torch2/tied_weights.pt").toURI());
        for (String type : new String[] {null, "bf16"}) {
            Path out = tmp.resolve(type + ".gguf");
            Result r = type == null ? run("convert", pt.toString(), out.toString())
                    : run("convert", pt.toString(), out.toString(), "--type", type);
            assertThat(r.code()).as(r.err()).isZero();
            try (dev.weightmap.Weights w = dev.weightmap.Weights.open(pt);
                 dev.weightmap.gguf.GgufFile g = dev.weightmap.gguf.GgufFile.open(out)) {
                assertThat(g.tensorNames()).containsExactlyInAnyOrderElementsOf(w.tensors().keySet());
                for (String n : g.tensorNames()) {
                    dev.weightmap.tensor.Tensor x = w.tensors().get(n);
                    assertThat(g.info(n).shape()).as(n).isEqualTo(x.shape());
                    if (type == null) {
                        assertThat(g.tensor(n).dtype()).isEqualTo(x.dtype());
                        assertThat(g.tensor(n).contiguous(java.lang.foreign.Arena.ofAuto()).data().mismatch(
                                x.contiguous(java.lang.foreign.Arena.ofAuto()).data())).as(n)
                                .isEqualTo(-1);
                    }
                }
            }
        }
    }
}
