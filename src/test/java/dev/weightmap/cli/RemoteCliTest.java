// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.remote.RangeServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class RemoteCliTest {
    static final Path SHARDED = Path.of("src/test/resources/fixtures/safetensors/sharded");
    static final Path SINGLE = Path.of("src/test/resources/fixtures/safetensors/with_metadata.safetensors");

    RangeServer server;

    @BeforeEach
    void start() throws IOException {
        server = RangeServer.start();
        server.putFile("/with_metadata.safetensors", SINGLE);
        try (Stream<Path> s = Files.list(SHARDED)) {
            for (Path p : s.toList()) {
                server.putFile("/repo/resolve/main/" + p.getFileName(), p);
            }
        }
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectOfAUrlListsWhatInspectOfTheFileLists() {
        String url = server.uri("/with_metadata.safetensors").toString();
        Map<String, Object> remote = CliTest.run("inspect", "--json", url).json();
        Map<String, Object> local = CliTest.run("inspect", "--json", SINGLE.toString()).json();
        assertThat(remote.get("format")).isEqualTo("safetensors");
        assertThat(remote.get("url")).isEqualTo(url);
        assertThat(remote.get("requests")).isEqualTo(1L);
        assertThat(remote.get("metadata")).isEqualTo(local.get("metadata"));
        assertThat(remote.get("parameters")).isEqualTo(local.get("parameters"));
        assertThat(remote.get("parameter_counts")).isEqualTo(local.get("parameter_counts"));
        List<Map<String, Object>> rt = (List<Map<String, Object>>) remote.get("tensors");
        List<Map<String, Object>> lt = (List<Map<String, Object>>) local.get("tensors");
        assertThat(rt).hasSameSizeAs(lt);
        for (int i = 0; i < rt.size(); i++) {
            for (String k : List.of("name", "dtype", "shape", "offset", "length", "alignment")) {
                assertThat(rt.get(i).get(k)).as(k).isEqualTo(lt.get(i).get(k));
            }
        }
        CliTest.Result table = CliTest.run("inspect", url);
        assertThat(table.code()).isZero();
        assertThat(table.out().lines().findFirst().orElseThrow()).startsWith(url + ": safetensors, 3 tensors");
        assertThat(table.out().lines().toList().getLast()).startsWith("parameters: ");
        assertThat(CliTest.run("inspect", SINGLE.toString()).out().lines().toList().getLast())
                .isEqualTo(table.out().lines().toList().getLast());
    }

    @Test
    void inspectOfAShardedIndexUrlCostsFourRequests() {
        int before = server.requests();
        CliTest.Result r = CliTest.run("inspect", "--json",
                server.uri("/repo/resolve/main/model.safetensors.index.json").toString());
        assertThat(r.code()).isZero();
        assertThat(server.requests() - before).isEqualTo(4);
        assertThat(r.json().get("format")).isEqualTo("sharded");
        assertThat(r.json().get("parameters")).isEqualTo(CliTest.run("inspect", "--json",
                SHARDED.resolve("model.safetensors.index.json").toString()).json().get("parameters"));
    }

    @Test
    void hashOfAUrlEqualsHashOfTheFile() {
        String url = server.uri("/with_metadata.safetensors").toString();
        CliTest.Result remote = CliTest.run("hash", url);
        CliTest.Result local = CliTest.run("hash", SINGLE.toString());
        assertThat(remote.out().substring(0, 64)).isEqualTo(local.out().substring(0, 64));
        assertThat(remote.out().strip()).endsWith("  " + url);
        CliTest.Result perTensor = CliTest.run("hash", "--per-tensor", "--algo", "xxh3-64", url);
        assertThat(perTensor.out()).isEqualTo(CliTest.run("hash", "--per-tensor", "--algo", "xxh3-64",
                SINGLE.toString()).out());
        CliTest.Result sharded = CliTest.run("hash", "--per-tensor",
                server.uri("/repo/resolve/main/model.safetensors.index.json").toString());
        assertThat(sharded.out()).isEqualTo(CliTest.run("hash", "--per-tensor",
                SHARDED.resolve("model.safetensors.index.json").toString()).out());
    }

    @TempDir
    Path tmp;

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void verifyOfAUrlChecksHeadersAndWithAManifestEveryByte() throws IOException {
        String index = server.uri("/repo/resolve/main/model.safetensors.index.json").toString();
        CliTest.Result ok = CliTest.run("verify", index);
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).startsWith("OK " + index + ": sharded, ");
        Path manifest = tmp.resolve("m.json");
        assertThat(CliTest.run("hash", "--manifest", manifest.toString(), "--algo", "xxh3-64",
                SHARDED.toString()).code()).isZero();
        CliTest.Result checked = CliTest.run("verify", "--json", "--manifest", manifest.toString(), index);
        assertThat(checked.code()).as(checked.err()).isZero();
        Map<String, Object> j = checked.json();
        assertThat(j.get("ok")).isEqualTo(true);
        assertThat(j.get("url")).isEqualTo(index);
        @SuppressWarnings("unchecked")
        Map<String, Object> mj = (Map<String, Object>) j.get("manifest");
        assertThat(mj.get("files")).isEqualTo(4L);
        assertThat((Long) mj.get("tensors")).isPositive();

        // one byte of one shard changed on the server: that tensor and that file differ
        Path shard = SHARDED.resolve("model-00002-of-00003.safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        bytes[bytes.length - 1] ^= 1;
        server.put("/repo/resolve/main/model-00002-of-00003.safetensors", bytes);
        CliTest.Result bad = CliTest.run("verify", "--manifest", manifest.toString(), index);
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("error: CHECKSUM_MISMATCH: ")
                .contains("file model-00002-of-00003.safetensors xxh3-64 ").contains("2 differences");
    }

    @Test
    void hashManifestOfAUrlIsTheManifestOfTheLocalCopy() throws IOException {
        String index = server.uri("/repo/resolve/main/model.safetensors.index.json").toString();
        Path remote = tmp.resolve("remote.json");
        Path local = tmp.resolve("local.json");
        CliTest.Result r = CliTest.run("hash", "--manifest", remote.toString(), "--algo", "xxh3-64", index);
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("wrote " + remote + ": ");
        assertThat(CliTest.run("hash", "--manifest", local.toString(), "--algo", "xxh3-64",
                SHARDED.toString()).code()).isZero();
        assertThat(Files.readString(remote)).isEqualTo(Files.readString(local));
        assertThat(CliTest.run("verify", "--manifest", remote.toString(), index).code()).isZero();

        Path pt = Path.of("src/test/resources/fixtures/torch/state_dict_dtypes.pt");
        server.putFile("/t/state_dict_dtypes.pt", pt);
        Path tr = tmp.resolve("t-remote.json");
        Path tl = tmp.resolve("t-local.json");
        assertThat(CliTest.run("hash", "--manifest", tr.toString(), server.uri("/t/state_dict_dtypes.pt").toString())
                .code()).isZero();
        assertThat(CliTest.run("hash", "--manifest", tl.toString(), pt.toString()).code()).isZero();
        assertThat(Files.readString(tr)).isEqualTo(Files.readString(tl));
        assertThat(CliTest.run("hash", "--manifest", tr.toString(), index, index).err())
                .contains("a URL is hashed alone");
    }

    @Test
    void verifyOfABrokenUrlIsAnErrorWithJson() {
        server.put("/bad.safetensors", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
                (byte) 0xff, (byte) 0xff, 0x0f, '{'});
        CliTest.Result r = CliTest.run("verify", "--json", server.uri("/bad.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.json().get("ok")).isEqualTo(false);
        assertThat(r.err()).startsWith("error: ");
    }

    @Test
    void convertAndShardOfAUrlWriteWhatTheLocalInputGives() throws IOException {
        String index = server.uri("/repo/resolve/main/model.safetensors.index.json").toString();
        Path remoteOut = tmp.resolve("remote/model.safetensors");
        Path localOut = tmp.resolve("local/model.safetensors");
        CliTest.Result r = CliTest.run("convert", index, remoteOut.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("converted " + index + " (").doesNotContain(".weightmap-download");
        assertThat(r.err()).contains("downloaded " + index + ": 4 file(s)");
        assertThat(CliTest.run("convert", SHARDED.resolve("model.safetensors.index.json").toString(),
                localOut.toString()).code()).isZero();
        assertThat(listing(remoteOut.getParent())).isEqualTo(listing(localOut.getParent()));
        for (String f : listing(localOut.getParent())) {
            assertThat(Files.readAllBytes(remoteOut.resolveSibling(f))).as(f)
                    .isEqualTo(Files.readAllBytes(localOut.resolveSibling(f)));
        }

        Path shards = tmp.resolve("shards");
        Path localShards = tmp.resolve("local-shards");
        assertThat(CliTest.run("shard", "--max-shard-size", "40KB", index, shards.toString()).code()).isZero();
        assertThat(CliTest.run("shard", "--max-shard-size", "40KB", SHARDED.toString(), localShards.toString())
                .code()).isZero();
        assertThat(listing(shards)).isEqualTo(listing(localShards)).hasSizeGreaterThan(2);
        for (String f : listing(localShards)) {
            assertThat(Files.readAllBytes(shards.resolve(f))).as(f).isEqualTo(Files.readAllBytes(localShards.resolve(f)));
        }
        assertThat(listing(tmp)).noneMatch(n -> n.startsWith(".weightmap-download"));
    }

    @Test
    void convertOfAGgufUrlDequantizesAsLocally() throws IOException {
        Path gguf = Path.of("src/test/resources/fixtures/gguf/kquants.gguf");
        server.putFile("/k.gguf", gguf);
        Path a = tmp.resolve("a/k.safetensors");
        Path b = tmp.resolve("b/k.safetensors");
        CliTest.Result r = CliTest.run("convert", server.uri("/k.gguf").toString(), a.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(CliTest.run("convert", gguf.toString(), b.toString()).code()).isZero();
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
        Map<String, Object> inspect = CliTest.run("inspect", "--json", server.uri("/k.gguf").toString()).json();
        assertThat(inspect.get("format")).isEqualTo("gguf");
        assertThat(inspect.get("requests")).isEqualTo(1L);
        @SuppressWarnings("unchecked")
        Map<String, Object> counts = (Map<String, Object>) inspect.get("parameter_counts");
        assertThat(counts.keySet()).allMatch(k -> !k.equals("U8"));
        assertThat(CliTest.run("hash", "--per-tensor", server.uri("/k.gguf").toString()).out())
                .isEqualTo(CliTest.run("hash", "--per-tensor", gguf.toString()).out());
        assertThat(CliTest.run("verify", server.uri("/k.gguf").toString()).out()).startsWith("OK ")
                .contains(": gguf, ");
    }

    @Test
    void aFailedDownloadLeavesNothingBehind() {
        server.fail500.set(100);
        CliTest.Result r = CliTest.run("convert", server.uri("/with_metadata.safetensors").toString(),
                tmp.resolve("x.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: REMOTE_HTTP_STATUS: ");
        assertThat(tmp.toFile().list()).isEmpty();
    }

    @Test
    void remoteFailuresAreErrorLinesWithTheReason() {
        CliTest.Result r = CliTest.run("inspect", server.uri("/nope.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: REMOTE_NOT_FOUND: ");
    }
}
