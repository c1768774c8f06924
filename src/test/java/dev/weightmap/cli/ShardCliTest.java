// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.cli.CliTest.Result;
import dev.weightmap.internal.json.JsonReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.weightmap.cli.CliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code weightmap shard} and the sharded format in inspect / verify / hash. */
class ShardCliTest {
    @TempDir
    Path tmp;

    private Path copy(String resource, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path p = dir.resolve(resource.substring(resource.lastIndexOf('/') + 1));
        try (InputStream in = getClass().getResourceAsStream("/fixtures/" + resource)) {
            Files.copy(in, p);
        }
        return p;
    }

    @Test
    void shardReproducesHubOutput() throws IOException {
        // IN = hub's own sharded checkpoint (index order = the original state-dict order, user metadata {note});
        // re-sharding it with the same limit gives back the very same bytes, index included
        Path in = tmp.resolve("in");
        List<String> names = List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json");
        for (String f : names) {
            copy("hub/b_sharded/safetensors/" + f, in);
        }
        Path out = tmp.resolve("out");
        Result r = run("shard", in.toString(), out.toString(), "--max-shard-size", "2KB");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("wrote " + out + ": 14 tensors in 3 file(s) + model.safetensors.index.json");
        for (String f : names) {
            assertThat(Files.readAllBytes(out.resolve(f))).as(f).isEqualTo(Files.readAllBytes(in.resolve(f)));
        }
        // a single file in, one file out (5GB default)
        Path one = tmp.resolve("one");
        assertThat(run("shard", in.resolve("model.safetensors.index.json").toString(), one.toString()).code()).isZero();
        assertThat(Files.exists(one.resolve("model.safetensors"))).isTrue();

        Result v = run("verify", out.toString());
        assertThat(v.code()).as(v.err()).isZero();
        assertThat(v.out()).contains("OK " + out + ": sharded, 14 tensors in 3 file(s)").contains("index and shards agree");

        Result j = run("inspect", "--json", out.resolve("model.safetensors.index.json").toString());
        assertThat(j.code()).as(j.err()).isZero();
        Map<?, ?> json = (Map<?, ?>) JsonReader.parse(j.out().strip().getBytes(StandardCharsets.UTF_8));
        assertThat(json.get("format")).isEqualTo("sharded");
        Map<?, ?> first = (Map<?, ?>) ((List<?>) json.get("tensors")).get(0);
        assertThat(first.get("name")).isEqualTo("embed.weight");
        assertThat(first.get("file")).isEqualTo("model-00001-of-00003.safetensors");

        Result t = run("inspect", out.toString());
        assertThat(t.code()).as(t.err()).isZero();
        assertThat(t.out()).contains("sharded checkpoint, 14 tensors in 3 file(s)");
    }

    @Test
    void verifyCatchesIndexShardDisagreement() throws IOException {
        Path dir = tmp.resolve("ck");
        for (String f : List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json")) {
            copy("hub/b_sharded/safetensors/" + f, dir);
        }
        assertThat(run("verify", dir.toString()).code()).isZero();
        Path index = dir.resolve("model.safetensors.index.json");
        String text = Files.readString(index);
        Files.writeString(index, text.replace("\"total_size\": 4424", "\"total_size\": 4425"));
        Result bad = run("verify", dir.toString());
        assertThat(bad.code()).isEqualTo(1);
        assertThat(bad.err()).startsWith("error: INDEX_MISMATCH: Index file '" + index
                + "' declares total_size 4425 but its tensors' storages hold 4424 bytes");
        // (total_size counts the indexed tensors: without lm_head.weight's 1024 bytes)
        Files.writeString(index, text.replace("    \"lm_head.weight\": \"model-00003-of-00003.safetensors\",\n", "")
                .replace("\"total_size\": 4424", "\"total_size\": 3400"));
        // a shard tensor the index does not list: loaded and reported, as huggingface_hub 2.0 does
        Result extra = run("verify", dir.toString());
        assertThat(extra.code()).as(extra.err()).isZero();
        assertThat(extra.err()).isEqualTo("warning: Shard files contain tensors absent from the index:"
                + " ['lm_head.weight'] (index file '" + index + "')\n");
        assertThat(extra.out()).startsWith("OK " + dir + ": sharded, 14 tensors");
        Map<?, ?> extraJson = (Map<?, ?>) JsonReader.parse(run("verify", "--json", dir.toString()).out().strip()
                .getBytes(StandardCharsets.UTF_8));
        assertThat(extraJson.get("warnings")).isEqualTo(List.of("Shard files contain tensors absent from the index:"
                + " ['lm_head.weight'] (index file '" + index + "')"));
        assertThat(extraJson.get("ok")).isEqualTo(true);
        Result inspected = run("inspect", dir.toString());
        assertThat(inspected.code()).isZero();
        assertThat(inspected.err()).startsWith("warning: Shard files contain tensors absent from the index:");
        assertThat(inspected.out()).contains("lm_head.weight");
        Files.writeString(index, text.replace("\"step\": \"model-00003-of-00003.safetensors\"",
                "\"step\": \"../model-00003-of-00003.safetensors\""));
        assertThat(run("verify", dir.toString()).err()).startsWith("error: INVALID_INDEX: Invalid shard filename");
    }

    /**
     * The CLI's folder rule is huggingface_hub 2.0's {@code safe=false}: a lone {@code model.safetensors} loads, a
     * {@code model.safetensors} next to a {@code pytorch_model.bin} loads the safetensors file, and a
     * {@code pytorch_model.bin.index.json} wins over a single {@code model.safetensors} (hub2_rules.out.json:
     * {@code only_safetensors/unsafe}, {@code safetensors_and_bin/unsafe},
     * {@code bin_index_and_single_safetensors/unsafe}).
     */
    @Test
    void folderSelectionIsHub2Unsafe() throws IOException {
        Path dir = tmp.resolve("f");
        copy("hub/a_unsharded/safetensors/model.safetensors", dir);
        Result one = run("inspect", "--json", dir.toString());
        assertThat(one.code()).as(one.err()).isZero();
        assertThat((List<?>) ((Map<?, ?>) JsonReader.parse(one.out().strip().getBytes(StandardCharsets.UTF_8)))
                .get("files")).isEqualTo(List.of(dir.resolve("model.safetensors").toString()));
        copy("hub/a_unsharded/bin/pytorch_model.bin", dir);
        Result both = run("inspect", "--json", dir.toString());
        assertThat(both.code()).as(both.err()).isZero();
        assertThat(both.out()).isEqualTo(one.out());
        for (String f : List.of("pytorch_model-00001-of-00003.bin", "pytorch_model-00002-of-00003.bin",
                "pytorch_model-00003-of-00003.bin", "pytorch_model.bin.index.json")) {
            copy("hub/b_sharded/bin/" + f, dir);
        }
        Result index = run("inspect", "--json", dir.toString());
        assertThat(index.code()).as(index.err()).isZero();
        assertThat(((Map<?, ?>) JsonReader.parse(index.out().strip().getBytes(StandardCharsets.UTF_8))).get("index"))
                .isEqualTo(dir.resolve("pytorch_model.bin.index.json").toString());
    }

    @Test
    void shardToTorchFormat() throws IOException {
        Path in = copy("hub/a_unsharded/safetensors/model.safetensors", tmp.resolve("in"));
        Path out = tmp.resolve("bin");
        Result r = run("shard", in.toString(), out.toString(), "--format", "torch", "--max-shard-size", "2KB");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("+ pytorch_model.bin.index.json").contains("pytorch_model-00001-of-00003.bin");
        Result v = run("verify", out.resolve("pytorch_model.bin.index.json").toString());
        assertThat(v.code()).as(v.err()).isZero();
        // per-tensor hashes agree with the safetensors input
        Result h1 = run("hash", "--per-tensor", in.toString());
        Result h2 = run("hash", "--per-tensor", out.resolve("pytorch_model.bin.index.json").toString());
        assertThat(h2.code()).as(h2.err()).isZero();
        assertThat(h2.out().lines().sorted().toList()).isEqualTo(h1.out().lines().sorted().toList());
    }

    @Test
    void shardUsageErrors() {
        assertThat(run("shard", "only-one").code()).isEqualTo(2);
        Result r = run("shard", "a", "b", "--max-shard-size", "5 G");
        assertThat(r.code()).isEqualTo(1);
        assertThat(run("shard", tmp.toString(), tmp.resolve("o").toString(), "--format", "zip").code()).isEqualTo(2);
    }
}
