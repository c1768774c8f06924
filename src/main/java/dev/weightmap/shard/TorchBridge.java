// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoints;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The seam to the torch checkpoint reader/writer (package {@code dev.weightmap.torch}). */
final class TorchBridge {
    private TorchBridge() {
    }

    /** Writes one shard file, forcing it (and its folder) to disk when {@code durable}. */
    interface ShardWriter {
        void write(Map<String, Tensor> tensors, Path file, boolean durable) throws IOException;
    }

    static ShardWriter writer() {
        return TorchCheckpoints::save;
    }
}
