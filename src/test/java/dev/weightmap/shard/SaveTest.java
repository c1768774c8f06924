// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Saving: byte identity with hub's save_torch_state_dict output, hub's tests 9-23 and the departures. */
class SaveTest {
    @TempDir
    Path tmp;

    // ----------------------------------------------------------------------------------- byte identity

    private void assertSameFolder(String fixtureDir, Path out, List<String> files) throws IOException {
        assertThat(listNames(out)).containsExactlyInAnyOrderElementsOf(files);
        for (String f : files) {
            assertThat(Files.readAllBytes(out.resolve(f))).as(f)
                    .isEqualTo(Fixtures.bytes("hub/" + fixtureDir + "/" + f));
        }
    }

    static List<String> listNames(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void shardedBaseIsByteIdenticalToHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        StateDicts.save(HubInputs.load("base", tmp), out, SaveOptions.builder().maxShardSize("2KB")
                .metadata(Map.of("note", "sharded")).build());
        assertSameFolder("b_sharded/safetensors", out, List.of("model-00001-of-00003.safetensors",
                "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "model.safetensors.index.json"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void discardSelectedShardedIsByteIdenticalToHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Map<String, Tensor> tied = HubInputs.load("tied", tmp);
        Map<String, Tensor> before = new LinkedHashMap<>(tied);
        StateDicts.save(tied, out, SaveOptions.builder().maxShardSize("2KB")
                .sharedTensorsToDiscard(List.of("embed.weight")).build());
        assertSameFolder("d_discard/safetensors", out, List.of("model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json"));
        assertThat(tied).isEqualTo(before); // DECISIONS 8: the caller's map is not mutated
    }

    @Test
    void customPatternShardedIsByteIdenticalToHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        StateDicts.save(HubInputs.load("base", tmp), out, SaveOptions.builder().maxShardSize(3000)
                .filenamePattern("model.variant{suffix}.safetensors").build());
        assertSameFolder("e_filename_pattern/safetensors", out, List.of("model.variant-00001-of-00002.safetensors",
                "model.variant-00002-of-00002.safetensors", "model.variant.safetensors.index.json"));
    }

    /** Same bytes except the order of __metadata__ keys (hub's writer uses random HashMap order; we sort). */
    @SuppressWarnings("unchecked")
    private void assertSameModuloMetadataOrder(byte[] ours, byte[] hub) {
        assertThat(ours.length).isEqualTo(hub.length);
        long n = MemorySegment.ofArray(hub).get(ValueLayout.JAVA_LONG_UNALIGNED, 0);
        assertThat(MemorySegment.ofArray(ours).get(ValueLayout.JAVA_LONG_UNALIGNED, 0)).isEqualTo(n);
        int dataStart = (int) (8 + n);
        assertThat(Arrays.copyOfRange(ours, dataStart, ours.length))
                .isEqualTo(Arrays.copyOfRange(hub, dataStart, hub.length));
        Map<String, Object> ho = (Map<String, Object>) JsonReader.parse(Arrays.copyOfRange(ours, 8, dataStart));
        Map<String, Object> hh = (Map<String, Object>) JsonReader.parse(Arrays.copyOfRange(hub, 8, dataStart));
        assertThat(new ArrayList<>(ho.keySet())).isEqualTo(new ArrayList<>(hh.keySet()));
        assertThat(ho).isEqualTo(hh);
    }

    @Test
    void unshardedWithMetadataMatchesHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Map<String, String> md = new LinkedHashMap<>();
        md.put("producer", "weightmap-fixtures");
        md.put("license", "cc0");
        StateDicts.save(HubInputs.load("base", tmp), out, SaveOptions.builder().metadata(md).build());
        assertThat(listNames(out)).containsExactly("model.safetensors");
        assertSameModuloMetadataOrder(Files.readAllBytes(out.resolve("model.safetensors")),
                Fixtures.bytes("hub/a_unsharded/safetensors/model.safetensors"));
    }

    @Test
    void tiedUnshardedMatchesHub() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("out"));
        Map<String, Tensor> tied = HubInputs.load("tied", tmp);
        StateDicts.save(tied, out, SaveOptions.defaults());
        assertSameModuloMetadataOrder(Files.readAllBytes(out.resolve("model.safetensors")),
                Fixtures.bytes("hub/c_tied/safetensors/model.safetensors"));
        try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertThat(f.metadata()).containsEntry("lm_head.weight", "embed.weight").containsEntry("format", "pt");
            assertThat(f.contains("lm_head.weight")).isFalse();
        }
        assertThat(tied).containsKey("lm_head.weight"); // DECISIONS 8
    }

    // ----------------------------------------------------------------------------------- hub's tests

    /** hub's torch_state_dict: layer_1..5 = int64 [4], [10], [30], [2], [2] (8 bytes each). */
    static Map<String, Tensor> torchStateDict() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        long[] v = {4, 10, 30, 2, 2};
        for (int i = 0; i < v.length; i++) {
            m.put("layer_" + (i + 1), Tensor.of(MemorySegment.ofArray(new long[] {v[i]}), DType.I64, 1));
        }
        return m;
    }

    /** hub's shared fixture {shared_1: s, unique_1, unique_2, shared_2: s}. */
    static Map<String, Tensor> sharedStateDict() {
        Tensor s = Tensor.ofFloats(new float[] {1, 2, 3, 4, 5}, 5);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("shared_1", s);
        m.put("unique_1", Tensor.ofFloats(new float[] {6, 7}, 2));
        m.put("unique_2", Tensor.ofFloats(new float[] {8, 9, 10}, 3));
        m.put("shared_2", s);
        return m;
    }

    // hub test 9
    @Test
    void saveModelForwardsTheStateDict() throws IOException {
        Map<String, Tensor> sd = torchStateDict();
        StateDictProvider model = () -> sd;
        StateDicts.saveModel(model, tmp, SaveOptions.builder().maxShardSize(30).build());
        Path other = Files.createDirectory(tmp.resolve("direct"));
        StateDicts.save(sd, other, SaveOptions.builder().maxShardSize(30).build());
        for (String f : List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json")) {
            assertThat(Files.readAllBytes(tmp.resolve(f))).isEqualTo(Files.readAllBytes(other.resolve(f)));
        }
    }

    // hub test 10
    @Test
    void notSharded() throws IOException {
        StateDicts.save(torchStateDict(), tmp, SaveOptions.builder().maxShardSize("1GB").build());
        assertThat(tmp.resolve("model.safetensors")).isRegularFile();
        assertThat(tmp.resolve("model.safetensors.index.json")).doesNotExist();
    }

    // hub test 11
    @Test
    void sharded() throws IOException {
        StateDicts.save(torchStateDict(), tmp, SaveOptions.builder().maxShardSize(30).build());
        assertThat(tmp.resolve("model.safetensors")).doesNotExist();
        assertThat(tmp.resolve("model-00001-of-00002.safetensors")).isRegularFile();
        assertThat(tmp.resolve("model-00002-of-00002.safetensors")).isRegularFile();
        String index = Files.readString(tmp.resolve("model.safetensors.index.json"));
        assertThat(JsonReader.parse(index.getBytes(StandardCharsets.UTF_8))).isEqualTo(Map.of(
                "metadata", Map.of("total_size", 40L),
                "weight_map", Map.of("layer_1", "model-00001-of-00002.safetensors",
                        "layer_2", "model-00001-of-00002.safetensors", "layer_3", "model-00001-of-00002.safetensors",
                        "layer_4", "model-00002-of-00002.safetensors", "layer_5", "model-00002-of-00002.safetensors")));
        assertThat(index).startsWith("{\n  \"metadata\": {\n    \"total_size\": 40\n  },\n  \"weight_map\": {\n")
                .endsWith("\"\n  }\n}");
    }

    // hub tests 12-15 (torch format): see TorchFormatTest; the default pattern follows the format
    @Test
    void torchFormatDefaultPattern() {
        SaveOptions opts = SaveOptions.builder().format(SaveOptions.Format.TORCH).build();
        assertThat(opts.filenamePattern()).isEqualTo("pytorch_model{suffix}.bin");
    }

    // hub test 16
    @Test
    void sharedLayersNotSharded() throws IOException {
        StateDicts.save(sharedStateDict(), tmp, SaveOptions.defaults());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.contains("shared_1")).isTrue();
            assertThat(f.contains("shared_2")).isFalse();
            assertThat(f.metadata()).containsEntry("shared_2", "shared_1");
        }
    }

    // hub test 17
    @Test
    @SuppressWarnings("unchecked")
    void sharedLayersSharded() throws IOException {
        StateDicts.save(sharedStateDict(), tmp, SaveOptions.builder().maxShardSize(2).build());
        Map<?, ?> index = (Map<?, ?>) JsonReader.parse(Files.readAllBytes(tmp.resolve("model.safetensors.index.json")));
        assertThat((Map<Object, Object>) index.get("metadata")).containsEntry("shared_2", "shared_1");
        for (Object file : new TreeSet<>(((Map<?, ?>) index.get("weight_map")).values().stream().map(String::valueOf).toList())) {
            try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve((String) file))) {
                assertThat(f.contains("shared_2")).isFalse();
            }
        }
    }

    // hub test 18
    @Test
    @SuppressWarnings("unchecked")
    void discardSelectedSharded() throws IOException {
        StateDicts.save(sharedStateDict(), tmp, SaveOptions.builder().maxShardSize(2)
                .sharedTensorsToDiscard(List.of("shared_1")).build());
        Map<?, ?> index = (Map<?, ?>) JsonReader.parse(Files.readAllBytes(tmp.resolve("model.safetensors.index.json")));
        assertThat((Map<Object, Object>) index.get("metadata")).containsEntry("shared_1", "shared_2");
        assertThat((Map<Object, Object>) index.get("weight_map")).doesNotContainKey("shared_1").containsKey("shared_2");
        for (Object file : new TreeSet<>(((Map<?, ?>) index.get("weight_map")).values().stream().map(String::valueOf).toList())) {
            try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve((String) file))) {
                assertThat(f.contains("shared_1")).isFalse();
            }
        }
    }

    // hub test 19
    @Test
    void discardSelectedNotSharded() throws IOException {
        StateDicts.save(sharedStateDict(), tmp, SaveOptions.builder().sharedTensorsToDiscard(List.of("shared_1"))
                .build());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.contains("shared_1")).isFalse();
            assertThat(f.contains("shared_2")).isTrue();
            assertThat(f.metadata()).containsEntry("shared_1", "shared_2");
        }
    }

    @Test
    void userMetadataKeyForARemovedNameWins() throws IOException {
        StateDicts.save(sharedStateDict(), tmp, SaveOptions.builder().metadata(Map.of("shared_2", "mine")).build());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.metadata()).containsEntry("shared_2", "mine");
            assertThat(f.contains("shared_2")).isFalse();
        }
    }

    // hub test 21
    @Test
    void customFilename() throws IOException {
        Path a = Files.createDirectory(tmp.resolve("a"));
        StateDicts.save(torchStateDict(), a, SaveOptions.builder().filenamePattern("model.variant{suffix}.safetensors")
                .build());
        assertThat(listNames(a)).containsExactly("model.variant.safetensors");
        Path b = Files.createDirectory(tmp.resolve("b"));
        StateDicts.save(torchStateDict(), b, SaveOptions.builder().filenamePattern("model.variant{suffix}.safetensors")
                .maxShardSize(30).build());
        assertThat(listNames(b)).containsExactly("model.variant-00001-of-00002.safetensors",
                "model.variant-00002-of-00002.safetensors", "model.variant.safetensors.index.json");
    }

    // hub test 22
    @Test
    void deleteExistingFiles() throws IOException {
        List<String> stale = List.of("model.safetensors", "model.safetensors.index.json",
                "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors");
        List<String> pickle = List.of("pytorch_model.bin", "pytorch_model.bin.index.json",
                "pytorch_model-00001-of-00003.bin", "pytorch_model-00002-of-00003.bin", "pytorch_model-00003-of-00003.bin");
        for (String f : stale) {
            Files.createFile(tmp.resolve(f));
        }
        for (String f : pickle) {
            Files.createFile(tmp.resolve(f));
        }
        StateDicts.save(torchStateDict(), tmp, SaveOptions.defaults());
        assertThat(Files.size(tmp.resolve("model.safetensors"))).isPositive();
        for (String f : stale.subList(1, stale.size())) {
            assertThat(tmp.resolve(f)).doesNotExist();
        }
        for (String f : pickle) {
            assertThat(tmp.resolve(f)).exists();
        }
    }

    // hub test 23
    @Test
    void notMainProcessDeletesNothing() throws IOException {
        List<String> existing = List.of("model.safetensors", "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors", "model.safetensors.index.json");
        for (String f : existing) {
            Files.createFile(tmp.resolve(f));
        }
        StateDicts.save(torchStateDict(), tmp, SaveOptions.builder().isMainProcess(false).maxShardSize(30).build());
        for (String f : existing) {
            assertThat(tmp.resolve(f)).exists();
        }
        // same-named files are overwritten
        assertThat(Files.size(tmp.resolve("model-00001-of-00002.safetensors"))).isPositive();
        assertThat(Files.size(tmp.resolve("model.safetensors"))).isZero();
    }

    // ----------------------------------------------------------------------------------- departures

    // DECISIONS 4: the fixed cleanup rule (escaped pattern, whole-name match)
    @Test
    void cleanupKeepsLookalikes() throws IOException {
        List<String> survivors = List.of("model.safetensors.backup", "model.safetensors.dvc", "modelXsafetensors",
                "model-00001-of-00002.safetensors.index.json.bak", "model.variant.safetensors", "model-1-of-2.safetensors",
                "model-123456-of-00002.safetensors", "notes.txt", "pytorch_model.bin");
        List<String> victims = List.of("model-00001-of-00005.safetensors", "model-00005-of-00005.safetensors",
                "model.safetensors.index.json", "model-00001-of-00002.safetensors.index.json");
        for (String f : survivors) {
            Files.writeString(tmp.resolve(f), "keep");
        }
        for (String f : victims) {
            Files.writeString(tmp.resolve(f), "stale");
        }
        StateDicts.save(torchStateDict(), tmp, SaveOptions.defaults());
        for (String f : survivors) {
            assertThat(tmp.resolve(f)).as(f).hasContent("keep");
        }
        for (String f : victims) {
            assertThat(tmp.resolve(f)).as(f).doesNotExist();
        }
        assertThat(tmp.resolve("model.safetensors")).isRegularFile();
    }

    // DECISIONS 3: a failure in the middle of a save leaves the earlier checkpoint complete and loadable
    @Test
    void failureMidSaveLeavesEarlierCheckpoint() throws IOException {
        StateDicts.save(torchStateDict(), tmp, SaveOptions.builder().maxShardSize(30).build());
        Map<String, byte[]> before = new LinkedHashMap<>();
        for (String f : listNames(tmp)) {
            before.put(f, Files.readAllBytes(tmp.resolve(f)));
        }
        Map<String, Tensor> bad = new LinkedHashMap<>(torchStateDict());
        Arena arena = Arena.ofConfined();
        Tensor doomed = Tensor.of(arena.allocate(8), DType.I64, 1);
        arena.close(); // reading this tensor's bytes now throws
        bad.put("layer_5", doomed);
        assertThatThrownBy(() -> StateDicts.save(bad, tmp, SaveOptions.builder().maxShardSize(30).build()))
                .isInstanceOf(IllegalStateException.class);
        assertThat(listNames(tmp)).containsExactlyElementsOf(before.keySet()); // no temporary file left
        for (Map.Entry<String, byte[]> e : before.entrySet()) {
            assertThat(Files.readAllBytes(tmp.resolve(e.getKey()))).as(e.getKey()).isEqualTo(e.getValue());
        }
    }

    // DECISIONS 8: neither the caller's map nor its metadata map is modified
    @Test
    void callerMapsAreNotMutated() throws IOException {
        Map<String, Tensor> sd = sharedStateDict();
        Map<String, String> md = new LinkedHashMap<>(Map.of("user", "v"));
        StateDicts.save(sd, tmp, SaveOptions.builder().metadata(md).build());
        assertThat(sd).containsOnlyKeys("shared_1", "unique_1", "unique_2", "shared_2");
        assertThat(md).isEqualTo(Map.of("user", "v"));
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt", "user", "v", "shared_2", "shared_1"));
        }
    }

    // DECISIONS 7
    @Test
    void reservedMetadataKeysAreRefused() {
        for (String key : List.of("format", "total_size")) {
            assertThatThrownBy(() -> SaveOptions.builder().metadata(Map.of(key, "x")).build())
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageStartingWith("Metadata key '" + key + "' is reserved")
                    .extracting(e -> ((CheckpointException) e).reason())
                    .isEqualTo(CheckpointException.Reason.INVALID_METADATA);
        }
    }

    // DECISIONS 9
    @Test
    void emptyStateDictWritesAnEmptyFileAndCleansUp() throws IOException {
        Files.createFile(tmp.resolve("model-00001-of-00002.safetensors"));
        StateDicts.save(Map.of(), tmp, SaveOptions.builder().metadata(Map.of("k", "v")).build());
        assertThat(listNames(tmp)).containsExactly("model.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.size()).isZero();
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt", "k", "v"));
        }
    }

    // DECISIONS 11: a lone partial view (hub's f_partial_view) is saved as its own bytes
    @Test
    void lonePartialViewIsSavedAsItsOwnBytes() throws IOException {
        float[] storage = new float[24];
        for (int i = 0; i < storage.length; i++) {
            storage[i] = i;
        }
        Tensor base = Tensor.ofFloats(storage, 6, 4);
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("embed.row2", base.select(0, 2));
        sd.put("norm.weight", Tensor.ofFloats(new float[] {1, 1, 1, 1}, 4));
        StateDicts.save(sd, tmp, SaveOptions.defaults());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.tensor("embed.row2").toFloatArray()).containsExactly(8, 9, 10, 11);
        }
    }

    // DECISIONS 11: overlaps that are not the same view are refused, naming the tensors
    @Test
    void overlappingViewsAreRefused() {
        Tensor w = Tensor.ofFloats(new float[6], 2, 3);
        Map<String, Tensor> transpose = new LinkedHashMap<>();
        transpose.put("w", w);
        transpose.put("w_t", w.transpose(0, 1));
        assertThatThrownBy(() -> StateDicts.save(transpose, tmp, SaveOptions.defaults()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("tensors {'w', 'w_t'} share memory but are not all the same view (covering the"
                        + " whole storage: {'w', 'w_t'})")
                .extracting(e -> ((CheckpointException) e).reason())
                .isEqualTo(CheckpointException.Reason.SHARED_TENSORS);
        Map<String, Tensor> fullAndRow = new LinkedHashMap<>();
        Tensor big = Tensor.ofFloats(new float[8], 4, 2);
        fullAndRow.put("full", big);
        fullAndRow.put("row", big.select(0, 1));
        assertThatThrownBy(() -> StateDicts.save(fullAndRow, tmp, SaveOptions.defaults()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("Error while trying to find names to remove to save state dict: tensors"
                        + " {'full', 'row'} share memory but are not all the same view (covering the whole storage:"
                        + " {'full'}). safetensors cannot store such aliasing");
        Map<String, Tensor> rows = new LinkedHashMap<>();
        rows.put("b", big.narrow(0, 0, 3));
        rows.put("a", big.narrow(0, 2, 2));
        assertThatThrownBy(() -> StateDicts.save(rows, tmp, SaveOptions.defaults()))
                .isInstanceOf(CheckpointException.class)
                .hasMessage("Error while trying to find names to remove to save state dict, but found no suitable name"
                        + " to keep for saving amongst: {'a', 'b'}. None is covering the entire storage. Refusing to"
                        + " save/load the model since you could be storing much more memory than needed. Please refer"
                        + " to https://huggingface.co/docs/safetensors/torch_shared_tensors for more information. Or"
                        + " open an issue.");
        assertThat(tmp).isEmptyDirectory();
        // disjoint row views of one storage are fine: each is saved as its own bytes
        Map<String, Tensor> disjoint = new LinkedHashMap<>();
        disjoint.put("r0", big.select(0, 0));
        disjoint.put("r1", big.select(0, 1));
        org.assertj.core.api.Assertions.assertThatCode(() -> StateDicts.save(disjoint, tmp, SaveOptions.defaults()))
                .doesNotThrowAnyException();
    }

    @Test
    void nonContiguousWithoutForceContiguous() throws IOException {
        Map<String, Tensor> sd = Map.of("t", Tensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1));
        assertThatThrownBy(() -> StateDicts.save(sd, tmp, SaveOptions.builder().forceContiguous(false).build()))
                .isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("You are trying to save a non contiguous tensor: `t` which is not allowed.");
        StateDicts.save(sd, tmp, SaveOptions.defaults());
        try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve("model.safetensors"))) {
            assertThat(f.tensor("t").toFloatArray()).containsExactly(1, 4, 2, 5, 3, 6);
        }
    }

    @Test
    void missingDirectory() {
        assertThatThrownBy(() -> StateDicts.save(torchStateDict(), tmp.resolve("nope"), SaveOptions.defaults()))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void zeroSizeTensorsFollowTheFirstOne() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("empty1", Tensor.ofFloats(new float[0], 0));
        sd.put("big", Tensor.ofFloats(new float[200], 200));
        sd.put("empty2", Tensor.of(MemorySegment.ofArray(new long[0]), DType.I64, 2, 0));
        sd.put("tail", Tensor.ofFloats(new float[100], 100));
        StateDicts.save(sd, tmp, SaveOptions.builder().maxShardSize(1000).build());
        String index = Files.readString(tmp.resolve("model.safetensors.index.json"));
        assertThat(index).contains("\"empty2\": \"model-00001-of-00002.safetensors\"")
                .contains("\"total_size\": 1200");
    }

    @Test
    void indexEscapesNonAscii() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("café", Tensor.ofFloats(new float[4], 4));
        sd.put("b", Tensor.ofFloats(new float[4], 4));
        StateDicts.save(sd, tmp, SaveOptions.builder().maxShardSize(16).metadata(Map.of("é", "ü")).build());
        assertThat(Files.readString(tmp.resolve("model.safetensors.index.json"))).isEqualTo("""
                {
                  "metadata": {
                    "total_size": 32,
                    "\\u00e9": "\\u00fc"
                  },
                  "weight_map": {
                    "caf\\u00e9": "model-00001-of-00002.safetensors",
                    "b": "model-00002-of-00002.safetensors"
                  }
                }""");
    }
}
