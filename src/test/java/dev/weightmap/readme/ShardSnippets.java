// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.shard.Checkpoint;
import dev.weightmap.shard.Checkpoints;
import dev.weightmap.shard.LoadResult;
import dev.weightmap.shard.SaveOptions;
import dev.weightmap.shard.ShardSize;
import dev.weightmap.shard.StateDictProvider;
import dev.weightmap.shard.StateDictSplit;
import dev.weightmap.shard.StateDicts;
import dev.weightmap.tensor.Tensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The README's sharded checkpoint snippet, compiled. */
@SuppressWarnings("unused")
final class ShardSnippets {
    private ShardSnippets() {
    }

    static void tour(Map<String, Tensor> tensors, Path dir, StateDictProvider model) throws Exception {
        // README snippet begin
        // save: one file when it fits, else model-00001-of-0000N.safetensors + model.safetensors.index.json
        StateDicts.save(tensors, dir, SaveOptions.builder()
                .maxShardSize("2GB")                          // KB MB GB TB (decimal, as hub) or KiB MiB GiB TiB
                .metadata(Map.of("producer", "me"))
                .sharedTensorsToDiscard(List.of("lm_head.weight"))
                .build());

        // plan only (hub's split_torch_state_dict_into_shards)
        StateDictSplit plan = StateDicts.split(tensors, "model{suffix}.safetensors", ShardSize.parse("5GB"));
        plan.filenameToTensors();   // {"model-00001-of-00002.safetensors": [...], ...}

        // load: a folder (hub 2.0's rules: index first, else one file), an index file, or one file
        try (Checkpoint ckpt = Checkpoints.open(dir)) {
            Tensor w = ckpt.tensor("model.embed_tokens.weight");   // zero-copy view into its shard's mapping
            Path where = ckpt.fileOf("model.embed_tokens.weight");
            LoadResult r = ckpt.loadInto(model, true);              // global strict key check, then copy
        }
        // README snippet end
    }
}
