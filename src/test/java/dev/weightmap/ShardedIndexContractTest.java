// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@link Weights} contract for sharded checkpoints opened through their index file: safetensors shards
 * written by the Rust crate, {@code .bin} shards written by {@code torch.save}.
 */
class ShardedIndexContractTest extends WeightsContractTest {
    static final String SAFETENSORS_INDEX = "safetensors/sharded/model.safetensors.index.json";
    static final String TORCH_INDEX = "torch/sharded/pytorch_model.bin.index.json";
    static final String HUB_SAFETENSORS_INDEX = "hub/b_sharded/safetensors/model.safetensors.index.json";
    static final String HUB_TORCH_INDEX = "hub/b_sharded/bin/pytorch_model.bin.index.json";

    @Override
    String format() {
        return Weights.SHARDED;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        return List.of(fixture(SAFETENSORS_INDEX, SAFETENSORS_INDEX, OpenOptions.defaults()),
                fixture(TORCH_INDEX, TORCH_INDEX, OpenOptions.defaults()),
                fixture(HUB_SAFETENSORS_INDEX, HUB_SAFETENSORS_INDEX, OpenOptions.defaults()),
                fixture(HUB_TORCH_INDEX, HUB_TORCH_INDEX, OpenOptions.defaults()));
    }

    /**
     * What the shards' writer recorded about each shard of the checkpoint through {@code index}, by shard file
     * name, in the writer's {@code expected.json} schema (safetensors or torch).
     */
    static Map<String, Map<String, Object>> shards(String index) throws IOException {
        String folder = index.substring(0, index.lastIndexOf('/'));
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        List<Map<String, Object>> files;
        if (index.startsWith("hub/")) { // huggingface_hub 2.0's save_torch_state_dict: one case per folder
            String caseDir = folder.substring("hub/".length());
            Map<String, Object> c = maps(map(json(resource("hub/expected.json"))).get("cases")).stream()
                    .filter(x -> caseDir.equals(x.get("dir"))).findFirst().orElseThrow();
            files = maps(c.get(c.containsKey("torch") ? "torch" : "safetensors"));
        } else {
            String dir = index.substring(0, index.indexOf('/'));
            files = maps(map(json(resource(dir + "/expected.json"))).get("files"));
        }
        String prefix = folder.substring(folder.indexOf('/') + 1) + "/";
        for (Map<String, Object> f : files) {
            String file = (String) f.get("file");
            if (file.startsWith(prefix) && file.indexOf('/', prefix.length()) < 0) {
                out.put(file.substring(prefix.length()), f);
            }
        }
        return out;
    }

    static boolean torchShards(String index) {
        return index.contains("pytorch_model");
    }

    /**
     * A checkpoint through {@code index}, opened at {@code open} (the index or its folder): tensors in the index's
     * {@code weight_map} order, each as the shard's writer recorded it; metadata the index's {@code metadata}.
     */
    static Fixture fixture(String index, String open, OpenOptions options) throws IOException {
        Map<String, ExpectedTensor> byName = new HashMap<>();
        int checksums = 0;
        boolean torch = torchShards(index);
        for (Map.Entry<String, Map<String, Object>> shard : shards(index).entrySet()) {
            Map<String, Object> f = shard.getValue();
            List<ExpectedTensor> tensors = torch ? TorchContractTest.tensors(f) : SafetensorsContractTest.tensors(f);
            tensors.forEach(t -> byName.put(t.name(), t.in(shard.getKey())));
            checksums += torch ? TorchContractTest.checksums(f) : 0;
        }
        Map<String, Object> json = map(json(resource(index)));
        List<ExpectedTensor> tensors = new ArrayList<>();
        for (String name : map(json.get("weight_map")).keySet()) {
            tensors.add(byName.get(name));
        }
        assertThat(tensors).as(index).doesNotContainNull().hasSameSizeAs(byName.keySet());
        return new Fixture(open, resource(open), options, tensors, map(json.get("metadata")), checksums);
    }

    /**
     * Damages the second shard of a copy of the checkpoint folder: safetensors shards are cut short (they record
     * no checksums), a byte of a torch shard's storage is flipped (its record CRC-32 tells).
     *
     * @param f     the fixture
     * @param index the fixture's index file (a resource name)
     * @param dir   the folder to copy into
     * @return the copy's index file, or the copied folder for a folder fixture
     * @throws IOException when copying fails
     */
    static Path damageSecondShard(Fixture f, String index, Path dir) throws IOException {
        Path folder = Files.isDirectory(f.path()) ? f.path() : f.path().getParent();
        Path copy = dir.resolve("checkpoint");
        copyTree(folder, copy);
        Map.Entry<String, Map<String, Object>> second = shards(index).entrySet().stream()
                .filter(e -> e.getKey().contains("-00002-of-")).findFirst().orElseThrow();
        Path p = copy.resolve(second.getKey());
        Files.delete(p);
        if (torchShards(index)) {
            flipByte(folder.resolve(second.getKey()), p, TorchContractTest.firstStorageOffset(second.getValue()));
        } else {
            truncated(folder.resolve(second.getKey()), p, 1);
        }
        return Files.isDirectory(f.path()) ? copy : copy.resolve(f.path().getFileName().toString());
    }

    /** The second shard of the copied checkpoint. */
    static Path secondShard(Path copy) throws IOException {
        Path folder = Files.isDirectory(copy) ? copy : copy.getParent();
        try (Stream<Path> files = Files.list(folder)) {
            return files.filter(p -> p.getFileName().toString().contains("-00002-of-")).findFirst().orElseThrow();
        }
    }

    @Override
    Path dataFile(Path copy) throws IOException {
        return secondShard(copy);
    }

    static Set<String> damageReasons(String index) {
        return torchShards(index) ? Set.of("CORRUPT_ARCHIVE") : Set.of("INCOMPLETE_BUFFER");
    }

    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return damageSecondShard(f, f.id(), dir);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return damageReasons(f.id());
    }

    /** The index renamed inside a copy of its folder (the shards keep their names). */
    @Override
    Path copyAs(Fixture f, Path dir, String name) throws IOException {
        Path copy = dir.resolve("checkpoint");
        copyTree(f.path().getParent(), copy);
        return Files.move(copy.resolve(f.path().getFileName().toString()), copy.resolve(name));
    }



    @Override
    List<String> wrongExtensions() {
        return List.of("", ".json", ".safetensors", ".bin", ".zip", ".dduf");
    }

    @Override
    List<String> ownExtensions() {
        return List.of(".index.json");
    }
}
