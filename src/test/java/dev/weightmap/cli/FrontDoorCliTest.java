// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.cli.CliTest.Result;
import dev.weightmap.internal.json.JsonReader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.weightmap.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CLI over the one front door ({@code Weights.open}): every command accepts every input the same way, one
 * tensor schema in {@code inspect --json}, {@code verify --json}, paths printed as given, and today's output kept
 * field for field.
 *
 * <p>{@code today-outputs.json} holds the CLI's output before the front door (commit a77cc53, run from the fixtures
 * folder with relative paths): {@code inspect --json}, {@code verify} and {@code hash --per-tensor --json} of every
 * input listed. The contract only grows, so every field printed then must still be printed with the same value.
 */
class FrontDoorCliTest {
    @TempDir
    Path tmp;

    static Path fixtures;
    static Map<String, Map<String, Object>> today;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws Exception {
        fixtures = Path.of(FrontDoorCliTest.class.getResource("/fixtures").toURI());
        try (InputStream in = FrontDoorCliTest.class.getResourceAsStream("today-outputs.json")) {
            today = (Map<String, Map<String, Object>>) JsonReader.parse(in.readAllBytes());
        }
    }

    private static Path input(String key) {
        return fixtures.resolve(key);
    }

    /** Single-file inputs of today's table (no folders, no index files). */
    private static List<String> singleFiles() {
        return today.keySet().stream().filter(k -> Files.isRegularFile(input(k)) && !k.endsWith(".index.json"))
                .toList();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> tensors(Map<String, Object> inspect) {
        return (List<Map<String, Object>>) inspect.get("tensors");
    }

    // ------------------------------------------------------------------------------------------------ today's output

    @Test
    @SuppressWarnings("unchecked")
    void everyFieldPrintedTodayIsStillPrintedWithTheSameValue() {
        assertThat(today).hasSizeGreaterThan(30);
        for (Map.Entry<String, Map<String, Object>> e : today.entrySet()) {
            String key = e.getKey();
            String given = input(key).toString();
            Result r = run("inspect", "--json", given);
            assertThat(r.code()).as(key + ": " + r.err()).isZero();
            Map<String, Object> now = r.json();
            Map<String, Object> then = (Map<String, Object>) e.getValue().get("inspect");
            assertThat(now.keySet()).as(key).containsAll(then.keySet());
            for (Map.Entry<String, Object> f : then.entrySet()) {
                switch (f.getKey()) {
                    case "tensors" -> {
                        List<Map<String, Object>> a = tensors(now);
                        List<Map<String, Object>> b = (List<Map<String, Object>>) f.getValue();
                        assertThat(a).as(key).hasSameSizeAs(b);
                        for (int i = 0; i < a.size(); i++) {
                            assertThat(a.get(i)).as(key + " tensor " + i).containsAllEntriesOf(b.get(i));
                        }
                    }
                    // paths: printed as given now (the old output mixed relative and absolute): same files
                    case "index" -> assertThat(fileName(now.get("index"))).as(key).isEqualTo(fileName(f.getValue()));
                    case "files" -> assertThat(((List<Object>) now.get("files")).stream().map(FrontDoorCliTest::fileName))
                            .as(key).containsExactlyElementsOf(((List<Object>) f.getValue()).stream()
                                    .map(FrontDoorCliTest::fileName).toList());
                    default -> assertThat(now.get(f.getKey())).as(key + " " + f.getKey()).isEqualTo(f.getValue());
                }
            }
            Result v = run("verify", given);
            assertThat(v.code()).as(key + ": " + v.err()).isZero();
            String thenVerify = (String) e.getValue().get("verify");
            assertThat(v.out().strip()).as(key).isEqualTo("OK " + given + thenVerify.substring(("OK " + key).length()));
            Result h = run("hash", "--per-tensor", "--json", given);
            assertThat(h.code()).as(key + ": " + h.err()).isZero();
            assertThat(h.json()).as(key).isEqualTo(e.getValue().get("hash"));
        }
    }

    private static String fileName(Object path) {
        return path == null ? null : Path.of((String) path).getFileName().toString();
    }

    // ------------------------------------------------------------------------------------------------ the schema

    @Test
    void oneTensorSchemaForEveryFormatWithAbsoluteOffsets() throws Exception {
        List<String> formats = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : today.entrySet()) {
            Path in = input(e.getKey());
            Map<String, Object> j = run("inspect", "--json", in.toString()).json();
            formats.add((String) j.get("format"));
            @SuppressWarnings("unchecked")
            Map<String, Object> sha = (Map<String, Object>) ((Map<String, Object>) e.getValue().get("hash")).get("tensors");
            for (Map<String, Object> t : tensors(j)) {
                assertThat(new ArrayList<>(t.keySet()).subList(0, 6)).as(e.getKey())
                        .containsExactly("name", "dtype", "shape", "offset", "length", "alignment");
                long offset = (Long) t.get("offset");
                long length = (Long) t.get("length");
                assertThat(t.get("alignment")).isEqualTo(offset == 0 ? 4096L : Math.min(4096L, Long.lowestOneBit(offset)));
                // the bytes at [offset, offset + length) of the file they live in are the tensor's logical bytes
                if (Boolean.FALSE.equals(t.get("contiguous"))) {
                    continue;
                }
                Path file = in;
                if (t.containsKey("file")) {
                    file = (Files.isDirectory(in) ? in : in.getParent()).resolve((String) t.get("file"));
                }
                String key = t.containsKey("entry") ? t.get("entry") + "::" + t.get("name") : (String) t.get("name");
                byte[] all = Files.readAllBytes(file);
                byte[] slice = Arrays.copyOfRange(all, (int) offset, (int) (offset + length));
                assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(slice)))
                        .as(e.getKey() + " " + key).isEqualTo(sha.get(key));
            }
        }
        assertThat(formats).contains("safetensors", "dduf", "torch", "sharded");
    }

    @Test
    void formatExtrasAreAddedAfterTheCommonFields() {
        Map<String, Object> dduf = run("inspect", "--json", input("dduf/pipeline-entries.dduf").toString()).json();
        assertThat(tensors(dduf).get(0).keySet()).containsExactly("name", "dtype", "shape", "offset", "length",
                "alignment", "entry");
        Map<String, Object> sharded = run("inspect", "--json", input("hub/b_sharded/safetensors").toString()).json();
        assertThat(tensors(sharded).get(0).keySet()).containsExactly("name", "dtype", "shape", "offset", "length",
                "alignment", "file");
        Map<String, Object> torch = run("inspect", "--json", input("torch/module_state_dict.pt").toString()).json();
        assertThat(new ArrayList<>(tensors(torch).get(0).keySet())).startsWith("name", "dtype", "shape", "offset",
                "length", "alignment").contains("torch_dtype", "stride", "storage_offset", "storage", "contiguous");
        Map<String, Object> st = run("inspect", "--json", input("safetensors/with_metadata.safetensors").toString())
                .json();
        assertThat(tensors(st).get(0).keySet()).containsExactly("name", "dtype", "shape", "offset", "length",
                "alignment");
    }

    // ------------------------------------------------------------------------------------------------ verify --json

    @Test
    void verifyJsonForEveryInput() {
        for (String key : today.keySet()) {
            String given = input(key).toString();
            Result r = run("verify", "--json", given);
            assertThat(r.code()).as(key + ": " + r.err()).isZero();
            assertThat(r.err()).isEmpty();
            assertThat(r.out()).endsWith("\n").doesNotContain("\n\n");
            Map<String, Object> j = r.json();
            assertThat(j.keySet()).as(key).containsExactly("format", "path", "tensors", "files", "bytes", "checksums",
                    "checks", "warnings", "ok");
            Map<String, Object> inspect = run("inspect", "--json", given).json();
            assertThat(j.get("format")).isEqualTo(inspect.get("format"));
            assertThat(j.get("path")).isEqualTo(given);
            assertThat(j.get("tensors")).isEqualTo((long) tensors(inspect).size());
            assertThat((Long) j.get("files")).isPositive();
            assertThat((Long) j.get("bytes")).isNotNegative();
            assertThat((Long) j.get("checksums")).isNotNegative();
            assertThat(j.get("checks")).isInstanceOf(List.class);
            assertThat(j.get("warnings")).isEqualTo(List.of());
            assertThat(j.get("ok")).isEqualTo(true);
        }
        Map<String, Object> dduf = run("verify", "--json", input("dduf/pipeline-entries.dduf").toString()).json();
        assertThat((Long) dduf.get("checksums")).isPositive();
        Map<String, Object> torch = run("verify", "--json", input("torch/tied_weights.pt").toString()).json();
        assertThat((Long) torch.get("checksums")).isPositive();
        Map<String, Object> sharded = run("verify", "--json", input("hub/b_sharded/safetensors").toString()).json();
        assertThat(sharded.get("files")).isEqualTo(4L); // the index and three shards
    }

    @Test
    void verifyJsonFailureAndManifest() throws IOException {
        Path bad = tmp.resolve("bad.safetensors");
        Files.write(bad, dev.weightmap.safetensors.TestFiles.image(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]));
        Result r = run("verify", "--json", bad.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.errLines()).singleElement().asString().startsWith("error: INVALID_OFFSET: " + bad + ": ");
        Map<String, Object> j = r.json();
        assertThat(j.keySet()).containsExactly("path", "ok", "reason", "message");
        assertThat(j.get("ok")).isEqualTo(false);
        assertThat(j.get("reason")).isEqualTo("INVALID_OFFSET");
        assertThat(r.errLines().get(0)).isEqualTo("error: INVALID_OFFSET: " + j.get("message"));

        Result missing = run("verify", "--json", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.json().get("reason")).isEqualTo("NOT_FOUND");

        Path model = tmp.resolve("model.safetensors");
        Files.copy(input("safetensors/with_metadata.safetensors"), model);
        Path manifest = tmp.resolve("m.json");
        assertThat(run("hash", "--manifest", manifest.toString(), model.toString()).code()).isZero();
        Result ok = run("verify", "--json", "--manifest", manifest.toString(), model.toString());
        assertThat(ok.code()).as(ok.err()).isZero();
        Map<String, Object> m = ok.json();
        assertThat(m.keySet()).containsExactly("format", "path", "tensors", "files", "bytes", "checksums", "checks",
                "warnings", "manifest", "ok");
        assertThat(m.get("manifest")).isEqualTo(Map.of("path", manifest.toString(), "algo", "sha256", "tensors", 3L,
                "files", 1L));
        byte[] bytes = Files.readAllBytes(model);
        bytes[bytes.length - 1] ^= 1;
        Files.write(model, bytes);
        Result mismatch = run("verify", "--json", "--manifest", manifest.toString(), model.toString());
        assertThat(mismatch.code()).isEqualTo(1);
        assertThat(mismatch.json()).containsEntry("format", "safetensors").containsEntry("ok", false)
                .containsEntry("reason", "CHECKSUM_MISMATCH");
        assertThat(mismatch.errLines()).singleElement().asString().startsWith("error: CHECKSUM_MISMATCH: ");
        assertThat(run("verify", "--json", "--bogus", model.toString()).code()).isEqualTo(2);
    }

    // ------------------------------------------------------------------------------------------------ inputs

    private Path copyFolder(String key, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(input(key))) {
            for (Path p : s.toList()) {
                Files.copy(p, to.resolve(p.getFileName()));
            }
        }
        return to;
    }

    @Test
    void aFolderHoldingOnlyABinIndexWorksForEveryCommand() throws IOException {
        for (String key : List.of("torch/sharded", "hub/b_sharded/bin")) {
            Path in = copyFolder(key, tmp.resolve(key.replace('/', '_')));
            try (Stream<Path> s = Files.list(in)) {
                assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".safetensors"))).isEmpty();
            }
            Result inspect = run("inspect", in.toString());
            assertThat(inspect.code()).as(inspect.err()).isZero();
            assertThat(inspect.out()).contains("index pytorch_model.bin.index.json");
            assertThat(run("inspect", "--json", in.toString()).json().get("format")).isEqualTo("sharded");
            Result verify = run("verify", in.toString());
            assertThat(verify.code()).as(verify.err()).isZero();
            assertThat(verify.out()).contains("index and shards agree");
            Result hash = run("hash", in.toString());
            assertThat(hash.code()).as(hash.err()).isZero();
            assertThat(hash.out().lines()).hasSizeGreaterThan(2).anyMatch(l -> l.endsWith("pytorch_model.bin.index.json"));
            Result perTensor = run("hash", "--per-tensor", "--json", in.toString());
            assertThat(perTensor.code()).as(perTensor.err()).isZero();
            assertThat(perTensor.json()).isEqualTo(today.get(key).get("hash"));
            Path shardOut = tmp.resolve(key.replace('/', '_') + "-shard");
            Result shard = run("shard", in.toString(), shardOut.toString(), "--max-shard-size", "1KB");
            assertThat(shard.code()).as(shard.err()).isZero();
            assertThat(run("hash", "--per-tensor", "--json", shardOut.toString()).json()).isEqualTo(perTensor.json());
            Path convertOut = tmp.resolve(key.replace('/', '_') + "-convert").resolve("model.safetensors");
            Result convert = run("convert", in.toString(), convertOut.toString());
            assertThat(convert.code()).as(convert.err()).isZero();
            assertThat(run("hash", "--per-tensor", "--json", convertOut.getParent().toString()).json())
                    .isEqualTo(perTensor.json());
        }
    }

    @Test
    void anExtensionlessCopyBehavesExactlyLikeTheNamedFile() throws IOException {
        List<String> files = singleFiles();
        assertThat(files).hasSizeGreaterThan(20);
        int i = 0;
        for (String key : files) {
            Path named = input(key);
            Path blob = Files.createDirectories(tmp.resolve("blobs" + i++)).resolve("3f9c2a");
            Files.copy(named, blob);
            Result a = run("inspect", "--json", named.toString());
            Result b = run("inspect", "--json", blob.toString());
            assertThat(b.code()).as(key + ": " + b.err()).isZero();
            assertThat(b.out()).as(key).isEqualTo(a.out());
            Result va = run("verify", named.toString());
            Result vb = run("verify", blob.toString());
            assertThat(vb.out()).as(key).isEqualTo(va.out().replace(named.toString(), blob.toString()));
            assertThat(run("hash", "--per-tensor", blob.toString()).out()).as(key)
                    .isEqualTo(run("hash", "--per-tensor", named.toString()).out());
            Result ta = run("inspect", named.toString());
            assertThat(run("inspect", blob.toString()).out()).as(key)
                    .isEqualTo(ta.out().replace(named.toString(), blob.toString()));
        }
        // an index file under another name (its shards beside it)
        Path ck = copyFolder("hub/b_sharded/safetensors", tmp.resolve("ck"));
        Path index = ck.resolve("model.safetensors.index.json");
        Path renamed = Files.copy(index, ck.resolve("7d41e0"));
        Map<String, Object> viaName = run("inspect", "--json", index.toString()).json();
        Map<String, Object> viaBlob = run("inspect", "--json", renamed.toString()).json();
        assertThat(viaBlob.get("tensors")).isEqualTo(viaName.get("tensors"));
        assertThat(viaBlob.get("files")).isEqualTo(viaName.get("files"));
        assertThat(viaBlob.get("index")).isEqualTo(renamed.toString());
        assertThat(run("hash", "--per-tensor", renamed.toString()).out())
                .isEqualTo(run("hash", "--per-tensor", index.toString()).out());
        Result v = run("verify", renamed.toString());
        assertThat(v.code()).as(v.err()).isZero();
        // the writing commands too
        Path blob = tmp.resolve("blobs0").resolve("3f9c2a");
        Files.copy(input("torch/module_state_dict.pt"), blob, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Result c = run("convert", blob.toString(), tmp.resolve("c/model.safetensors").toString());
        assertThat(c.code()).as(c.err()).isZero();
        Result s = run("shard", blob.toString(), tmp.resolve("s").toString());
        assertThat(s.code()).as(s.err()).isZero();
        assertThat(run("hash", "--per-tensor", tmp.resolve("s").toString()).out())
                .isEqualTo(run("hash", "--per-tensor", tmp.resolve("c").toString()).out());
    }

    @Test
    void contentOfNoKnownFormatIsUnknownFormat() throws IOException {
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("empty", new byte[0]);
        cases.put("text", "hello, this is not a model\n".getBytes(StandardCharsets.UTF_8));
        cases.put("page", "<!DOCTYPE html><html><body>404</body></html>".getBytes(StandardCharsets.UTF_8));
        cases.put("binary", new byte[] {0x13, 0x37, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
        for (Map.Entry<String, byte[]> e : cases.entrySet()) {
            Path p = tmp.resolve(e.getKey());
            Files.write(p, e.getValue());
            for (String[] args : new String[][] {{"inspect", p.toString()}, {"inspect", "--json", p.toString()},
                {"verify", p.toString()}, {"hash", "--per-tensor", p.toString()},
                {"convert", p.toString(), tmp.resolve("o/model.safetensors").toString()},
                {"shard", p.toString(), tmp.resolve("o2").toString()}}) {
                Result r = run(args);
                assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
                assertThat(r.out()).isEmpty();
                assertThat(r.errLines()).as(String.join(" ", args)).singleElement().asString()
                        .startsWith("error: UNKNOWN_FORMAT: ").contains(p.toString());
            }
            // a whole-file hash reads any file
            assertThat(run("hash", p.toString()).code()).isZero();
        }
        Path gguf = tmp.resolve("model");
        Files.write(gguf, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
        Result r = run("inspect", gguf.toString());
        assertThat(r.code()).isEqualTo(1);
        // GGUF is detected by its magic whatever the name: a file cut short in its header gets the GGUF reason
        assertThat(r.errLines()).singleElement().asString().startsWith("error: TRUNCATED: ").contains(gguf.toString());
    }

    @Test
    void pathsArePrintedAsGiven() throws IOException {
        Path abs = copyFolder("hub/b_sharded/safetensors", tmp.resolve("ck"));
        String rel = Path.of("").toAbsolutePath().relativize(abs).toString();
        for (String given : List.of(rel, abs.toString())) {
            Result h = run("hash", given);
            assertThat(h.code()).as(h.err()).isZero();
            assertThat(h.out().lines()).hasSize(4).allMatch(l -> l.substring(66).startsWith(given + "/"));
            Map<String, Object> j = run("inspect", "--json", given).json();
            assertThat((String) j.get("index")).isEqualTo(given + "/model.safetensors.index.json");
            assertThat(j.get("files")).asList().allMatch(f -> ((String) f).startsWith(given + "/"));
            Result viaIndex = run("hash", given + "/model.safetensors.index.json");
            assertThat(viaIndex.out().lines()).singleElement().asString()
                    .endsWith("  " + given + "/model.safetensors.index.json");
        }
    }
}
