package dev.weightmap.shard;

import dev.weightmap.tensor.Tensor;

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
        throw new UnsupportedOperationException("The torch format (.bin) is not available in this build: the torch"
                + " checkpoint writer has not landed yet; save with SaveOptions.Format.SAFETENSORS");
    }

    static Opened open(Path file) throws IOException {
        throw new UnsupportedOperationException("Cannot load " + file + ": the torch format (.bin) reader is not"
                + " available in this build");
    }
}
