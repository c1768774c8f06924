// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The {@link Weights} contract for sharded checkpoints opened through their folder: safetensors shards (found with
 * the default {@code safe = true}) and {@code .bin} shards (found with {@code safe = false}).
 */
class ShardedFolderContractTest extends WeightsContractTest {
    @Override
    String format() {
        return Weights.SHARDED;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        return List.of(ShardedIndexContractTest.fixture(ShardedIndexContractTest.SAFETENSORS_INDEX,
                        "safetensors/sharded", OpenOptions.defaults()),
                ShardedIndexContractTest.fixture(ShardedIndexContractTest.TORCH_INDEX, "torch/sharded",
                        OpenOptions.defaults().withSafe(false)));
    }

    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return ShardedIndexContractTest.damageSecondShard(f, dir);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return ShardedIndexContractTest.damageReasons(f);
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
