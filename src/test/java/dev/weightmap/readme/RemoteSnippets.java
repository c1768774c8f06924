// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.Weights;
import dev.weightmap.remote.RemoteOptions;
import dev.weightmap.remote.RemoteWeights;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.Arena;
import java.net.URI;

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
}
