// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@link Weights} contract for zip checkpoints written by {@code torch.save} (torch 1.13 and 2.13). */
class TorchContractTest extends WeightsContractTest {
    private static final List<String> FILES = List.of("torch/state_dict_dtypes.pt", "torch/module_state_dict.pt",
            "torch/noncontiguous.pt", "torch/tied_weights.pt", "torch/nested_checkpoint.pt",
            "torch/scalars_and_empty.pt", "torch2/new_dtypes.pt", "torch2/strided_views.pt", "torch2/tied_weights.pt",
            "torch2/pickle_protocol4.pt");

    @Override
    String format() {
        return Weights.TORCH;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        return fixtures(FILES);
    }

    static List<Fixture> fixtures(List<String> ids) throws IOException {
        List<Fixture> out = new ArrayList<>();
        for (String dir : List.of("torch", "torch2")) {
            for (Map<String, Object> f : maps(map(json(resource(dir + "/expected.json"))).get("files"))) {
                String id = dir + "/" + f.get("file");
                if (ids.contains(id)) {
                    out.add(new Fixture(id, resource(id), OpenOptions.defaults(), tensors(f), metadata(f),
                            checksums(f)));
                }
            }
        }
        return out;
    }

    /** Pickle order (the dict's keys, nested paths joined with {@code /}), as torch recorded them. */
    static List<ExpectedTensor> tensors(Map<String, Object> file) {
        Map<String, Map<String, Object>> storages = new LinkedHashMap<>();
        maps(file.get("storages")).forEach(s -> storages.put((String) s.get("key"), s));
        List<ExpectedTensor> out = new ArrayList<>();
        for (Map<String, Object> t : maps(file.get("tensors"))) {
            Map<String, Object> storage = storages.get((String) t.get("storage_key"));
            long numel = java.util.Arrays.stream(longs(t.get("shape"))).reduce(1, Math::multiplyExact);
            long elementSize = numel > 0 ? number(t.get("nbytes")) / numel : number(storage.get("element_size"));
            // storage_offset counts the tensor's elements (torch 2 keeps new dtypes in byte-typed storages)
            long offset = number(storage.get("data_offset")) + number(t.get("storage_offset")) * elementSize;
            String dtype = (String) t.get("dtype");
            long[] shape = longs(t.get("shape"));
            if (t.get("safetensors_as") instanceof Map<?, ?> as) { // float4_e2m1fn_x2: two F4 values per element
                dtype = (String) as.get("dtype");
                shape = longs(as.get("shape"));
            }
            out.add(new ExpectedTensor((String) t.get("name"), dtype == null ? "C128" : dtype, shape,
                    (String) t.get("sha256"), null, offset));
        }
        return out;
    }

    /** The attributes a pickle BUILD set on the root dict: {@code _metadata} of {@code Module.state_dict()}. */
    static Map<String, Object> metadata(Map<String, Object> file) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (file.get("ordered_dict_metadata") != null) {
            m.put("_metadata", file.get("ordered_dict_metadata"));
        }
        return m;
    }

    /** The zip records whose CRC-32 torch wrote (none for the legacy format). */
    static int checksums(Map<String, Object> file) {
        if (!(file.get("records") instanceof List<?> records)) {
            return 0;
        }
        return (int) maps(records).stream().filter(r -> !"00000000".equals(r.get("crc32"))).count();
    }

    /** The record offset of the first non-empty storage. */
    static long firstStorageOffset(Map<String, Object> file) {
        return number(maps(file.get("storages")).stream().filter(s -> number(s.get("nbytes")) > 0).findFirst()
                .orElseThrow().get("data_offset"));
    }

    static Map<String, Object> expected(String id) throws IOException {
        String dir = id.substring(0, id.indexOf('/'));
        String file = id.substring(dir.length() + 1);
        return maps(map(json(resource(dir + "/expected.json"))).get("files")).stream()
                .filter(f -> f.get("file").equals(file)).findFirst().orElseThrow();
    }

    /** A byte flipped in a storage: only the record's CRC-32 tells. */
    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return flipByte(f.path(), dir.resolve(f.path().getFileName()), firstStorageOffset(expected(f.id())));
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return Set.of("CORRUPT_ARCHIVE");
    }

    @Override
    List<String> wrongExtensions() {
        return List.of("", ".safetensors", ".zip", ".dduf", ".gguf", ".index.json");
    }

    @Override
    List<String> ownExtensions() {
        return List.of(".pt", ".bin", ".pth");
    }
}
