// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Loading: hub's tests 24-35, the selection matrix, index attacks, strict multi-shard load (DECISIONS 5). */
class LoadTest {
    @TempDir
    Path tmp;

    /** hub's dummy model: the five names as float32 parameters, zero-filled (destinations). */
    static Map<String, Tensor> model() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 1; i <= 5; i++) {
            m.put("layer_" + i, Tensor.of(MemorySegment.ofArray(new byte[4]), DType.F32, 1));
        }
        return m;
    }

    static Map<String, Tensor> values() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        float[] v = {4, 10, 30, 2, 2};
        for (int i = 0; i < v.length; i++) {
            MemorySegment s = MemorySegment.ofArray(new byte[4]);
            s.set(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v[i]);
            m.put("layer_" + (i + 1), Tensor.of(s, DType.F32, 1));
        }
        return m;
    }

    private static void assertLoaded(Map<String, Tensor> model) {
        assertThat(model.get("layer_1").toFloatArray()).containsExactly(4);
        assertThat(model.get("layer_3").toFloatArray()).containsExactly(30);
        assertThat(model.get("layer_5").toFloatArray()).containsExactly(2);
    }

    // hub test 24
    @Test
    void loadStateDictFromFile() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.defaults());
        try (Checkpoint c = Checkpoints.loadStateDictFromFile(tmp.resolve("model.safetensors"))) {
            assertThat(c.tensors().keySet()).containsExactlyInAnyOrderElementsOf(values().keySet());
            for (var e : values().entrySet()) {
                assertThat(c.tensor(e.getKey()).toFloatArray()).isEqualTo(e.getValue().toFloatArray());
            }
            assertThat(c.isSharded()).isFalse();
            assertThat(c.metadata()).isEqualTo(Map.of("format", "pt"));
        }
    }

    // hub test 25 + DECISIONS 5 (strict multi-shard works)
    @Test
    void loadShardedStateDict() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.builder().maxShardSize(8).build());
        try (Checkpoint c = Checkpoints.open(tmp)) {
            assertThat(c.isSharded()).isTrue();
            assertThat(c.dataFiles()).hasSize(3);
            Map<String, Tensor> model = model();
            LoadResult r = c.loadInto(model, true);
            assertThat(r.allMatched()).isTrue();
            assertThat(r).hasToString("<All keys matched successfully>");
            assertLoaded(model);
            assertThat(c.fileOf("layer_5").getFileName().toString()).isEqualTo("model-00003-of-00003.safetensors");
            assertThat(c.metadata()).containsEntry("total_size", 20L);
            // zero-copy: the tensor is a slice of the shard's mapping
            assertThat(c.tensor("layer_1").storage().isMapped()).isTrue();
        }
    }

    // hub test 26
    @Test
    void loadFromDirectoryNotSharded() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.defaults());
        try (Checkpoint c = Checkpoints.open(tmp)) {
            Map<String, Tensor> model = model();
            assertThat(c.loadInto(model, false).allMatched()).isTrue();
            assertLoaded(model);
        }
    }

    // hub test 27
    @ParameterizedTest
    @ValueSource(strings = {"missing.safetensors", "missing.bin"})
    void missingFile(String name) {
        assertThatThrownBy(() -> Checkpoints.loadStateDictFromFile(tmp.resolve(name)))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("No checkpoint file found at '");
        assertThatThrownBy(() -> Checkpoints.loadStateDictFromFile(tmp)) // a directory is not a file
                .isInstanceOf(NoSuchFileException.class);
    }

    // hub test 28 (DECISIONS 16: NoSuchFileException, hub's text)
    @Test
    void directoryDoesNotExist() {
        assertThatThrownBy(() -> Checkpoints.open(tmp.resolve("does_not_exist")))
                .isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("Checkpoint path " + tmp.resolve("does_not_exist") + " does not exist");
    }

    // hub test 29
    @Test
    void directoryWithoutCheckpoint() {
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessage("Directory '" + tmp + "' does not contain a valid checkpoint. Expected either a sharded"
                        + " checkpoint with an index file, or a single model file.")
                .extracting(e -> ((CheckpointException) e).reason())
                .isEqualTo(CheckpointException.Reason.NO_CHECKPOINT);
    }

    @Test
    void twoSingleFilesAreAmbiguous() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.defaults());
        StateDicts.save(values(), tmp, SaveOptions.builder().filenamePattern("model.variant{suffix}.safetensors").build());
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("does not contain a valid checkpoint");
        // safe=false with only one safetensors file: it is loaded (hub 2.0 tries safetensors first)
        Path only = Files.createDirectory(tmp.resolve("only"));
        StateDicts.save(values(), only, SaveOptions.defaults());
        try (Checkpoint c = Checkpoints.open(only, LoadOptions.defaults().withSafe(false))) {
            assertThat(c.size()).isEqualTo(5);
        }
    }

    // hub test 30
    @Test
    void strictModeOnExtraKey() throws IOException {
        Map<String, Tensor> sd = values();
        sd.put("extra_key", Tensor.ofFloats(new float[] {1}, 1));
        StateDicts.save(sd, tmp, SaveOptions.builder().maxShardSize(8).build());
        try (Checkpoint c = Checkpoints.open(tmp)) {
            Map<String, Tensor> model = model();
            assertThatThrownBy(() -> c.loadInto(model, true)).isInstanceOf(CheckpointException.class)
                    .hasMessage("Error(s) in loading state_dict for LinkedHashMap\nUnexpected key(s): \"extra_key\".");
            assertThat(model.get("layer_1").toFloatArray()).containsExactly(0); // nothing copied
            LoadResult r = c.loadInto(model, false);
            assertThat(r.unexpectedKeys()).containsExactly("extra_key");
            assertThat(r.missingKeys()).isEmpty();
            assertLoaded(model);
        }
    }

    @Test
    void strictMessageWithMissingAndUnexpected() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.builder().maxShardSize(8).build());
        class M2 implements StateDictProvider {
            final Map<String, Tensor> sd = model();

            @Override
            public Map<String, Tensor> stateDict() {
                return sd;
            }
        }
        M2 m = new M2();
        m.sd.remove("layer_2");
        m.sd.remove("layer_1");
        m.sd.put("zz", Tensor.ofFloats(new float[1], 1));
        m.sd.put("aa", Tensor.ofFloats(new float[1], 1));
        try (Checkpoint c = Checkpoints.open(tmp)) {
            assertThatThrownBy(() -> c.loadInto(m, true)).hasMessage("Error(s) in loading state_dict for M2\n"
                    + "Missing key(s): \"aa\",\"zz\".\nUnexpected key(s): \"layer_1\",\"layer_2\".");
            LoadResult r = c.loadInto(m, false);
            assertThat(r.missingKeys()).containsExactly("zz", "aa");
            assertThat(r.unexpectedKeys()).containsExactly("layer_1", "layer_2");
        }
    }

    @Test
    void shapeAndDtypeMismatch() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.defaults());
        try (Checkpoint c = Checkpoints.open(tmp)) {
            Map<String, Tensor> model = model();
            model.put("layer_2", Tensor.of(MemorySegment.ofArray(new byte[8]), DType.F32, 2));
            assertThatThrownBy(() -> c.loadInto(model, false)).isInstanceOf(CheckpointException.class)
                    .hasMessage("size mismatch for layer_2: copying a param with shape [1] from checkpoint, the shape"
                            + " in current model is [2].");
            // F32 into F16 converts (torch's copy_); into a complex dtype there is no conversion
            model.put("layer_2", Tensor.of(MemorySegment.ofArray(new byte[8]), DType.C64, 1));
            assertThatThrownBy(() -> c.loadInto(model, false)).isInstanceOf(CheckpointException.class)
                    .hasMessage("dtype mismatch for layer_2: the checkpoint has F32, the destination is C64, and there"
                            + " is no conversion between them.")
                    .extracting(e -> ((CheckpointException) e).reason())
                    .isEqualTo(CheckpointException.Reason.SHAPE_MISMATCH);
            assertThat(model.get("layer_1").toFloatArray()).containsExactly(0); // checked before copying
            model.put("layer_2", Tensor.of(MemorySegment.ofArray(new byte[2]), DType.F16, 1));
            assertThat(c.loadInto(model, false).allMatched()).isTrue();
            assertThat(model.get("layer_2").toFloatArray()).containsExactly(10);
        }
    }

    // hub test 31
    @Test
    void filenamePattern() throws IOException {
        SaveOptions opts = SaveOptions.builder().filenamePattern("model.variant{suffix}.safetensors").build();
        StateDicts.save(values(), tmp, opts);
        try (Checkpoint c = Checkpoints.open(tmp, LoadOptions.defaults()
                .withFilenamePattern("model.variant{suffix}.safetensors"))) {
            Map<String, Tensor> model = model();
            assertThat(c.loadInto(model, true).allMatched()).isTrue();
            assertLoaded(model);
        }
    }

    private void index(String name, String shard) throws IOException {
        Files.writeString(tmp.resolve(name), "{\"metadata\": {\"total_size\": 4}, \"weight_map\": {\"layer_1\": \""
                + shard.replace("\\", "\\\\") + "\"}}");
    }

    private void shard(String name) throws IOException {
        Safetensors.save(Map.of("layer_1", values().get("layer_1")), Map.of("format", "pt"), tmp.resolve(name));
    }

    // hub test 32: which index is selected (pattern, safe, present indexes). .bin indexes point at .bin shards that
    // the (absent) torch reader would need, so the expectation is checked through which index is opened.
    @Test
    void indexSelection() throws IOException {
        shard("st.safetensors");
        index("model.safetensors.index.json", "st.safetensors");
        try (Checkpoint c = Checkpoints.open(tmp)) {
            assertThat(c.indexFile().getFileName().toString()).isEqualTo("model.safetensors.index.json");
        }
        index("pytorch_model.bin.index.json", "x.bin");
        // both present, unsafe: safetensors index preferred
        try (Checkpoint c = Checkpoints.open(tmp, LoadOptions.defaults().withSafe(false))) {
            assertThat(c.indexFile().getFileName().toString()).isEqualTo("model.safetensors.index.json");
        }
        Files.delete(tmp.resolve("model.safetensors.index.json"));
        // only the bin index, unsafe: the bin index is selected (and its .bin shard is missing)
        assertThatThrownBy(() -> Checkpoints.open(tmp, LoadOptions.defaults().withSafe(false)))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("x.bin");
        // explicit variant safetensors pattern wins over safe=false
        index("model.variant.safetensors.index.json", "st.safetensors");
        try (Checkpoint c = Checkpoints.open(tmp, LoadOptions.defaults().withSafe(false)
                .withFilenamePattern("model.variant{suffix}.safetensors"))) {
            assertThat(c.indexFile().getFileName().toString()).isEqualTo("model.variant.safetensors.index.json");
        }
        // explicit .bin pattern: used with safe=false, refused with safe=true (hub 2.0)
        index("model.variant.bin.index.json", "v.bin");
        assertThatThrownBy(() -> Checkpoints.open(tmp, LoadOptions.defaults().withSafe(false)
                .withFilenamePattern("model.variant{suffix}.bin")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("v.bin");
        assertThatThrownBy(() -> Checkpoints.open(tmp, LoadOptions.defaults().withSafe(true)
                .withFilenamePattern("model.variant{suffix}.bin")))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("does not describe safetensors files");
    }

    // hub test 33
    @Test
    void safetensorsIndexRejectsBinShard() throws IOException {
        index("model.safetensors.index.json", "pytorch_model.bin");
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessage("Invalid shard filename 'pytorch_model.bin' in index file '"
                        + tmp.resolve("model.safetensors.index.json") + "'. Expected '.safetensors' extension to match"
                        + " the index format.")
                .extracting(e -> ((CheckpointException) e).reason())
                .isEqualTo(CheckpointException.Reason.INVALID_INDEX);
    }

    // hub tests 34, 35 (+ more forms)
    @ParameterizedTest
    @ValueSource(strings = {"../malicious.safetensors", "/tmp/malicious.safetensors", "\\malicious.safetensors",
            "C:malicious.safetensors", "C:\\malicious.safetensors", "\\\\server\\share\\malicious.safetensors",
            "..\\malicious.safetensors", "sub/../../x.safetensors", "a:foo.safetensors", "//x.safetensors",
            ""})
    void indexRejectsUnsafeShardNames(String name) throws IOException {
        shard("ok.safetensors");
        Files.writeString(tmp.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"ok.safetensors\", \"b\": \""
                + name.replace("\\", "\\\\") + "\"}}");
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessage("Invalid shard filename '" + name + "' in index file '"
                        + tmp.resolve("model.safetensors.index.json") + "'. Shard filenames must be relative paths"
                        + " without '..' components.");
    }

    @Test
    void indexAcceptsSubfolders() throws IOException {
        Files.createDirectory(tmp.resolve("sub"));
        Safetensors.save(Map.of("layer_1", values().get("layer_1")), Map.of("format", "pt"),
                tmp.resolve("sub/x.safetensors"));
        index("model.safetensors.index.json", "sub/x.safetensors");
        try (Checkpoint c = Checkpoints.open(tmp)) {
            assertThat(c.tensor("layer_1").toFloatArray()).containsExactly(4);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "{}", "{\"weight_map\": []}", "{\"weight_map\": {\"a\": 1}}",
            "{\"weight_map\": {}, \"metadata\": 3}", "{\"weight_map\": {\"a\": \"x.safetensors\", \"a\": \"y.safetensors\"}}",
            "not json", "{\"weight_map\": {}"})
    void malformedIndex(String text) throws IOException {
        Files.writeString(tmp.resolve("model.safetensors.index.json"), text);
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("Invalid index file '" + tmp.resolve("model.safetensors.index.json") + "': ")
                .extracting(e -> ((CheckpointException) e).reason())
                .isEqualTo(CheckpointException.Reason.INVALID_INDEX);
    }

    @Test
    void oversizedIndexIsRefusedWithoutReadingIt() throws IOException {
        try (var raf = new java.io.RandomAccessFile(tmp.resolve("model.safetensors.index.json").toFile(), "rw")) {
            raf.setLength(dev.weightmap.OpenOptions.DEFAULT_MAX_INDEX_BYTES + 1); // sparse
        }
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessageContaining("is 10485761 bytes, more than the limit of 10485760 bytes")
                .hasMessageContaining("withMaxIndexBytes")
                .extracting(e -> ((CheckpointException) e).reason())
                .isEqualTo(CheckpointException.Reason.LIMIT_EXCEEDED);
        assertThatThrownBy(() -> dev.weightmap.Weights.open(tmp.resolve("model.safetensors.index.json")))
                .isInstanceOfSatisfying(dev.weightmap.WeightmapException.class,
                        e -> assertThat(e.code()).isEqualTo("LIMIT_EXCEEDED"));
    }

    @Test
    void theIndexLimitIsAnOptionThatCanBeRaised() throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("a", Tensor.of(MemorySegment.ofArray(new byte[] {1, 2}), DType.U8, 2));
        Safetensors.save(sd, Map.of("format", "pt"), tmp.resolve("model-00001-of-00001.safetensors"));
        String index = "{\"metadata\": {\"total_size\": 2, \"pad\": \"" + "x".repeat(11 << 20) + "\"},"
                + " \"weight_map\": {\"a\": \"model-00001-of-00001.safetensors\"}}";
        Path ix = tmp.resolve("model.safetensors.index.json");
        Files.writeString(ix, index);
        assertThatThrownBy(() -> dev.weightmap.Weights.open(tmp)).isInstanceOfSatisfying(
                dev.weightmap.WeightmapException.class, e -> assertThat(e.code()).isEqualTo("LIMIT_EXCEEDED"));
        dev.weightmap.OpenOptions raised = dev.weightmap.OpenOptions.defaults().withMaxIndexBytes(12 << 20);
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(tmp, raised)) {
            assertThat(w.tensorNames()).containsExactly("a");
        }
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(ix, raised)) {
            assertThat(w.tensorNames()).containsExactly("a");
        }
        try (Checkpoint c = Checkpoints.open(tmp, LoadOptions.defaults().withMaxIndexBytes(12 << 20))) {
            assertThat(c.tensors()).containsOnlyKeys("a");
        }
    }

    @Test
    void deeplyNestedIndexIsAFormatError() throws IOException {
        Files.writeString(tmp.resolve("model.safetensors.index.json"), "{\"metadata\": " + "[".repeat(100_000));
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("Invalid index file");
    }

    @Test
    void indexedTensorMissingFromItsShard() throws IOException {
        shard("ok.safetensors");
        index("model.safetensors.index.json", "ok.safetensors");
        Files.writeString(tmp.resolve("model.safetensors.index.json"),
                "{\"weight_map\": {\"layer_1\": \"ok.safetensors\", \"ghost\": \"ok.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(CheckpointException.class)
                .hasMessage("Tensor 'ghost' is listed in index file '" + tmp.resolve("model.safetensors.index.json")
                        + "' under shard 'ok.safetensors', which does not contain it");
    }

    @Test
    void missingShard() throws IOException {
        index("model.safetensors.index.json", "gone.safetensors");
        assertThatThrownBy(() -> Checkpoints.open(tmp)).isInstanceOf(NoSuchFileException.class)
                .hasMessageContaining("gone.safetensors");
    }

    @Test
    void formatMetadataMustBePtOrMlx() throws IOException {
        Tensor t = values().get("layer_1");
        Safetensors.save(Map.of("w", t), Map.of("format", "np"), tmp.resolve("np.safetensors"));
        assertThatThrownBy(() -> Checkpoints.loadStateDictFromFile(tmp.resolve("np.safetensors")))
                .isInstanceOf(CheckpointException.class)
                .hasMessage("The safetensors archive passed at " + tmp.resolve("np.safetensors") + " does not contain"
                        + " the valid metadata. Make sure you save your model with the `save_torch_model` method.")
                .extracting(e -> ((CheckpointException) e).reason())
                .isEqualTo(CheckpointException.Reason.UNSUPPORTED_FORMAT);
        Safetensors.save(Map.of("w", t), Map.of("other", "x"), tmp.resolve("noformat.safetensors"));
        assertThatThrownBy(() -> Checkpoints.loadStateDictFromFile(tmp.resolve("noformat.safetensors")))
                .isInstanceOf(CheckpointException.class);
        Safetensors.save(Map.of("w", t), Map.of("format", "mlx"), tmp.resolve("mlx.safetensors"));
        Safetensors.save(Map.of("w", t), null, tmp.resolve("none.safetensors"));
        for (String ok : List.of("mlx.safetensors", "none.safetensors")) {
            try (Checkpoint c = Checkpoints.loadStateDictFromFile(tmp.resolve(ok))) {
                assertThat(c.size()).isEqualTo(1);
            }
        }
    }

    @Test
    void openByIndexFileAndBadTorchFile() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.builder().maxShardSize(8).build());
        try (Checkpoint c = Checkpoints.open(tmp.resolve("model.safetensors.index.json"))) {
            assertThat(c.size()).isEqualTo(5);
        }
        Files.write(tmp.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> Checkpoints.loadStateDictFromFile(tmp.resolve("pytorch_model.bin"), false))
                .isInstanceOf(dev.weightmap.torch.TorchCheckpointException.class);
    }

    /** format() is the opened input's: a folder is "sharded" even with one file in it, as Weights.detect says. */
    @Test
    void formatOfAFolderHoldingOneFile() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.defaults());
        Path file = tmp.resolve("model.safetensors");
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(tmp);
             Checkpoint viaCheckpoints = Checkpoints.open(tmp);
             Checkpoint ofFile = Checkpoints.open(file);
             Checkpoint loaded = Checkpoints.loadStateDictFromFile(file)) {
            assertThat(w).isInstanceOf(Checkpoint.class);
            assertThat(w.format()).isEqualTo("sharded").isEqualTo(dev.weightmap.Weights.detect(tmp));
            assertThat(viaCheckpoints.format()).isEqualTo("sharded");
            assertThat(viaCheckpoints.isSharded()).isFalse(); // no index
            assertThat(ofFile.format()).isEqualTo("safetensors").isEqualTo(dev.weightmap.Weights.detect(file));
            assertThat(loaded.format()).isEqualTo("safetensors");
        }
        Path torch = Files.createDirectory(tmp.resolve("torch"));
        StateDicts.save(values(), torch, SaveOptions.builder().format(SaveOptions.Format.TORCH).build());
        try (Checkpoint c = Checkpoints.open(torch, LoadOptions.defaults().withSafe(false));
             Checkpoint f = Checkpoints.loadStateDictFromFile(torch.resolve("pytorch_model.bin"), false)) {
            assertThat(c.format()).isEqualTo("sharded");
            assertThat(f.format()).isEqualTo("torch");
        }
    }

    @Test
    void closeUnmapsEveryShard() throws IOException {
        StateDicts.save(values(), tmp, SaveOptions.builder().maxShardSize(8).build());
        Checkpoint c = Checkpoints.open(tmp);
        Tensor t = c.tensor("layer_5");
        c.close();
        assertThatThrownBy(t::toFloatArray).isInstanceOf(IllegalStateException.class);
        c.close(); // idempotent
    }

    // hub fixtures read back: index metadata and the tied removed->kept entry
    @Test
    void readsHubFixtureCheckpoints() throws IOException {
        for (String f : List.of("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors",
                "model.safetensors.index.json")) {
            Fixtures.copy("hub/d_discard/safetensors/" + f, tmp);
        }
        try (Checkpoint c = Checkpoints.open(tmp)) {
            assertThat(c.metadata()).containsEntry("total_size", 3400L).containsEntry("embed.weight", "lm_head.weight");
            assertThat(c.size()).isEqualTo(13);
            assertThat(JsonReader.parse(Files.readAllBytes(tmp.resolve("model.safetensors.index.json")))).isNotNull();
        }
        Path sharded = Files.createDirectory(tmp.resolve("sharded"));
        for (String f : List.of("model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                "model-00003-of-00003.safetensors", "model.safetensors.index.json")) {
            Fixtures.copy("safetensors/sharded/" + f, sharded);
        }
        try (Checkpoint c = Checkpoints.open(sharded)) {
            assertThat(c.dataFiles()).hasSize(3);
            long total = c.tensors().values().stream().mapToLong(Tensor::byteLength).sum();
            assertThat(c.metadata().get("total_size")).isEqualTo(total);
        }
    }
}
