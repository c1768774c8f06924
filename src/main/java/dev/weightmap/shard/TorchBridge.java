// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;
import dev.weightmap.torch.TorchCheckpoints;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/** The seam to the torch checkpoint reader/writer (package {@code dev.weightmap.torch}). */
final class TorchBridge {
    private TorchBridge() {
    }

    /** Writes one shard file. */
    interface ShardWriter {
        void write(Map<String, Tensor> tensors, Path file) throws IOException;
    }

    /** An opened torch checkpoint: its state dict and a way to close it. */
    interface Opened extends AutoCloseable {
        Map<String, Tensor> stateDict();

        @Override
        void close();
    }

    static ShardWriter writer() {
        return TorchCheckpoints::save;
    }

    static Opened open(Path file) throws IOException {
        TorchCheckpoint c = TorchCheckpoint.open(file);
        try {
            Map<String, Tensor> sd = c.stateDict();
            return new Opened() {
                @Override
                public Map<String, Tensor> stateDict() {
                    return sd;
                }

                @Override
                public void close() {
                    c.close();
                }
            };
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }
}
