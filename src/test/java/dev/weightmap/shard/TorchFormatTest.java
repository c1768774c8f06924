// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The torch (.bin) format: hub's tests 12-15, 24 (pickle half), 32 (.bin index) and the hub .bin fixtures. */
class TorchFormatTest {
    @TempDir
    Path tmp;

    private static SaveOptions.Builder torch() {
        return SaveOptions.builder().format(SaveOptions.Format.TORCH);
    }

    // hub test 12
    @Test
    void unsafeNotSharded() throws IOException {
        StateDicts.save(SaveTest.torchStateDict(), tmp, torch().build());
        assertThat(tmp.resolve("pytorch_model.bin")).isRegularFile();
        assertThat(tmp.resolve("pytorch_model.bin.index.json")).doesNotExist();
    }

    // hub tests 13-14 (tensor-model equivalent: aliases on one storage stay together in one .bin)
    @Test
    void unsafeSharedLayersNotSharded() throws IOException {
        StateDicts.save(SaveTest.sharedStateDict(), tmp, torch().build());
        try (Checkpoint c = Checkpoints.loadStateDictFromFile(tmp.resolve("pytorch_model.bin"), false)) {
            assertThat(c.names()).containsExactlyInAnyOrder("shared_1", "unique_1", "unique_2", "shared_2");
            assertThat(c.tensor("shared_2").storageId()).isEqualTo(c.tensor("shared_1").storageId());
            assertThat(c.tensor("shared_2").toFloatArray()).containsExactly(1, 2, 3, 4, 5);
        }
    }

    // hub test 15
    @Test
    void unsafeSharded() throws IOException {
        StateDicts.save(SaveTest.torchStateDict(), tmp, torch().maxShardSize(30).build());
        Map<?, ?> index = (Map<?, ?>) JsonReader.parse(Files.readAllBytes(tmp.resolve("pytorch_model.bin.index.json")));
        assertThat(index.get("metadata")).isEqualTo(Map.of("total_size", 40L));
        assertThat(index.get("weight_map")).isEqualTo(Map.of(
                "layer_1", "pytorch_model-00001-of-00002.bin", "layer_2", "pytorch_model-00001-of-00002.bin",
                "layer_3", "pytorch_model-00001-of-00002.bin", "layer_4", "pytorch_model-00002-of-00002.bin",
                "layer_5", "pytorch_model-00002-of-00002.bin"));
        // hub test 32: safe=false and no safetensors index -> the .bin index
        try (Checkpoint c = Checkpoints.open(tmp, LoadOptions.defaults().withSafe(false))) {
            assertThat(c.indexFile().getFileName().toString()).isEqualTo("pytorch_model.bin.index.json");
            Map<String, Tensor> model = new LinkedHashMap<>();
            for (int i = 1; i <= 5; i++) {
                model.put("layer_" + i, Tensor.of(MemorySegment.ofArray(new byte[8]), DType.I64, 1));
            }
            assertThat(c.loadInto(model, true).allMatched()).isTrue();
            assertThat(model.get("layer_3").getLong(0)).isEqualTo(30);
        }
    }

    // hub test 24 (pickle half): round trip
    @Test
    void loadStateDictFromBinFile() throws IOException {
        StateDicts.save(SaveTest.torchStateDict(), tmp, torch().build());
        try (Checkpoint c = Checkpoints.loadStateDictFromFile(tmp.resolve("pytorch_model.bin"), false)) {
            assertThat(c.names()).containsExactly("layer_1", "layer_2", "layer_3", "layer_4", "layer_5");
            assertThat(c.tensor("layer_2").getLong(0)).isEqualTo(10);
        }
    }

    // hub's .bin fixtures: the index we write is byte-identical, and hub's shards load
    @Test
    void shardedBinMatchesHubIndexAndLoads() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        StateDicts.save(HubInputs.load("base", tmp), out, torch().maxShardSize("2KB")
                .metadata(Map.of("note", "sharded")).build());
        assertThat(Files.readAllBytes(out.resolve("pytorch_model.bin.index.json")))
                .isEqualTo(Fixtures.bytes("hub/b_sharded/bin/pytorch_model.bin.index.json"));
        Path hub = Files.createDirectory(tmp.resolve("hub"));
        for (String f : List.of("pytorch_model-00001-of-00003.bin", "pytorch_model-00002-of-00003.bin",
                "pytorch_model-00003-of-00003.bin", "pytorch_model.bin.index.json")) {
            Fixtures.copy("hub/b_sharded/bin/" + f, hub);
        }
        try (Checkpoint ours = Checkpoints.open(out, LoadOptions.defaults().withSafe(false));
             Checkpoint theirs = Checkpoints.open(hub, LoadOptions.defaults().withSafe(false))) {
            assertThat(ours.names()).isEqualTo(theirs.names());
            for (String n : theirs.names()) {
                assertThat(ours.tensor(n).toFloatArray()).as(n).isEqualTo(theirs.tensor(n).toFloatArray());
            }
            theirs.verifyIndex();
            ours.verifyIndex();
        }
    }

    // d_discard, .bin: the discard list is ignored and the alias joins its first name's shard, as in hub
    @Test
    void tiedShardedBinIndexMatchesHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        StateDicts.save(HubInputs.load("tied", tmp), out, torch().maxShardSize("2KB")
                .sharedTensorsToDiscard(List.of("embed.weight")).build());
        assertThat(Files.readAllBytes(out.resolve("pytorch_model.bin.index.json")))
                .isEqualTo(Fixtures.bytes("hub/d_discard/bin/pytorch_model.bin.index.json"));
        try (Checkpoint c = Checkpoints.open(out, LoadOptions.defaults().withSafe(false))) {
            assertThat(c.fileOf("lm_head.weight")).isEqualTo(c.fileOf("embed.weight"));
            assertThat(c.tensor("lm_head.weight").storageId()).isEqualTo(c.tensor("embed.weight").storageId());
            c.verifyIndex();
        }
    }

    // pattern variant (e_filename_pattern/bin)
    @Test
    void variantPatternBinIndexMatchesHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        StateDicts.save(HubInputs.load("base", tmp), out, torch().maxShardSize(3000)
                .filenamePattern("pytorch_model.variant{suffix}.bin").build());
        assertThat(Files.readAllBytes(out.resolve("pytorch_model.variant.bin.index.json")))
                .isEqualTo(Fixtures.bytes("hub/e_filename_pattern/bin/pytorch_model.variant.bin.index.json"));
    }

    // the tied .bin (hub c_tied/bin) keeps both names on one storage
    @Test
    void hubTiedBinLoads() throws IOException {
        Path p = Fixtures.copy("hub/c_tied/bin/pytorch_model.bin", tmp);
        try (Checkpoint c = Checkpoints.open(p, LoadOptions.defaults().withSafe(false))) {
            assertThat(c.tensor("lm_head.weight").storageId()).isEqualTo(c.tensor("embed.weight").storageId());
        }
    }
}
