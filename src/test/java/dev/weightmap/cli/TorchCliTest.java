// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.internal.json.JsonReader;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** inspect / verify / hash over torch checkpoints. */
class TorchCliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), false);
        return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
    }

    static String fixture(String rel) throws URISyntaxException {
        return Path.of(TorchCliTest.class.getResource("/fixtures/" + rel).toURI()).toString();
    }

    @Test
    @SuppressWarnings("unchecked")
    void inspectJson() throws Exception {
        Run r = run("inspect", "--json", fixture("torch2/strided_views.pt"));
        assertThat(r.code()).isZero();
        Map<String, Object> m = (Map<String, Object>) JsonReader.parse(r.out().strip().getBytes(StandardCharsets.UTF_8));
        assertThat(m.get("format")).isEqualTo("torch");
        assertThat(m.get("container")).isEqualTo("zip");
        List<Map<String, Object>> tensors = (List<Map<String, Object>>) m.get("tensors");
        assertThat(tensors).isNotEmpty();
        Map<String, Object> first = tensors.get(0);
        assertThat(first).containsKeys("name", "dtype", "shape", "stride", "storage", "offset", "length");
    }

    @Test
    void inspectTableVerifyAndHash() throws Exception {
        String p = fixture("torch/tied_weights.pt");
        assertThat(run("inspect", p).out()).contains("torch (zip, folder tied_weights/)").contains("lm_head.weight");
        Run v = run("verify", p);
        assertThat(v.code()).isZero();
        assertThat(v.out()).startsWith("OK ").contains("5 tensors");
        Run h = run("hash", "--per-tensor", p);
        assertThat(h.out()).contains("092d4a9cdd45c2f3f93fd546f67f30b991c7f60c43abca4a2917903a6b8cbe1f  lm_head.weight");
        Run legacy = run("inspect", "--json", fixture("torch/legacy_format.pt"));
        assertThat(legacy.out()).contains("\"container\":\"legacy\"").contains("\"offset\":708");
    }

    @Test
    void hostileFileIsAnErrorLine() throws Exception {
        Run r = run("verify", fixture("torch-malicious/reduce_system.pt"));
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: FORBIDDEN_GLOBAL: ").contains("global 'posix.system' is not allowed");
    }
}
