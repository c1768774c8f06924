// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.SliceIndex;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.Map;

/** The README's safetensors snippet, compiled. */
@SuppressWarnings("unused")
final class SafetensorsSnippets {
    private SafetensorsSnippets() {
    }

    static void tour(MemorySegment segment, Map<String, Tensor> tensors, Map<String, String> metadata,
            WritableByteChannel channel) throws Exception {
        // README snippet begin
        try (SafetensorsFile f = SafetensorsFile.open(Path.of("model.safetensors"))) {   // mmap + header only
            f.names();                   // data order; f.sortedNames() for Python's keys()
            f.metadata();                // __metadata__
            Tensor w = f.tensor("lm_head.weight");                                     // O(1), builds one name
            Tensor rows = f.slice("lm_head.weight", SliceIndex.parse("10:20, ..."));   // NumPy basic indexing, zero-copy
        }                                // close() unmaps; later access from any thread → IllegalStateException

        SafetensorsFile img = SafetensorsFile.parse(segment, "name");   // any segment: a DDUF entry, a heap array

        Safetensors.save(tensors, Map.of("format", "pt"), Path.of("out.safetensors"));   // atomic, Rust-identical bytes
        Safetensors.write(tensors, metadata, channel);                                   // stream to any channel
        // README snippet end
    }
}
