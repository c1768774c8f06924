// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.StorageId;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Every checkpoint torch 1.13 and torch 2.13 wrote in the fixtures reads as expected.json describes. */
class TorchFixturesTest {

    static Path fixture(String rel) {
        try {
            return Path.of(TorchFixturesTest.class.getResource("/fixtures/" + rel).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> files(String dir) throws IOException {
        Map<String, Object> e = (Map<String, Object>) JsonReader.parse(Files.readAllBytes(fixture(dir + "/expected.json")));
        return (List<Map<String, Object>>) e.get("files");
    }

    static String sha256(Tensor t) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (OutputStream os = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
                t.writeTo(Channels.newChannel(os));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static long[] longs(Object o) {
        return ((List<?>) o).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    @TestFactory
    List<DynamicTest> everyFixtureMatchesExpectedJson() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String dir : List.of("torch", "torch2")) {
            for (Map<String, Object> f : files(dir)) {
                String file = (String) f.get("file");
                tests.add(DynamicTest.dynamicTest(dir + "/" + file, () -> check(dir, f)));
            }
        }
        return tests;
    }

    @SuppressWarnings("unchecked")
    private void check(String dir, Map<String, Object> f) throws IOException {
        Path p = fixture(dir + "/" + f.get("file"));
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(p)) {
            assertThat(ckpt.container().name().toLowerCase()).isEqualTo(f.get("format"));
            if ("zip".equals(f.get("format"))) {
                assertThat(ckpt.zipPrefix()).isEqualTo(f.get("zip_prefix"));
                for (Map<String, Object> r : (List<Map<String, Object>>) f.get("records")) {
                    TorchCheckpoint.Record rec = ckpt.records().stream().filter(x -> x.name().equals(r.get("name")))
                            .findFirst().orElseThrow();
                    assertThat(rec.dataOffset()).isEqualTo(((Number) r.get("data_offset")).longValue());
                    assertThat(rec.length()).isEqualTo(((Number) r.get("length")).longValue());
                }
                assertThat(ckpt.version()).isEqualTo(3);
            }
            for (Map<String, Object> s : (List<Map<String, Object>>) f.get("storages")) {
                TorchCheckpoint.Storage st = ckpt.storages().get((String) s.get("key"));
                assertThat(st).as("storage %s", s.get("key")).isNotNull();
                assertThat(st.storageType()).endsWith((String) s.get("storage_type"));
                assertThat(st.numel()).isEqualTo(((Number) s.get("numel")).longValue());
                assertThat((long) st.elementSize()).isEqualTo(((Number) s.get("element_size")).longValue());
                assertThat(st.dataOffset()).isEqualTo(((Number) s.get("data_offset")).longValue());
                assertThat(st.location()).isEqualTo(s.get("location"));
                assertThat(sha256(Tensor.of(st.segment(), dev.weightmap.tensor.DType.U8, st.segment().byteSize())))
                        .isEqualTo(s.get("sha256"));
            }
            Map<String, TorchCheckpoint.TensorEntry> entries = ckpt.entries();
            List<Map<String, Object>> expected = (List<Map<String, Object>>) f.get("tensors");
            assertThat(entries.keySet()).containsExactlyElementsOf(
                    expected.stream().map(t -> (String) t.get("name")).toList());
            for (Map<String, Object> t : expected) {
                String name = (String) t.get("name");
                TorchCheckpoint.TensorEntry e = entries.get(name);
                Tensor x = e.tensor();
                assertThat(e.torchDtype()).as(name).isEqualTo(t.get("torch_dtype"));
                assertThat(e.storageKey()).as(name).isEqualTo(t.get("storage_key"));
                assertThat(e.parameter()).as(name).isEqualTo(t.get("is_parameter"));
                assertThat(e.requiresGrad()).as(name).isEqualTo(t.get("requires_grad"));
                if (t.containsKey("safetensors_as")) {
                    Map<String, Object> as = (Map<String, Object>) t.get("safetensors_as");
                    assertThat(x.dtype().headerName()).isEqualTo(as.get("dtype"));
                    assertThat(x.shape()).isEqualTo(longs(as.get("shape")));
                } else {
                    String dt = (String) t.get("dtype");
                    assertThat(x.dtype().headerName()).as(name).isEqualTo(dt == null ? "C128" : dt);
                    assertThat(x.shape()).as(name).isEqualTo(longs(t.get("shape")));
                    assertThat(x.strides()).as(name).isEqualTo(longs(t.get("stride")));
                    assertThat(x.storageOffset()).as(name).isEqualTo(((Number) t.get("storage_offset")).longValue());
                    assertThat(x.isContiguous()).as(name).isEqualTo(t.get("contiguous"));
                }
                assertThat(x.byteLength()).as(name).isEqualTo(((Number) t.get("nbytes")).longValue());
                assertThat(sha256(x)).as(name).isEqualTo(t.get("sha256"));
                TorchCheckpoint.Storage st = ckpt.storages().get(e.storageKey());
                assertThat(e.fileOffset()).isEqualTo(st.dataOffset() + x.dataStartByte());
                assertThat(x.storage().address()).isEqualTo(st.segment().address());
            }
            if (f.get("shared_storages") instanceof Map<?, ?> shared) {
                Map<StorageId, List<String>> byStorage = StorageAliasing.sharedStorages(ckpt.stateDict());
                Set<Set<String>> groups = byStorage.values().stream().map(Set::copyOf).collect(Collectors.toSet());
                for (Object names : shared.values()) {
                    assertThat(groups).contains(Set.copyOf((List<String>) names));
                }
            }
            if (f.get("ordered_dict_metadata") instanceof Map<?, ?> meta) {
                assertThat(ckpt.rootAttributes().get("_metadata")).isEqualTo(meta);
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void nestedCheckpointValues() throws IOException {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("torch/nested_checkpoint.pt"))) {
            Map<Object, Object> root = (Map<Object, Object>) ckpt.root();
            assertThat(root.get("epoch")).isEqualTo(7L);
            assertThat(root.get("name")).isEqualTo("tiny-ckpt");
            assertThat(root.get("lr")).isEqualTo(0.001);
            assertThat((List<Object>) root.get("betas")).containsExactly(0.9, 0.999);
            assertThat((List<Object>) root.get("flags")).containsExactly(true, false, null);
            Map<Object, Object> opt = (Map<Object, Object>) root.get("optimizer");
            Map<Object, Object> state = (Map<Object, Object>) opt.get("state");
            assertThat(state).containsKey(0L);
            assertThat(((Map<Object, Object>) state.get(0L)).get("exp_avg")).isInstanceOf(Tensor.class);
            assertThat(ckpt.stateDict()).containsKey("optimizer/state/0/exp_avg");
        }
    }

    @Test
    void tiedWeightsShareOneStorageSegment() throws IOException {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(fixture("torch/tied_weights.pt"))) {
            Map<String, Tensor> sd = ckpt.stateDict();
            assertThat(sd.get("embed.weight")).isSameAs(sd.get("lm_head.weight"));
            assertThat(sd.get("embed.row3").storageId()).isEqualTo(sd.get("embed.weight").storageId());
            assertThat(StorageAliasing.sameView(sd.get("embed.weight"), sd.get("lm_head.weight"))).isTrue();
        }
    }

    static byte[] bytes(String rel) throws IOException {
        try (InputStream in = Files.newInputStream(fixture(rel))) {
            return in.readAllBytes();
        }
    }
}
