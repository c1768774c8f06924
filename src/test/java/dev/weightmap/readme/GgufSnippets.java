// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.Weights;
import dev.weightmap.gguf.GgmlType;
import dev.weightmap.gguf.Gguf;
import dev.weightmap.gguf.GgufArray;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.gguf.GgufTensorInfo;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The README's GGUF snippet, compiled. */
@SuppressWarnings("unused")
final class GgufSnippets {
    private GgufSnippets() {
    }

    static void tour(Arena arena) throws Exception {
        // README snippet begin
        try (GgufFile g = GgufFile.open(Path.of("model.gguf"))) {           // or Weights.open(...), parse(segment, name)
            String arch = g.architecture().orElseThrow();                     // general.architecture
            long ctx = g.archInteger("context_length").orElse(0L);            // llama.context_length
            GgufArray vocab = g.tokens().orElseThrow();                       // skipped at open, read on demand
            String piece = vocab.getString(42);
            GgufTensorInfo q = g.info("blk.0.attn_q.weight");                 // type, ne (stored order), shape (row-major)
            MemorySegment blocks = g.raw(q.name());                           // the stored bytes, any GGML type
            float[] w = g.dequantizeRows(q.name(), 0, 16);                    // the first 16 rows only
            Tensor bf16 = g.dequantizeTensor(q.name(), DType.BF16, arena);    // what a BF16 model wants
            MemorySegment all = g.dequantize(q.name(), arena, 8);           // F32, on up to 8 threads
        }
        // README snippet end
    }

    static void write() throws Exception {
        // README snippet begin
        try (Weights w = Weights.open(Path.of("model.safetensors"))) {   // or sharded, torch, a DDUF entry
            Gguf.Written r = Gguf.write(w.tensors(), Map.of("general.architecture", "llama"), GgmlType.Q8_0,
                    Path.of("model.gguf"));                                // atomic; or to a WritableByteChannel
            List<String> f32 = r.unquantized();                           // rows not a whole number of blocks
        }
        // README snippet end
    }
}
