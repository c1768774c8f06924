// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.WeightmapException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoints;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.fail;

/**
 * huggingface_hub 2.0.0's loading rules, case by case against what hub itself did: {@code hub2/hub2_rules.py}
 * builds each folder, runs hub's {@code load_torch_model} / {@code load_state_dict_from_file} and records the
 * result in {@code hub2/hub2_rules.out.json}; this test builds the same folder (same file names, same value per
 * file: 1 = {@code model.safetensors}, 2 = the pickle file, 3 = a second safetensors file, 4 = a safetensors shard,
 * 5 = a pickle shard) and checks that weightmap picks the same file or fails with the same message. The few
 * deliberate departures are listed in {@link #DEPARTURES} with what weightmap does instead, and index entries no
 * shard backs are checked by {@link #indexEntriesNoShardBacksAreRefused()}.
 */
class Hub2RulesTest {
    @TempDir
    Path tmp;

    static Map<String, Object> recorded;

    /** Cases where weightmap deliberately differs from hub, with what it does instead. */
    static final Set<String> DEPARTURES = Set.of(
            // detection is by content: a safetensors file named .bin opens as safetensors (hub feeds it to
            // torch.load and fails with an UnpicklingError)
            "file_safetensors_named_bin/unsafe",
            // a damaged file named .safetensors reports the precise safetensors error, not hub's generic
            // "Cannot load ... as safetensors"
            "file_garbage/safe");

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        try (InputStream in = Hub2RulesTest.class.getResourceAsStream("/hub2/hub2_rules.out.json")) {
            recorded = (Map<String, Object>) JsonReader.parse(in.readAllBytes());
        }
    }

    interface Build {
        void into(Path dir) throws IOException;
    }

    static Tensor full(float v) {
        MemorySegment s = MemorySegment.ofArray(new byte[8]);
        s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 0, v);
        s.set(ValueLayout.JAVA_FLOAT_UNALIGNED, 4, v);
        return Tensor.of(s, DType.F32, 2);
    }

    static void st(Path p, float v) throws IOException {
        st(p, v, "w");
    }

    static void st(Path p, float v, String name) throws IOException {
        Safetensors.save(Map.of(name, full(v)), Map.of("format", "pt"), p);
    }

    static void pt(Path p, float v) throws IOException {
        TorchCheckpoints.save(Map.of("w", full(v)), p);
    }

    static void index(Path d, String name, Map<String, String> weightMap) throws IOException {
        StringBuilder sb = new StringBuilder("{\"metadata\": {\"total_size\": 8}, \"weight_map\": {");
        weightMap.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ", ")
                .append('"').append(k).append("\": \"").append(v).append('"'));
        Files.writeString(d.resolve(name), sb.append("}}").toString());
    }

    static void stIndex(Path d) throws IOException {
        st(d.resolve("model-00001-of-00001.safetensors"), 4);
        index(d, "model.safetensors.index.json", Map.of("w", "model-00001-of-00001.safetensors"));
    }

    static void binIndex(Path d) throws IOException {
        pt(d.resolve("pytorch_model-00001-of-00001.bin"), 5);
        index(d, "pytorch_model.bin.index.json", Map.of("w", "pytorch_model-00001-of-00001.bin"));
    }

    /** The folder cases of {@code hub2_rules.py}, by recorded name without the {@code /safe} suffix. */
    static final Map<String, Build> FOLDERS = new LinkedHashMap<>();

    static {
        FOLDERS.put("only_safetensors", d -> st(d.resolve("model.safetensors"), 1));
        FOLDERS.put("safetensors_and_bin", d -> {
            st(d.resolve("model.safetensors"), 1);
            pt(d.resolve("pytorch_model.bin"), 2);
        });
        FOLDERS.put("two_safetensors_one_bin", d -> {
            st(d.resolve("model.safetensors"), 1);
            st(d.resolve("model.fp16.safetensors"), 3);
            pt(d.resolve("pytorch_model.bin"), 2);
        });
        FOLDERS.put("only_bin", d -> pt(d.resolve("pytorch_model.bin"), 2));
        FOLDERS.put("hidden_safetensors", d -> {
            st(d.resolve("model.safetensors"), 1);
            st(d.resolve(".hidden.safetensors"), 3);
        });
        FOLDERS.put("dir_named_safetensors", d -> {
            st(d.resolve("model.safetensors"), 1);
            Files.createDirectory(d.resolve("sub.safetensors"));
        });
        FOLDERS.put("uppercase_safetensors", d -> st(d.resolve("MODEL.SAFETENSORS"), 1));
        FOLDERS.put("both_indexes", d -> {
            stIndex(d);
            binIndex(d);
        });
        FOLDERS.put("bin_index_only", Hub2RulesTest::binIndex);
        FOLDERS.put("bin_index_and_single_safetensors", d -> {
            binIndex(d);
            st(d.resolve("model.safetensors"), 1);
        });
        FOLDERS.put("st_index_and_single_safetensors", d -> {
            stIndex(d);
            st(d.resolve("model.safetensors"), 1);
        });
        FOLDERS.put("bin_index_and_single_bin", d -> {
            binIndex(d);
            pt(d.resolve("pytorch_model.bin"), 2);
        });
    }

    static List<String> folderCases() {
        return FOLDERS.keySet().stream().flatMap(k -> java.util.stream.Stream.of(k + "/safe", k + "/unsafe")).toList();
    }

    @ParameterizedTest
    @MethodSource("folderCases")
    void folderSelection(String key) throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        FOLDERS.get(key.substring(0, key.indexOf('/'))).into(d);
        check(key, d, () -> Checkpoints.open(d, LoadOptions.defaults().withSafe(key.endsWith("/safe"))));
    }

    @Test
    void safeFolderErrorNamesThePickleFilesItSkipped() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        binIndex(d);
        Throwable e = catchThrowable(() -> Checkpoints.open(d).close());
        assertThat(e).hasMessageEndingWith(" single model file. It holds pickle checkpoint files"
                + " (pytorch_model.bin.index.json, pytorch_model-00001-of-00001.bin), which `safe=True` does not"
                + " consider: pass `safe=False` to load them.");
    }

    /**
     * An index file named directly: through {@code Checkpoints.open} (hub's API, {@code safe=true} by default)
     * pickle shards are refused as hub's {@code _load_sharded_checkpoint} refuses them with {@code safe=True};
     * {@code Weights.open} of a named index opens what it names.
     */
    @Test
    void namedBinIndexFollowsSafe() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        binIndex(d);
        Path index = d.resolve("pytorch_model.bin.index.json");
        Throwable e = catchThrowable(() -> Checkpoints.open(index).close());
        assertThat(e).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("Cannot load '" + d.resolve("pytorch_model-00001-of-00001.bin") + "' as"
                        + " safetensors");
        assertThat(((CheckpointException) e).reason()).isEqualTo(CheckpointException.Reason.PICKLE_REFUSED);
        try (Checkpoint c = Checkpoints.open(index, LoadOptions.defaults().withSafe(false));
             dev.weightmap.Weights w = dev.weightmap.Weights.open(index)) {
            assertThat(c.tensor("w").getFloat(0)).isEqualTo(5f);
            assertThat(w.tensor("w").getFloat(0)).isEqualTo(5f);
        }
        // a shard named .bin that holds safetensors bytes is no pickle: opened by content either way
        st(d.resolve("pytorch_model-00001-of-00001.bin"), 8);
        for (boolean safe : new boolean[] {true, false}) {
            try (Checkpoint c = Checkpoints.open(index, LoadOptions.defaults().withSafe(safe))) {
                assertThat(c.tensor("w").getFloat(0)).isEqualTo(8f);
            }
        }
    }

    static List<String> patternCases() {
        return List.of("pattern_bin/safe", "pattern_bin/unsafe", "pattern_pt/safe", "pattern_upper_safetensors/safe");
    }

    @ParameterizedTest
    @MethodSource("patternCases")
    void explicitPattern(String key) throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        String pattern = switch (key.substring(0, key.indexOf('/'))) {
            case "pattern_bin" -> "pytorch_model{suffix}.bin";
            case "pattern_pt" -> "model{suffix}.pt";
            default -> "model{suffix}.SAFETENSORS";
        };
        if (!key.startsWith("pattern_upper")) {
            binIndex(d);
        }
        check(key, d, () -> Checkpoints.open(d, LoadOptions.defaults().withSafe(key.endsWith("/safe"))
                .withFilenamePattern(pattern)));
    }

    static List<String> fileCases() {
        return List.of("file_bin/safe", "file_bin/unsafe", "file_safetensors_named_bin/safe",
                "file_safetensors_named_bin/unsafe", "file_safetensors_upper/unsafe", "file_garbage/safe",
                "file_bad_format_metadata/safe");
    }

    @ParameterizedTest
    @MethodSource("fileCases")
    void singleFile(String key) throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        boolean safe = key.endsWith("/safe");
        Path file = switch (key.substring(0, key.indexOf('/'))) {
            case "file_bin" -> {
                pt(d.resolve("pytorch_model.bin"), 2);
                yield d.resolve("pytorch_model.bin");
            }
            case "file_safetensors_named_bin" -> {
                st(d.resolve("x.bin"), 1);
                yield d.resolve("x.bin");
            }
            case "file_safetensors_upper" -> {
                st(d.resolve("X.SAFETENSORS"), 1);
                yield d.resolve("X.SAFETENSORS");
            }
            case "file_garbage" -> {
                Files.writeString(d.resolve("g.safetensors"), "hello world, not a checkpoint");
                yield d.resolve("g.safetensors");
            }
            default -> {
                Safetensors.save(Map.of("w", full(1)), Map.of("format", "tf"), d.resolve("tf.safetensors"));
                yield d.resolve("tf.safetensors");
            }
        };
        if (key.equals("file_safetensors_named_bin/unsafe")) {
            try (Checkpoint c = Checkpoints.open(file, LoadOptions.defaults().withSafe(false))) {
                assertThat(c.tensor("w").getFloat(0)).isEqualTo(1f);
            }
            assertThat(recorded(key)).containsEntry("error", "UnpicklingError");
            return;
        }
        if (key.equals("file_garbage/safe")) {
            Throwable e = catchThrowable(() -> Checkpoints.open(file, LoadOptions.defaults()).close());
            assertThat(e).isInstanceOf(dev.weightmap.safetensors.SafetensorsException.class)
                    .hasMessageContaining(file.toString());
            assertThat((String) recorded(key).get("message")).startsWith("Cannot load '<dir>/g.safetensors' as safetensors");
            return;
        }
        check(key, d, () -> Checkpoints.open(file, LoadOptions.defaults().withSafe(safe)));
    }

    @Test
    void loadStateDictFromFileSafeSwitch() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        Path p = d.resolve("p.bin");
        pt(p, 2);
        check("load_state_dict_from_file_bin/safe", d, () -> Checkpoints.loadStateDictFromFile(p, true));
        check("load_state_dict_from_file_bin/default", d, () -> Checkpoints.loadStateDictFromFile(p));
        try (Checkpoint c = Checkpoints.loadStateDictFromFile(p, false)) {
            assertThat(new TreeSet<>(c.tensorNames())).containsExactlyElementsOf(
                    asStrings(recorded("load_state_dict_from_file_bin/unsafe").get("keys")));
        }
    }

    @Test
    void everyRecordedCaseIsChecked() {
        Set<String> covered = new TreeSet<>(folderCases());
        covered.addAll(patternCases());
        covered.addAll(fileCases());
        covered.addAll(List.of("load_state_dict_from_file_bin/safe", "load_state_dict_from_file_bin/unsafe",
                "load_state_dict_from_file_bin/default"));
        covered.addAll(LOAD_CASES);
        covered.addAll(List.of("load_casts", "load_shape_mismatch"));
        assertThat(covered).containsExactlyInAnyOrderElementsOf(recorded.keySet());
    }

    /** The {@code run2} cases of the script (index and shards disagreeing), checked by the tests below. */
    static final List<String> LOAD_CASES = List.of("extra_in_shard/lenient", "extra_in_shard/lenient_model_without_extra",
            "extra_in_shard/strict_model_without_extra", "extra_in_shard/strict", "ghost_in_index/lenient",
            "ghost_in_index/strict", "misplaced_in_index/lenient");

    /** {@code run2}'s model: {@code w} and {@code extra}, two zero F32 tensors of shape [2]. */
    static Map<String, Tensor> model(boolean withExtra) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("w", full(0));
        if (withExtra) {
            m.put("extra", full(0));
        }
        return m;
    }

    static void extraInShard(Path d) throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("w", full(6));
        sd.put("extra", full(7));
        Safetensors.save(sd, Map.of("format", "pt"), d.resolve("model-00001-of-00001.safetensors"));
        index(d, "model.safetensors.index.json", Map.of("w", "model-00001-of-00001.safetensors"));
    }

    @ParameterizedTest
    @MethodSource("extraCases")
    void shardTensorAbsentFromTheIndexIsLoadedWithAWarning(String key) throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        extraInShard(d);
        Map<String, Object> r = recorded(key);
        boolean strict = key.contains("strict");
        boolean withExtra = !key.endsWith("model_without_extra");
        String hubWarning = asStrings(r.get("warnings")).get(0);
        try (Checkpoint c = Checkpoints.open(d)) {
            assertThat(c.warnings()).singleElement().asString().startsWith(hubWarning)
                    .endsWith("(index file '" + d.resolve("model.safetensors.index.json") + "')");
            assertThat(c.tensorNames()).containsExactly("w", "extra");
            assertThat(c.fileOf("extra")).isEqualTo(d.resolve("model-00001-of-00001.safetensors"));
            c.verify(); // not an error: verify passes
            Map<String, Tensor> m = model(withExtra);
            if (r.containsKey("error")) {
                Throwable e = catchThrowable(() -> c.loadInto(m, strict));
                assertThat(e).isInstanceOf(CheckpointException.class);
                assertThat(((CheckpointException) e).reason()).isEqualTo(CheckpointException.Reason.KEY_MISMATCH);
                // hub names the model class (M); ours names the map's class
                assertThat(e.getMessage().substring(e.getMessage().indexOf('\n')))
                        .isEqualTo(((String) r.get("message")).substring(((String) r.get("message")).indexOf('\n')));
                return;
            }
            LoadResult result = c.loadInto(m, strict);
            assertThat(result.missingKeys()).containsExactlyElementsOf(asStrings(r.get("missing")));
            assertThat(result.unexpectedKeys()).containsExactlyElementsOf(asStrings(r.get("unexpected")));
            assertThat(result.warnings()).isEqualTo(c.warnings());
            assertThat((double) m.get("w").getFloat(0)).isEqualTo(((Number) r.get("w")).doubleValue());
            if (withExtra) {
                assertThat((double) m.get("extra").getFloat(1)).isEqualTo(((Number) r.get("extra")).doubleValue());
            }
        }
    }

    @Test
    void warningsOfAClosedCheckpointThrow() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        extraInShard(d);
        Checkpoint c = Checkpoints.open(d);
        assertThat(c.warnings()).hasSize(1);
        c.close();
        assertThat(catchThrowable(c::warnings)).isInstanceOf(dev.weightmap.WeightsClosedException.class)
                .hasMessageContaining("model.safetensors.index.json");
    }

    static List<String> extraCases() {
        return LOAD_CASES.stream().filter(k -> k.startsWith("extra_in_shard/")).toList();
    }

    /**
     * An index entry that no shard holds, or that names the wrong shard: hub loads what the shards hold (the
     * ghost is a missing key, the misplaced tensor loads silently). weightmap refuses such an index at open time
     * ({@code INDEX_MISMATCH}): the index is what tools use to fetch single shards, so a wrong entry is a defect
     * to fix, not to load around.
     */
    @Test
    void indexEntriesNoShardBacksAreRefused() throws IOException {
        assertThat(recorded("ghost_in_index/lenient").get("missing")).isEqualTo(List.of("extra"));
        assertThat(recorded("misplaced_in_index/lenient")).doesNotContainKey("error");
        assertThat(recorded("ghost_in_index/strict")).containsEntry("error", "RuntimeError");
        Path ghost = Files.createDirectory(tmp.resolve("ghost"));
        st(ghost.resolve("model-00001-of-00001.safetensors"), 6);
        index(ghost, "model.safetensors.index.json", Map.of("w", "model-00001-of-00001.safetensors",
                "extra", "model-00001-of-00001.safetensors"));
        Path misplaced = Files.createDirectory(tmp.resolve("misplaced"));
        st(misplaced.resolve("model-00001-of-00002.safetensors"), 6);
        st(misplaced.resolve("model-00002-of-00002.safetensors"), 7, "extra");
        index(misplaced, "model.safetensors.index.json", Map.of("w", "model-00002-of-00002.safetensors",
                "extra", "model-00001-of-00002.safetensors"));
        for (Path d : List.of(ghost, misplaced)) {
            Throwable e = catchThrowable(() -> Checkpoints.open(d).close());
            assertThat(e).isInstanceOf(CheckpointException.class).hasMessageContaining("which does not contain it");
            assertThat(((CheckpointException) e).reason()).isEqualTo(CheckpointException.Reason.INDEX_MISMATCH);
        }
    }

    /** A tensor the index does not list, held by two shards: which one hub loads depends on set order. */
    @Test
    void anUnlistedTensorInTwoShardsIsAmbiguous() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        Map<String, Tensor> one = new LinkedHashMap<>();
        one.put("w", full(6));
        one.put("x", full(1));
        Safetensors.save(one, Map.of("format", "pt"), d.resolve("model-00001-of-00002.safetensors"));
        Map<String, Tensor> two = new LinkedHashMap<>();
        two.put("x", full(2));
        two.put("y", full(3));
        Safetensors.save(two, Map.of("format", "pt"), d.resolve("model-00002-of-00002.safetensors"));
        Map<String, String> wm = new LinkedHashMap<>();
        wm.put("w", "model-00001-of-00002.safetensors");
        wm.put("y", "model-00002-of-00002.safetensors");
        index(d, "model.safetensors.index.json", wm);
        Throwable e = catchThrowable(() -> Checkpoints.open(d).close());
        assertThat(e).isInstanceOf(CheckpointException.class).hasMessageContaining("Tensor 'x', which index file")
                .hasMessageContaining("is in both shard 'model-00001-of-00002.safetensors' and shard"
                        + " 'model-00002-of-00002.safetensors'");
        assertThat(((CheckpointException) e).reason()).isEqualTo(CheckpointException.Reason.INDEX_MISMATCH);
    }

    static byte[] hex(String h) {
        return java.util.HexFormat.of().parseHex(h);
    }

    static DType dtypeOf(String name) {
        return switch (name) {
            case "f32" -> DType.F32;
            case "bf16" -> DType.BF16;
            case "f16" -> DType.F16;
            case "i32" -> DType.I32;
            case "i64" -> DType.I64;
            case "i8" -> DType.I8;
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * torch's {@code load_state_dict} converts into a destination of another dtype ({@code param.copy_}):
     * {@code loadInto} gives the same bytes for each recorded pair (F32 → BF16/F16 rounding, BF16/F16 → F32,
     * integer widening and wrapping), where it used to fail with {@code SHAPE_MISMATCH}.
     */
    @Test
    @SuppressWarnings("unchecked")
    void loadIntoConvertsDtypesAsTorchDoes() throws IOException {
        Map<String, Object> cases = recorded("load_casts");
        Map<String, Tensor> file = new LinkedHashMap<>();
        Map<String, Tensor> model = new LinkedHashMap<>();
        Map<String, byte[]> expected = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : cases.entrySet()) {
            String[] pair = e.getKey().split("_to_");
            Map<String, Object> c = (Map<String, Object>) e.getValue();
            byte[] src = hex((String) c.get("source"));
            byte[] want = hex((String) c.get("loaded"));
            file.put(e.getKey(), Tensor.of(MemorySegment.ofArray(src), dtypeOf(pair[0]), 3));
            model.put(e.getKey(), Tensor.of(MemorySegment.ofArray(new byte[want.length]), dtypeOf(pair[1]), 3));
            expected.put(e.getKey(), want);
        }
        Path d = Files.createDirectory(tmp.resolve("d"));
        Safetensors.save(file, Map.of("format", "pt"), d.resolve("model.safetensors"));
        try (Checkpoint c = Checkpoints.open(d)) {
            assertThat(c.loadInto(model, true).allMatched()).isTrue();
        }
        for (Map.Entry<String, byte[]> e : expected.entrySet()) {
            assertThat(model.get(e.getKey()).data().toArray(ValueLayout.JAVA_BYTE)).as(e.getKey())
                    .isEqualTo(e.getValue());
        }
    }

    /** A different shape stays an error (torch raises it even when not strict), with torch's words. */
    @Test
    void loadIntoShapeMismatchKeepsItsReason() throws IOException {
        Path d = Files.createDirectory(tmp.resolve("d"));
        Safetensors.save(Map.of("w", Tensor.ofFloats(new float[] {1, 1, 1}, 3)), Map.of("format", "pt"),
                d.resolve("model.safetensors"));
        String hub = (String) recorded("load_shape_mismatch").get("message");
        Map<String, Tensor> model = Map.of("w", Tensor.of(MemorySegment.ofArray(new byte[4]), DType.BF16, 2));
        try (Checkpoint c = Checkpoints.open(d)) {
            Throwable e = catchThrowable(() -> c.loadInto(model, false));
            assertThat(e).isInstanceOf(CheckpointException.class);
            assertThat(((CheckpointException) e).reason()).isEqualTo(CheckpointException.Reason.SHAPE_MISMATCH);
            assertThat(e.getMessage()).isEqualTo(hub.substring(hub.indexOf("size mismatch"))
                    .replace("torch.Size(", "").replace("])", "]"));
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> recorded(String key) {
        Object r = recorded.get(key);
        assertThat(r).as("recorded case " + key).isNotNull();
        return (Map<String, Object>) r;
    }

    static List<String> asStrings(Object o) {
        return ((List<?>) o).stream().map(String::valueOf).toList();
    }

    interface Open {
        Checkpoint open() throws IOException;
    }

    /**
     * Opens with weightmap and compares with hub's record: the value of {@code w} for a load, the same message
     * (with {@code <dir>} for the folder) and the matching reason for an error.
     */
    static void check(String key, Path dir, Open open) throws IOException {
        Map<String, Object> r = recorded(key);
        assertThat(DEPARTURES).doesNotContain(key);
        if (r.containsKey("loaded")) {
            try (Checkpoint c = open.open()) {
                assertThat((double) c.tensor("w").getFloat(0)).as(key).isEqualTo(((Number) r.get("loaded")).doubleValue());
            }
            return;
        }
        Throwable e = catchThrowable(() -> open.open().close());
        if (e == null) {
            fail(key + ": hub failed with " + r + " but weightmap opened it");
        }
        String hubMessage = (String) r.get("message");
        String ours = e.getMessage().replace(dir.toString(), "<dir>");
        assertThat(e).as(key).isInstanceOf(WeightmapException.class);
        CheckpointException.Reason reason = ((CheckpointException) e).reason();
        if (hubMessage == null) { // only the exception type was recorded (the default-argument case)
            assertThat(r.get("error")).isEqualTo("ValueError");
            assertThat(reason).isEqualTo(CheckpointException.Reason.PICKLE_REFUSED);
        } else if (hubMessage.startsWith("Directory '")) {
            assertThat(reason).as(key).isEqualTo(CheckpointException.Reason.NO_CHECKPOINT);
            // hub's words; with safe=true, when the folder holds pickle files, a hint naming them follows
            boolean pickles = key.endsWith("/safe") && (key.contains("bin") || key.startsWith("pattern_"));
            if (pickles && !key.startsWith("pattern_upper")) {
                assertThat(ours).startsWith(hubMessage + " It holds pickle checkpoint files (")
                        .endsWith("which `safe=True` does not consider: pass `safe=False` to load them.");
            } else {
                assertThat(ours).isEqualTo(hubMessage);
            }
        } else if (hubMessage.startsWith("`filename_pattern=")) {
            assertThat(reason).as(key).isEqualTo(CheckpointException.Reason.PICKLE_REFUSED);
            // same words up to hub's parenthesis, which says pickle executes code: weightmap's reader does not
            String head = hubMessage.substring(0, hubMessage.indexOf(" (this executes"));
            assertThat(ours.replace("`safe=false`", "`safe=False`")).startsWith(head);
        } else if (hubMessage.startsWith("Cannot load '")) {
            assertThat(reason).as(key).isEqualTo(CheckpointException.Reason.PICKLE_REFUSED);
            String head = hubMessage.substring(0, hubMessage.indexOf(" as safetensors") + " as safetensors".length());
            assertThat(ours).startsWith(head).contains("pass `safe=False` to allow it");
        } else if (hubMessage.startsWith("The safetensors archive passed at")) {
            assertThat(reason).as(key).isEqualTo(CheckpointException.Reason.UNSUPPORTED_FORMAT);
            assertThat(ours).isEqualTo(hubMessage);
        } else {
            fail(key + ": no rule for hub's message " + hubMessage);
        }
    }
}
