// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufPrefix;
import dev.weightmap.remote.RemoteOptions;
import dev.weightmap.remote.RemoteWeights;
import dev.weightmap.remote.ShardedHeader;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.SafetensorsHeader;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The README's remote-weights snippet, compiled. */
@SuppressWarnings("unused")
final class RemoteSnippets {
    private RemoteSnippets() {
    }

    static void tour(int rank, int worldSize) throws Exception {
        // README snippet begin
        // a Hub resolve URL: the Hub redirects to its CDN; HF_TOKEN (or withToken) is sent to huggingface.co only
        URI hub = URI.create("https://huggingface.co/org/model/resolve/main/model.safetensors.index.json");
        try (RemoteWeights w = Weights.open(hub); Arena arena = Arena.ofShared()) {
            long params = w.parameterCount();                             // from the headers alone
            Tensor t = w.tensor("lm_head.weight", arena);                 // the whole tensor, into the caller's arena
            Tensor part = w.shard("model.layers.0.mlp.up_proj.weight", 0, rank, worldSize, arena); // rank's rows only
            Tensor box = w.slice("model.embed_tokens.weight", new long[] {0, 0}, new long[] {1024, 4096}, arena);
        }
        // an object store (S3, GCS, R2, MinIO): a public or presigned URL of one file
        RemoteWeights w = Weights.open(URI.create("https://bucket.s3.amazonaws.com/models/model.safetensors"),
                RemoteOptions.defaults().withToken(null).withMaxConcurrency(16));
        // README snippet end
    }

    static void headerOnly(byte[] first8PlusN, long fileSize, byte[] indexJson, byte[] prefix) {
        // README snippet begin
        // safetensors: the first 8 + N bytes and the file size
        SafetensorsHeader h = SafetensorsFile.parseHeader(MemorySegment.ofArray(first8PlusN), fileSize, "model.safetensors");
        Map<DType, Long> perDtype = h.parameterCounts();
        // a sharded checkpoint: its index, then the header bytes of each shard it names
        ShardedHeader.Index index = ShardedHeader.parseIndex(indexJson, "model.safetensors.index.json");
        List<SafetensorsHeader> shards = new ArrayList<>();
        for (String file : index.shardFiles()) {
            shards.add(SafetensorsFile.parseHeader(headerBytesOf(file), sizeOf(file), file));
        }
        ShardedHeader checkpoint = ShardedHeader.of(index, shards);      // every tensor, its shard, offsets, counts
        // GGUF: as many bytes as held; asks for more until the tensor infos are in
        GgufPrefix g = GgufPrefix.parse(MemorySegment.ofArray(prefix), fileSize, "model.gguf");
        if (!g.complete()) {
            long atLeast = g.bytesNeeded();                               // fetch a longer prefix and parse again
        }
        // README snippet end
    }

    private static MemorySegment headerBytesOf(String file) {
        return MemorySegment.ofArray(new byte[0]);
    }

    private static long sizeOf(String file) {
        return 0;
    }
}
