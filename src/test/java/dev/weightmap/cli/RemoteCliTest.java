// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.remote.RangeServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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

    @SuppressWarnings("unchecked")
    private static Map<String, Object> json(CliTest.Result r) {
        return (Map<String, Object>) JsonReader.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectOfAUrlListsWhatInspectOfTheFileLists() {
        String url = server.uri("/with_metadata.safetensors").toString();
        Map<String, Object> remote = json(CliTest.run("inspect", "--json", url));
        Map<String, Object> local = json(CliTest.run("inspect", "--json", SINGLE.toString()));
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
        assertThat(json(r).get("format")).isEqualTo("sharded");
        assertThat(json(r).get("parameters")).isEqualTo(json(CliTest.run("inspect", "--json",
                SHARDED.resolve("model.safetensors.index.json").toString())).get("parameters"));
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

    @Test
    void remoteFailuresAreErrorLinesWithTheReason() {
        CliTest.Result r = CliTest.run("inspect", server.uri("/nope.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: REMOTE_NOT_FOUND: ");
    }
}
