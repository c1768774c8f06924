// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Planning vs hub: split_cases.json, the spec's worked examples and hub's tests 1-4, 20. */
class PlanningTest {

    @SuppressWarnings("unchecked")
    @TestFactory
    Stream<DynamicTest> everySplitCaseMatchesHub() {
        Map<String, Object> root = Fixtures.json("hub/split_cases.json");
        List<Object> cases = (List<Object>) root.get("cases");
        return cases.stream().map(o -> (Map<String, Object>) o).map(c -> DynamicTest.dynamicTest(
                (String) c.get("name"), () -> {
                    Map<String, MemorySegment> storages = new LinkedHashMap<>();
                    ((Map<String, Object>) c.get("storages")).forEach((id, s) -> storages.put(id,
                            MemorySegment.ofArray(new byte[(int) (long) (Long) ((Map<String, Object>) s).get("nbytes")])));
                    Map<String, Tensor> sd = new LinkedHashMap<>();
                    for (Object to : (List<Object>) c.get("tensors")) {
                        Map<String, Object> t = (Map<String, Object>) to;
                        long[] shape = ((List<Object>) t.get("shape")).stream().mapToLong(x -> (Long) x).toArray();
                        long off = t.containsKey("storage_offset") ? (Long) t.get("storage_offset") : 0;
                        sd.put((String) t.get("name"), Tensor.of(storages.get((String) t.get("storage")),
                                DType.fromHeaderName((String) t.get("dtype")), shape, Tensor.contiguousStrides(shape),
                                off));
                    }
                    Object max = c.get("max_shard_size");
                    long maxSize = max instanceof String s ? ShardSize.parse(s) : (Long) max;
                    String pattern = (String) c.getOrDefault("filename_pattern", "model{suffix}.safetensors");
                    StateDictSplit split = StateDicts.split(sd, pattern, maxSize);
                    Map<String, Object> r = (Map<String, Object>) c.get("result");
                    assertThat(split.isSharded()).isEqualTo(r.get("is_sharded"));
                    assertThat(split.metadata()).isEqualTo(r.get("metadata"));
                    assertThat(new ArrayList<>(split.filenameToTensors().entrySet()))
                            .isEqualTo(new ArrayList<>(((Map<String, Object>) r.get("filename_to_tensors")).entrySet()));
                    assertThat(new ArrayList<>(split.tensorToFilename().entrySet()))
                            .isEqualTo(new ArrayList<>(((Map<String, Object>) r.get("tensor_to_filename")).entrySet()));
                }));
    }

    @SuppressWarnings("unchecked")
    @Test
    void parseSizeMatchesHub() {
        Map<String, Object> root = Fixtures.json("hub/split_cases.json");
        ((Map<String, Object>) root.get("parse_size_to_int")).forEach((s, v) ->
                assertThat(ShardSize.parse(s)).as(s).isEqualTo((Long) v));
        ((Map<String, Object>) root.get("parse_size_to_int_errors")).forEach((s, msg) -> {
            if (s.equals("5GiB")) {
                assertThat(ShardSize.parse(s)).isEqualTo(5L << 30); // DECISIONS 10: binary units accepted
                return;
            }
            if (s.equals("100")) {
                assertThat(ShardSize.parse(s)).isEqualTo(100); // a bare number is bytes, as hub's int max_shard_size
                return;
            }
            String hub = ((String) msg).substring("ValueError: ".length());
            assertThatThrownBy(() -> ShardSize.parse(s)).isInstanceOf(CheckpointException.class)
                    .hasMessageStartingWith(hub)
                    .extracting(e -> ((CheckpointException) e).reason())
                    .isEqualTo(CheckpointException.Reason.INVALID_SIZE);
        });
    }

    // hub test 8
    @Test
    void parseSizeToInt() {
        assertThat(ShardSize.parse("1KB")).isEqualTo(1000);
        assertThat(ShardSize.parse("9000")).isEqualTo(9000); // not "Unit '00' not supported"
        assertThat(ShardSize.parse(" 1_000 ")).isEqualTo(1000);
        assertThat(ShardSize.parse("0")).isZero();
        assertThatThrownBy(() -> ShardSize.parse("99999999999999999999"))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("does not fit");
        assertThat(ShardSize.parse("2MB")).isEqualTo(2_000_000);
        assertThat(ShardSize.parse("3GB")).isEqualTo(3_000_000_000L);
        assertThat(ShardSize.parse(" 10 KB ")).isEqualTo(10_000);
        assertThat(ShardSize.parse("20mb")).isEqualTo(20_000_000);
        assertThatThrownBy(() -> ShardSize.parse("1ooKB")).isInstanceOf(CheckpointException.class)
                .hasMessageStartingWith("Could not parse the size value from '1ooKB': could not convert string to"
                        + " float: '1oo'");
        assertThatThrownBy(() -> ShardSize.parse("1KB1")).hasMessageContaining("Unit 'B1' not supported");
    }

    @Test
    void parseSizePythonFloatForms() {
        assertThat(ShardSize.parse("0.1KB")).isEqualTo(100);
        assertThat(ShardSize.parse("4.35GB")).isEqualTo(4_350_000_000L);
        assertThat(ShardSize.parse("1e3KB")).isEqualTo(1_000_000);
        assertThat(ShardSize.parse("1_000KB")).isEqualTo(1_000_000);
        assertThat(ShardSize.parse("-1KB")).isEqualTo(-1000);
        assertThat(ShardSize.parse(".5kb")).isEqualTo(500);
        assertThat(ShardSize.parse("5.gb")).isEqualTo(5_000_000_000L);
        assertThatThrownBy(() -> ShardSize.parse("  KB")).hasMessage(
                "Could not parse the size value from 'KB': could not convert string to float: ''");
        assertThatThrownBy(() -> ShardSize.parse("1__0KB")).hasMessageContaining("could not convert string to float");
        assertThatThrownBy(() -> ShardSize.parse("0x10KB")).hasMessageContaining("could not convert string to float");
        assertThatThrownBy(() -> ShardSize.parse("1dKB")).hasMessageContaining("could not convert string to float");
        assertThatThrownBy(() -> ShardSize.parse("inf KB")).hasMessageContaining("cannot convert float infinity");
        assertThatThrownBy(() -> ShardSize.parse("nanGB")).hasMessageContaining("cannot convert float NaN to integer");
        assertThatThrownBy(() -> ShardSize.parse("1e30TB")).hasMessageContaining("does not fit a 64-bit integer");
        assertThat(ShardSize.parse("5")).isEqualTo(5); // a bare number is bytes (hub's int form)
        assertThatThrownBy(() -> ShardSize.parse("-5")).hasMessageStartingWith(
                "Unit '-5' not supported. Supported units are TB, GB, MB, KB. Got '-5'.");
        assertThatThrownBy(() -> ShardSize.parse("5g")).hasMessageStartingWith("Unit '5G' not supported");
    }

    // DECISIONS 10
    @Test
    void binaryUnits() {
        assertThat(ShardSize.parse("1KiB")).isEqualTo(1024);
        assertThat(ShardSize.parse("2 mib")).isEqualTo(2L << 20);
        assertThat(ShardSize.parse("1.5GiB")).isEqualTo(3L << 29);
        assertThat(ShardSize.parse("1TiB")).isEqualTo(1L << 40);
        assertThatThrownBy(() -> ShardSize.parse("1PiB")).hasMessageStartingWith("Unit 'IB' not supported");
    }

    private static final Map<String, Long> DUMMY = dummy();

    private static Map<String, Long> dummy() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("layer_1", 6L);
        m.put("layer_2", 10L);
        m.put("layer_3", 30L);
        m.put("layer_4", 2L);
        m.put("layer_5", 2L);
        return m;
    }

    // hub test 1
    @Test
    void singleShard() {
        StateDictSplit s = StateDicts.split(DUMMY, Long::longValue, v -> null, "file{suffix}.dummy", 100);
        assertThat(s.isSharded()).isFalse();
        assertThat(s.filenameToTensors()).containsExactly(
                Map.entry("file.dummy", List.of("layer_1", "layer_2", "layer_3", "layer_4", "layer_5")));
        assertThat(s.tensorToFilename()).hasSize(5).allSatisfy((k, v) -> assertThat(v).isEqualTo("file.dummy"));
        assertThat(s.metadata()).isEqualTo(Map.of("total_size", 50L));
    }

    // hub test 2 (and the worked example [6,10,30,2,2] max 10)
    @Test
    void multipleShards() {
        StateDictSplit s = StateDicts.split(DUMMY, Long::longValue, v -> null, "file{suffix}.dummy", 10);
        assertThat(s.isSharded()).isTrue();
        assertThat(s.filenameToTensors()).containsExactly(
                Map.entry("file-00001-of-00004.dummy", List.of("layer_1")),
                Map.entry("file-00002-of-00004.dummy", List.of("layer_3")),
                Map.entry("file-00003-of-00004.dummy", List.of("layer_2")),
                Map.entry("file-00004-of-00004.dummy", List.of("layer_4", "layer_5")));
        assertThat(s.tensorToFilename()).containsExactly(
                Map.entry("layer_1", "file-00001-of-00004.dummy"), Map.entry("layer_3", "file-00002-of-00004.dummy"),
                Map.entry("layer_2", "file-00003-of-00004.dummy"), Map.entry("layer_4", "file-00004-of-00004.dummy"),
                Map.entry("layer_5", "file-00004-of-00004.dummy"));
        assertThat(s.totalSize()).isEqualTo(50);
    }

    // hub test 3
    @Test
    void tensorSameStorage() {
        Map<String, long[]> sd = new LinkedHashMap<>();
        sd.put("layer_1", new long[] {1});
        sd.put("layer_2", new long[] {2});
        sd.put("layer_3", new long[] {1});
        sd.put("layer_4", new long[] {2});
        sd.put("layer_5", new long[] {1});
        StateDictSplit s = StateDicts.split(sd, v -> v[0], v -> v[0], "model{suffix}.safetensors", 1);
        assertThat(s.filenameToTensors()).containsExactly(
                Map.entry("model-00001-of-00002.safetensors", List.of("layer_2", "layer_4")),
                Map.entry("model-00002-of-00002.safetensors", List.of("layer_1", "layer_3", "layer_5")));
        assertThat(s.totalSize()).isEqualTo(3);
    }

    // hub test 4
    @Test
    void singleShardSkipsStringValues() {
        Map<String, Object> sd = new LinkedHashMap<>();
        sd.put("layer_1", 6L);
        sd.put("layer_2", 10L);
        sd.put("layer_3", "bnb string");
        StateDictSplit s = StateDicts.split(sd, v -> (Long) v, v -> null, "file{suffix}.dummy", 100);
        assertThat(s.filenameToTensors()).containsExactly(Map.entry("file.dummy", List.of("layer_1", "layer_2")));
        assertThat(s.totalSize()).isEqualTo(16);
    }

    // hub test 5 (storage size of a tensor is its storage's bytes, also for views)
    @Test
    void storageSize() {
        Tensor f64 = Tensor.of(MemorySegment.ofArray(new double[5]), DType.F64, 5);
        Tensor f16 = Tensor.of(MemorySegment.ofArray(new short[5]), DType.F16, 5);
        assertThat(f64.storageSize()).isEqualTo(40);
        assertThat(f16.storageSize()).isEqualTo(10);
        Tensor base = Tensor.of(MemorySegment.ofArray(new float[10]), DType.F32, 10);
        assertThat(base.narrow(0, 2, 3).storageSize()).isEqualTo(40);
        assertThat(StateDicts.storageId(base.narrow(0, 2, 3))).isEqualTo(StateDicts.storageId(base));
    }

    // hub test 20 (tensor-model equivalent of the subclass fixture: total 72 > 32 -> sharded, .bin pattern)
    @Test
    void splitTensorStateDictIntoShards() {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        Tensor t = Tensor.of(MemorySegment.ofArray(new double[5]), DType.F64, 5);
        sd.put("tensor_0", t);
        sd.put("tensor_1", Tensor.of(MemorySegment.ofArray(new float[8]), DType.F32, 8));
        StateDictSplit s = StateDicts.split(sd, "pytorch_model{suffix}.bin", 32);
        assertThat(s.isSharded()).isTrue();
        assertThat(s.totalSize()).isEqualTo(72);
        assertThat(s.filenames()).containsExactly("pytorch_model-00001-of-00002.bin", "pytorch_model-00002-of-00002.bin");
    }

    @Test
    void workedExamples() {
        Map<String, Long> a = new LinkedHashMap<>();
        a.put("a", 20L);
        a.put("b", 3L);
        a.put("c", 3L);
        assertThat(StateDicts.split(a, Long::longValue, v -> null, "m{suffix}", 10).filenameToTensors().values())
                .containsExactly(List.of("a"), List.of("b", "c"));
        Map<String, Long> b = new LinkedHashMap<>();
        b.put("a", 3L);
        b.put("b", 20L);
        b.put("c", 3L);
        assertThat(StateDicts.split(b, Long::longValue, v -> null, "m{suffix}", 10).filenameToTensors().values())
                .containsExactly(List.of("b"), List.of("a", "c"));
        Map<String, Long> exact = new LinkedHashMap<>();
        exact.put("a", 10L);
        exact.put("b", 0L);
        assertThat(StateDicts.split(exact, Long::longValue, v -> null, "m{suffix}", 10).isSharded()).isFalse();
        // max 0: zero-size fit together, every positive one gets its own shard
        Map<String, Long> zero = new LinkedHashMap<>();
        zero.put("z1", 0L);
        zero.put("p", 5L);
        zero.put("z2", 0L);
        assertThat(StateDicts.split(zero, Long::longValue, v -> null, "m{suffix}", 0).filenameToTensors().values())
                .containsExactly(List.of("p"), List.of("z1", "z2"));
        // headline docstring example: [6,6,2,6,2,2] with limit 10 -> [6], [6+2], [6+2+2]
        Map<String, Long> doc = new LinkedHashMap<>();
        long[] sizes = {6, 6, 2, 6, 2, 2};
        for (int i = 0; i < sizes.length; i++) {
            doc.put("t" + i, sizes[i]);
        }
        assertThat(StateDicts.split(doc, Long::longValue, v -> null, "m{suffix}", 10).filenameToTensors().values())
                .containsExactly(List.of("t0"), List.of("t1", "t2"), List.of("t3", "t4", "t5"));
    }

    // alias ordering [a, b, d, c]
    @Test
    void aliasesAppendedInGroupOrder() {
        Map<String, Integer> ids = new LinkedHashMap<>();
        ids.put("a", 1);
        ids.put("b", 5);
        ids.put("c", 5);
        ids.put("d", 1);
        StateDictSplit s = StateDicts.split(ids, v -> 1, v -> v, "model{suffix}.safetensors", 100);
        assertThat(s.filenameToTensors().get("model.safetensors")).containsExactly("a", "b", "d", "c");
        assertThat(s.totalSize()).isEqualTo(2);
    }

    @Test
    void emptyStateDict() {
        StateDictSplit s = StateDicts.split(Map.<String, Tensor>of(), 10);
        assertThat(s.filenameToTensors()).isEmpty();
        assertThat(s.tensorToFilename()).isEmpty();
        assertThat(s.totalSize()).isZero();
        assertThat(s.isSharded()).isFalse();
        Map<String, Object> strings = Map.of("x", "only a string");
        assertThat(StateDicts.split(strings, v -> 1, v -> null, "m{suffix}", 10).filenameToTensors()).isEmpty();
    }

    // DECISIONS 6
    @Test
    void patternWithoutSuffixOrWithOtherPlaceholdersIsRejected() {
        for (String bad : List.of("model.st", "model{suffix}{suffix}.st", "model{other}{suffix}.st",
                "model{}{suffix}", "{suffix}", "sub/model{suffix}.st", "model{suffix}.st}")) {
            assertThatThrownBy(() -> StateDicts.split(DUMMY, Long::longValue, v -> null, bad, 10)).as(bad)
                    .isInstanceOf(CheckpointException.class)
                    .extracting(e -> ((CheckpointException) e).reason())
                    .isEqualTo(CheckpointException.Reason.INVALID_PATTERN);
        }
        assertThatThrownBy(() -> StateDicts.split(DUMMY, Long::longValue, v -> null, "model.st", 10))
                .hasMessage("Invalid filename pattern 'model.st': it must contain '{suffix}' (without it every shard"
                        + " gets the same name)");
    }
}
