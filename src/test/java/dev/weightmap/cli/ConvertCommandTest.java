// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.shard.Checkpoint;
import dev.weightmap.shard.Checkpoints;
import dev.weightmap.shard.LoadOptions;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code weightmap convert}: torch ↔ safetensors, single files and sharded checkpoints. */
class ConvertCommandTest {
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

    private static Map<String, String> hashes(Map<String, Tensor> tensors) {
        Map<String, String> m = new LinkedHashMap<>();
        tensors.forEach((k, v) -> m.put(k, v.dtype() + " " + java.util.Arrays.toString(v.shape()) + " "
                + Checksums.hexOfTensor(ChecksumAlgorithm.SHA256, v)));
        return m;
    }

    @Test
    void binToSafetensorsKeepsEveryTensorAndMarksFormatPt() throws IOException {
        Path bin = copy("torch/module_state_dict.pt", tmp.resolve("in"));
        Path out = tmp.resolve("out/model.safetensors");
        CliTest.Result r = CliTest.run("convert", bin.toString(), out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("converted " + bin);
        try (TorchCheckpoint t = TorchCheckpoint.open(bin); SafetensorsFile s = SafetensorsFile.open(out)) {
            assertThat(hashes(new LinkedHashMap<>(s.tensors()))).containsExactlyInAnyOrderEntriesOf(hashes(t.stateDict()));
            assertThat(s.metadata()).containsEntry("format", "pt");
        }
    }

    @Test
    void stridedTensorsAreWrittenContiguous() throws IOException {
        Path bin = tmp.resolve("strided.bin");
        float[] v = new float[24];
        for (int i = 0; i < v.length; i++) {
            v[i] = i;
        }
        Tensor t = Tensor.ofFloats(v, 4, 6).transpose(0, 1);           // a full transpose: covers its storage
        Tensor cols = Tensor.ofFloats(v, 4, 6).slice(1, 0, 6, 2);       // every other column of its own storage
        dev.weightmap.torch.TorchCheckpoints.save(Map.of("t", t, "cols", cols), bin);
        Path out = tmp.resolve("out/model.safetensors");
        CliTest.Result r = CliTest.run("convert", bin.toString(), out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        try (SafetensorsFile s = SafetensorsFile.open(out)) {
            assertThat(s.tensor("t").shape()).containsExactly(6, 4);
            assertThat(s.tensor("t").toFloatArray()).containsExactly(t.toFloatArray());
            assertThat(s.tensor("cols").toFloatArray()).containsExactly(cols.toFloatArray());
            assertThat(s.tensor("cols").isContiguous()).isTrue();
        }
    }

    @Test
    void shardedBinFolderBecomesShardedSafetensorsAndBack() throws IOException {
        Path in = tmp.resolve("in");
        for (String f : new String[] {"pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin",
            "pytorch_model.bin.index.json"}) {
            copy("torch/sharded/" + f, in);
        }
        Path st = tmp.resolve("st");
        CliTest.Result r = CliTest.run("convert", in.toString(), st.resolve("model.safetensors").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(st.resolve("model.safetensors.index.json")).exists();
        assertThat(st.resolve("model-00001-of-00002.safetensors")).exists();
        assertThat(st.resolve("model-00002-of-00002.safetensors")).exists();
        Path back = tmp.resolve("back");
        r = CliTest.run("convert", st.toString(), back.resolve("pytorch_model.bin").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(back.resolve("pytorch_model.bin.index.json")).exists();
        try (Checkpoint a = Checkpoints.open(in, LoadOptions.defaults().withSafe(false));
             Checkpoint b = Checkpoints.open(st);
             Checkpoint c = Checkpoints.open(back, LoadOptions.defaults().withSafe(false))) {
            assertThat(hashes(b.tensors())).isEqualTo(hashes(a.tensors()));
            assertThat(hashes(c.tensors())).isEqualTo(hashes(a.tensors()));
        }
        assertThat(CliTest.run("verify", back.toString()).code()).isZero();
    }

    @Test
    void maxShardSizeShardsASingleFile() throws IOException {
        Path in = copy("safetensors/many_tensors_300.safetensors", tmp.resolve("in"));
        Path out = tmp.resolve("out");
        CliTest.Result r = CliTest.run("convert", in.toString(), out.resolve("pytorch_model.bin").toString(),
                "--max-shard-size", "2KB");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(out.resolve("pytorch_model.bin.index.json")).exists();
        try (SafetensorsFile a = SafetensorsFile.open(in);
             Checkpoint b = Checkpoints.open(out, LoadOptions.defaults().withSafe(false))) {
            assertThat(hashes(b.tensors())).containsExactlyInAnyOrderEntriesOf(hashes(new LinkedHashMap<>(a.tensors())));
            assertThat(b.files().size()).isGreaterThan(1);
        }
    }

    @Test
    void viewsThatSafetensorsCannotExpressAreRefusedAndNothingIsWritten() throws IOException {
        // tied_weights.pt: embed.row3 is a row of embed.weight's storage (DECISIONS 11: refused, hub would drop it)
        Path bin = copy("torch/tied_weights.pt", tmp.resolve("in"));
        Path out = tmp.resolve("out/model.safetensors");
        CliTest.Result r = CliTest.run("convert", bin.toString(), out.toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: SHARED_TENSORS: ").contains("embed.row3").doesNotContain("\tat ");
        assertThat(out).doesNotExist();
    }

    @Test
    void usageErrors() {
        assertThat(CliTest.run("convert", "a.bin").code()).isEqualTo(2);
        CliTest.Result r = CliTest.run("convert", "a.bin", tmp.resolve("x.txt").toString());
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).startsWith("error: USAGE: OUT must end in .safetensors, .bin, .pt or .pth");
        r = CliTest.run("convert", tmp.resolve("missing.bin").toString(), tmp.resolve("x.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: NOT_FOUND: ");
    }
}
