// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rebuilds the hub fixtures' input state dicts (expected.json {@code inputs}) from the bytes of the files the hub
 * wrote: every tensor of {@code base} is in {@code a_unsharded/safetensors/model.safetensors}; {@code tied} has
 * {@code lm_head.weight} as the very same tensor as {@code embed.weight}. Each tensor gets its own heap storage.
 */
final class HubInputs {
    private HubInputs() {
    }

    @SuppressWarnings("unchecked")
    static Map<String, Tensor> load(String input, Path scratch) throws IOException {
        Map<String, Object> expected = Fixtures.json("hub/expected.json");
        Map<String, Object> in = (Map<String, Object>) ((Map<String, Object>) expected.get("inputs")).get(input);
        Path file = Fixtures.copy("hub/a_unsharded/safetensors/model.safetensors", Files.createTempDirectory(scratch, "in"));
        Map<String, Tensor> out = new LinkedHashMap<>();
        Map<String, Tensor> byStorage = new LinkedHashMap<>();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (Object o : (List<Object>) in.get("tensors")) {
                Map<String, Object> t = (Map<String, Object>) o;
                String name = (String) t.get("name");
                String storage = (String) t.get("storage");
                Tensor shared = byStorage.get(storage);
                if (shared != null) {
                    out.put(name, shared);
                    continue;
                }
                Tensor src = f.tensor(name);
                byte[] copy = src.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
                Tensor t2 = Tensor.of(MemorySegment.ofArray(copy), DType.fromHeaderName((String) t.get("dtype")),
                        src.shape());
                out.put(name, t2);
                byStorage.put(storage, t2);
            }
        }
        return out;
    }
}
