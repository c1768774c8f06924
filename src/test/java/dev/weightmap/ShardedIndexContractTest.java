// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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

    @Override
    String format() {
        return Weights.SHARDED;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        return List.of(fixture(SAFETENSORS_INDEX, SAFETENSORS_INDEX, OpenOptions.defaults()),
                fixture(TORCH_INDEX, TORCH_INDEX, OpenOptions.defaults()));
    }

    /**
     * A checkpoint through {@code index}, opened at {@code open} (the index or its folder): tensors in the index's
     * {@code weight_map} order, each as the shard's writer recorded it; metadata the index's {@code metadata}.
     */
    static Fixture fixture(String index, String open, OpenOptions options) throws IOException {
        String dir = index.substring(0, index.indexOf('/'));
        Map<String, Object> expected = map(json(resource(dir + "/expected.json")));
        Map<String, ExpectedTensor> byName = new HashMap<>();
        int checksums = 0;
        for (Map<String, Object> f : maps(expected.get("files"))) {
            if (!((String) f.get("file")).startsWith("sharded/")) {
                continue;
            }
            List<ExpectedTensor> tensors = dir.equals("torch") ? TorchContractTest.tensors(f)
                    : SafetensorsContractTest.tensors(f);
            String shard = ((String) f.get("file")).substring("sharded/".length());
            tensors.forEach(t -> byName.put(t.name(), t.in(shard)));
            checksums += dir.equals("torch") ? TorchContractTest.checksums(f) : 0;
        }
        Map<String, Object> json = map(json(resource(index)));
        List<ExpectedTensor> tensors = new ArrayList<>();
        for (String name : map(json.get("weight_map")).keySet()) {
            tensors.add(byName.get(name));
        }
        assertThat(tensors).as(index).doesNotContainNull().hasSameSizeAs(byName.keySet());
        Map<String, Object> metadata = map(json.get("metadata"));
        assertThat(metadata.get("total_size")).as(index)
                .isEqualTo(maps(expected.get("indexes")).get(0).get("total_size"));
        return new Fixture(open, resource(open), options, tensors, metadata, checksums);
    }

    /**
     * Damages the second shard of a copy of the checkpoint folder: safetensors shards are cut short (they record
     * no checksums), a byte of a torch shard's storage is flipped (its record CRC-32 tells).
     *
     * @param f    the fixture
     * @param dir  the folder to copy into
     * @return the copy's index file
     * @throws IOException when copying fails
     */
    static Path damageSecondShard(Fixture f, Path dir) throws IOException {
        Path folder = Files.isDirectory(f.path()) ? f.path() : f.path().getParent();
        Path copy = dir.resolve("checkpoint");
        copyTree(folder, copy);
        if (f.id().startsWith("torch/")) {
            String shard = "pytorch_model-00002-of-00002.bin";
            long at = TorchContractTest.firstStorageOffset(TorchContractTest.expected("torch/sharded/" + shard));
            Path p = copy.resolve(shard);
            Files.delete(p);
            flipByte(folder.resolve(shard), p, at);
        } else {
            String shard = "model-00002-of-00003.safetensors";
            Path p = copy.resolve(shard);
            Files.delete(p);
            truncated(folder.resolve(shard), p, 1);
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

    static Set<String> damageReasons(Fixture f) {
        return f.id().startsWith("torch/") ? Set.of("CORRUPT_ARCHIVE") : Set.of("INCOMPLETE_BUFFER");
    }

    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return damageSecondShard(f, dir);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return damageReasons(f);
    }

    /** The index renamed inside a copy of its folder (the shards keep their names). */
    @Override
    Path copyAs(Fixture f, Path dir, String name) throws IOException {
        Path copy = dir.resolve("checkpoint");
        copyTree(f.path().getParent(), copy);
        return Files.move(copy.resolve(f.path().getFileName().toString()), copy.resolve(name));
    }

    /** {@code shard.Checkpoints} maps every shard into an arena of its own making, whatever the options say. */
    @Override
    boolean honoursCallersArena() {
        return false;
    }

    /** {@code shard.Checkpoints} resolves shards against the index's absolute folder. */
    @Override
    boolean keepsPathsAsGiven() {
        return false;
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
