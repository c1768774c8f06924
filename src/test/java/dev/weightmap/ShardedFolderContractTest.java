// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The {@link Weights} contract for sharded checkpoints opened through their folder: safetensors shards (found with
 * the default {@code safe = true}) and {@code .bin} shards (found with {@code safe = false}).
 */
class ShardedFolderContractTest extends WeightsContractTest {
    @Override
    String format() {
        return Weights.SHARDED;
    }

    /** Folder fixtures: the resource folder and its index. */
    private static final Map<String, String> FOLDERS = new TreeMap<>(Map.of(
            "safetensors/sharded", ShardedIndexContractTest.SAFETENSORS_INDEX,
            "torch/sharded", ShardedIndexContractTest.TORCH_INDEX,
            "hub/b_sharded/safetensors", ShardedIndexContractTest.HUB_SAFETENSORS_INDEX,
            "hub/b_sharded/bin", ShardedIndexContractTest.HUB_TORCH_INDEX));

    @Override
    List<Fixture> fixtures() throws IOException {
        List<Fixture> out = new ArrayList<>();
        for (Map.Entry<String, String> e : FOLDERS.entrySet()) {
            String folder = e.getKey();
            String index = e.getValue();
            OpenOptions options = ShardedIndexContractTest.torchShards(index) ? OpenOptions.defaults().withSafe(false)
                    : OpenOptions.defaults();
            out.add(ShardedIndexContractTest.fixture(index, folder, options));
        }
        return out;
    }

    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return ShardedIndexContractTest.damageSecondShard(f, FOLDERS.get(f.id()), dir);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return ShardedIndexContractTest.damageReasons(FOLDERS.get(f.id()));
    }

    /** The snapshot folder itself. */
    @Override
    Path inSnapshot(Fixture f, Path snapshot) {
        return snapshot;
    }

    @Override
    Path dataFile(Path copy) throws IOException {
        return ShardedIndexContractTest.secondShard(copy);
    }



    /** Folder names carry no format: a folder called {@code x.safetensors} is still a folder. */
    @Override
    List<String> wrongExtensions() {
        return List.of("", ".safetensors", ".bin", ".zip", ".index.json");
    }

    /** Garbage is never a folder: named like this format's index, it must fail as an index does. */
    @Override
    List<String> ownExtensions() {
        return List.of(".index.json");
    }
}
