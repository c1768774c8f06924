// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.OpenOptions;
import dev.weightmap.VerifyReport;
import dev.weightmap.Weights;
import dev.weightmap.WeightmapException;
import dev.weightmap.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The README's "Opening any file" snippets, compiled. */
@SuppressWarnings("unused")
final class OpeningSnippets {
    private OpeningSnippets() {
    }

    static void open() throws Exception {
        // README snippet begin
        try (Weights w = Weights.open(Path.of("model.safetensors"))) {   // a file of any name, a folder, an index file
            w.format();                     // "safetensors", "dduf", "torch", "sharded" or "gguf"
            w.tensorNames();                // stable order, documented per format
            Tensor t = w.tensor("lm_head.weight");                     // zero-copy view of the mapping
            Map<String, Tensor> all = w.tensors();                     // read-only, ordered
            Map<String, ?> md = w.metadata();                          // the format's own metadata
            VerifyReport report = w.verify();                          // structure + every checksum the format records
            List<String> warnings = w.warnings();                      // not errors, but worth knowing (see below)
        }
        // README snippet end
    }

    static void options() throws Exception {
        // README snippet begin
        OpenOptions options = OpenOptions.defaults()
                .withSafe(false)                                   // folders: pickle files too (the loading rules)
                .withFilenamePattern("model.fp16{suffix}.safetensors")   // folders: which index / file to look for
                .withMaxHeaderBytes(OpenOptions.DEFAULT_MAX_HEADER_BYTES)
                .withMaxIndexBytes(OpenOptions.DEFAULT_MAX_INDEX_BYTES)
                .withAllowGguf(false);                             // DDUF archives holding .gguf entries
        try (Weights w = Weights.open(Path.of("my-model"), options)) {
            System.out.println(w.format() + ": " + w.tensorNames().size() + " tensors");
        }
        // README snippet end
    }

    static void exceptions(Path path) throws Exception {
        // README snippet begin
        try (Weights w = Weights.open(path)) {
            w.verify();
        } catch (WeightmapException e) {
            System.err.println("error: " + e.code() + ": " + e.getMessage());   // e.g. INVALID_OFFSET, DDUF_CORRUPTED
        }
        // README snippet end
    }

    static void lease() throws Exception {
        // README snippet begin
        Weights w = Weights.open(Path.of("model.safetensors"));
        Weights.Lease lease = w.retain();               // taken before the memory leaves Java's checks
        ByteBuffer input = w.tensor("input_embeddings").asByteBuffer();
        // hand `input` to native code here, e.g. OnnxTensor.createTensor(env, input.asFloatBuffer(), shape)
        w.close();                                      // closed at once: w.tensor(...) now throws WeightsClosedException
        // ... the native side keeps reading `input` safely ...
        lease.close();                                  // the native side is done: the files are unmapped now
        // README snippet end
    }
}
