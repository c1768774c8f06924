// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.TensorLocation;
import dev.weightmap.Weights;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.weightmap.gguf.GgufTestSupport.expectedFile;
import static dev.weightmap.gguf.GgufTestSupport.fixtures;
import static dev.weightmap.gguf.GgufTestSupport.same;
import static dev.weightmap.gguf.GgufTestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;

/** Every gguf-py-made fixture reads with the header, metadata and tensor infos its expected.json records. */
class GgufFixturesTest {
    @ParameterizedTest
    @ValueSource(strings = {"tiny_llama_f32.gguf", "all_types.gguf", "kquants.gguf", "metadata_types.gguf",
            "alignment_64.gguf", "zero_tensors.gguf", "odd_shapes.gguf"})
    @SuppressWarnings("unchecked")
    void fixtureMatchesExpected(String file) throws Exception {
        Map<String, Object> exp = expectedFile(file);
        try (GgufFile g = GgufFile.open(fixtures().resolve(file))) {
            assertThat(g.segment().byteSize()).isEqualTo((Long) exp.get("size"));
            assertThat(g.version()).isEqualTo(((Long) exp.get("version")).intValue());
            assertThat(g.alignment()).isEqualTo((Long) exp.get("alignment"));
            assertThat(g.dataOffset()).isEqualTo((Long) exp.get("data_offset"));
            assertThat(g.metadata()).hasSize(((Long) exp.get("kv_count")).intValue());
            assertThat((long) g.infos().size()).isEqualTo((Long) exp.get("tensor_count"));

            Map<String, Object> md = (Map<String, Object>) exp.get("metadata");
            assertThat(new ArrayList<>(g.metadata().keySet())).containsExactlyElementsOf(md.keySet());
            for (Map.Entry<String, Object> e : md.entrySet()) {
                Map<String, Object> v = (Map<String, Object>) e.getValue();
                String key = e.getKey();
                assertThat(g.type(key).name()).as(key).isEqualTo(v.get("type"));
                Object actual = g.value(key);
                if (v.get("type").equals("ARRAY")) {
                    GgufArray a = (GgufArray) actual;
                    assertThat(a.elementType().name()).as(key).isEqualTo(v.get("element_type"));
                    assertThat(a.size()).as(key).isEqualTo((Long) v.get("length"));
                    List<Object> first = (List<Object>) v.get("first");
                    for (int i = 0; i < first.size(); i++) {
                        assertThat(same(a.get(i), first.get(i))).as(key + "[" + i + "] = " + a.get(i)).isTrue();
                    }
                    if (v.containsKey("inner_element_type")) {
                        assertThat(a.getArray(0).elementType().name()).isIn(v.get("inner_element_type"), "ARRAY");
                    }
                    assertThat(a.stream().count()).isEqualTo(a.size());
                } else {
                    assertThat(same(actual, v.get("value"))).as(key + " = " + actual).isTrue();
                }
            }

            List<Object> tensors = (List<Object>) exp.get("tensors");
            assertThat(g.tensorNames()).containsExactlyElementsOf(
                    tensors.stream().map(t -> (String) ((Map<String, Object>) t).get("name")).toList());
            for (Object o : tensors) {
                Map<String, Object> t = (Map<String, Object>) o;
                String name = (String) t.get("name");
                GgufTensorInfo info = g.info(name);
                assertThat(info.type().name()).as(name).isEqualTo(t.get("dtype"));
                assertThat((long) info.type().id()).isEqualTo((Long) t.get("type_id"));
                assertThat(info.ne()).isEqualTo(longs(t.get("ne")));
                assertThat(info.shape()).isEqualTo(longs(t.get("shape")));
                assertThat(info.offset()).isEqualTo((Long) t.get("offset"));
                assertThat(info.relativeOffset()).isEqualTo((Long) t.get("relative_offset"));
                assertThat(info.length()).isEqualTo((Long) t.get("length"));
                assertThat(sha256(g.raw(name))).as(name).isEqualTo(t.get("sha256"));
                Tensor view = g.tensor(name);
                assertThat(view.byteLength()).isEqualTo(info.length());
                assertThat(view.data().address()).isEqualTo(g.segment().address() + info.offset()); // zero-copy
                if (!info.type().isQuantized()) {
                    assertThat(view.dtype()).isEqualTo(info.type().dtype());
                    assertThat(view.shape()).isEqualTo(info.shape());
                } else {
                    assertThat(view.dtype()).isEqualTo(DType.U8);
                }
            }
            assertThat(g.verify().checks()).contains("GGUF records no checksums");
        }
    }

    private static long[] longs(Object list) {
        return ((List<?>) list).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    @Test
    void frontDoorOpensGgufWhateverItsName(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path renamed = tmp.resolve("weights.bin");
        Files.copy(fixtures().resolve("tiny_llama_f32.gguf"), renamed);
        assertThat(Weights.detect(renamed)).isEqualTo("gguf");
        try (Weights w = Weights.open(renamed)) {
            assertThat(w).isInstanceOf(GgufFile.class);
            assertThat(w.format()).isEqualTo("gguf");
            assertThat(w.tensorNames()).hasSize(22);
            TensorLocation l = w.locations().get(0);
            assertThat(l.extras()).containsKeys("ggml_type", "ne");
            assertThat(w.files()).containsExactly(renamed);
        }
    }

    @Test
    void typedGettersOfTheLlamaFixture() throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("tiny_llama_f32.gguf"))) {
            assertThat(g.architecture()).contains("llama");
            assertThat(g.archInteger("block_count")).isPresent();
            GgufArray tokens = g.tokens().orElseThrow();
            assertThat(tokens.size()).isEqualTo(1000);
            assertThat(tokens.getString(999)).isEqualTo(tokens.stream().skip(999).findFirst().orElseThrow());
            assertThat(g.parameterCounts().keySet()).containsExactlyInAnyOrder(GgmlType.F32, GgmlType.F16);
            assertThat(g.bitsPerWeight()).isBetween(16.0, 32.0);
        }
    }

    @Test
    void unsigned64AndNestedArraysAreExact() throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("metadata_types.gguf"))) {
            assertThat(g.value("test.u64")).hasToString("18446744073709551615");
            assertThat(g.integer("test.u64_above_2p53")).isEqualTo(9007199254740993L);
            GgufArray nested = g.array("test.arr.nested_depth3");
            assertThat(nested.toList(16)).isEqualTo(List.of(List.of(List.of(1)), List.of(List.of(2, 3), List.of(4))));
            assertThat(g.string("test.string_nul")).isEqualTo("nul\u0000inside");
        }
    }

    @Test
    void opensInACallersArena() throws Exception {
        try (Arena arena = Arena.ofConfined()) {
            GgufFile g = GgufFile.open(fixtures().resolve("alignment_64.gguf"), arena);
            g.close();
            assertThat(g.isOpen()).isFalse();
        }
    }
}
