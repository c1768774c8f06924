// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.internal.json.JsonReader;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The {@link Weights} contract for DDUF archives written by huggingface_hub 1.x and 2.0.0. */
class DdufContractTest extends WeightsContractTest {
    private static final List<String> FILES = List.of("dduf/pipeline-folder.dduf", "dduf/pipeline-entries.dduf",
            "dduf2/pipeline-folder.dduf", "dduf2/pipeline-entries.dduf");

    @Override
    String format() {
        return Weights.DDUF;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        List<Fixture> out = new ArrayList<>();
        for (String dir : List.of("dduf", "dduf2")) {
            for (Map<String, Object> f : maps(map(json(resource(dir + "/expected.json"))).get("files"))) {
                String id = dir + "/" + f.get("file");
                if (FILES.contains(id)) {
                    out.add(fixture(id, f));
                }
            }
        }
        return out;
    }

    /**
     * Tensors named {@code entry::tensor}, entries in central-directory order and each entry's tensors in data
     * order; metadata is the archive's {@code model_index.json}, read at the offsets the exporter recorded.
     */
    private static Fixture fixture(String id, Map<String, Object> f) throws IOException {
        Path path = resource(id);
        List<Map<String, Object>> entries = maps(f.get("entries"));
        List<String> entryOrder = entries.stream().map(e -> (String) e.get("name")).toList();
        List<Map<String, Object>> tensors = new ArrayList<>(maps(f.get("tensors")));
        tensors.sort(Comparator.<Map<String, Object>>comparingInt(t -> entryOrder.indexOf((String) t.get("entry")))
                .thenComparingLong(t -> longs(t.get("data_offsets"))[0]));
        List<ExpectedTensor> expected = tensors.stream().map(t -> new ExpectedTensor(t.get("entry") + "::"
                + t.get("name"), (String) t.get("dtype"), longs(t.get("shape")), (String) t.get("sha256"), null,
                number(t.get("archive_offset")))).toList();
        Map<String, Object> index = entries.stream().filter(e -> e.get("name").equals("model_index.json"))
                .findFirst().orElseThrow();
        byte[] archive = Files.readAllBytes(path);
        int from = (int) number(index.get("data_offset"));
        byte[] text = Arrays.copyOfRange(archive, from, from + (int) number(index.get("length")));
        return new Fixture(id, path, OpenOptions.defaults(), expected, map(JsonReader.parse(text)), entries.size());
    }

    /** A byte flipped in the first non-empty tensor: only the entry's CRC-32 tells. */
    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        String dirName = f.id().substring(0, f.id().indexOf('/'));
        Map<String, Object> file = maps(map(json(resource(dirName + "/expected.json"))).get("files")).stream()
                .filter(x -> f.id().endsWith("/" + x.get("file"))).findFirst().orElseThrow();
        Map<String, Object> t = maps(file.get("tensors")).stream().filter(x -> number(x.get("nbytes")) > 0)
                .findFirst().orElseThrow();
        return flipByte(f.path(), dir.resolve(f.path().getFileName()), number(t.get("archive_offset")));
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return Set.of("DDUF_CORRUPTED");
    }

    @Override
    List<String> wrongExtensions() {
        return List.of("", ".zip", ".safetensors", ".pt", ".bin", ".gguf", ".index.json");
    }

    @Override
    List<String> ownExtensions() {
        return List.of(".dduf");
    }
}
