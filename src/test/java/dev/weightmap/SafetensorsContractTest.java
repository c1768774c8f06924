// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@link Weights} contract for single safetensors files written by the Rust {@code safetensors} crate. */
class SafetensorsContractTest extends WeightsContractTest {
    private static final List<String> FILES = List.of("all_dtypes.safetensors", "with_metadata.safetensors",
            "unicode_names.safetensors", "zero_size.safetensors", "scalars.safetensors");

    @Override
    String format() {
        return Weights.SAFETENSORS;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        Map<String, Object> expected = map(json(resource("safetensors/expected.json")));
        List<Fixture> out = new ArrayList<>();
        for (Map<String, Object> f : maps(expected.get("files"))) {
            String file = (String) f.get("file");
            if (FILES.contains(file)) {
                Object meta = f.get("metadata");
                out.add(new Fixture(file, resource("safetensors/" + file), OpenOptions.defaults(),
                        tensors(f), meta == null ? Map.of() : map(meta), 0));
            }
        }
        return out;
    }

    /** The crate's tensors in header order, which is the data order {@link Weights#tensorNames()} documents. */
    static List<ExpectedTensor> tensors(Map<String, Object> file) {
        long dataStart = number(file.get("data_start"));
        return maps(file.get("tensors")).stream().map(t -> new ExpectedTensor((String) t.get("name"),
                (String) t.get("dtype"), longs(t.get("shape")), (String) t.get("sha256"), null,
                dataStart + longs(t.get("data_offsets"))[0])).toList();
    }

    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return truncated(f.path(), dir.resolve(f.path().getFileName()), 1);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return Set.of("INCOMPLETE_BUFFER");
    }

    @Override
    List<String> wrongExtensions() {
        return List.of("", ".bin", ".pt", ".zip", ".dduf", ".gguf", ".index.json", ".json");
    }

    @Override
    List<String> ownExtensions() {
        return List.of(".safetensors");
    }
}
