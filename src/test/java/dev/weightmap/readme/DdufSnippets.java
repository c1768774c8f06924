// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.dduf.Dduf;
import dev.weightmap.dduf.DdufEntry;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The README's DDUF snippet, compiled. */
@SuppressWarnings("unused")
final class DdufSnippets {
    private DdufSnippets() {
    }

    static void tour(byte[] configBytes, Map<String, Tensor> tensors) throws Exception {
        // README snippet begin
        try (DdufFile dduf = DdufFile.open(Path.of("sana.dduf"))) {          // maps + validates (ZIP, names, structure)
                                                                               // (or open(path, arena): map into your arena)
            Map<String, Object> index = dduf.modelIndex();                     // parsed model_index.json
            DdufEntry vae = dduf.entries().get("vae/diffusion_pytorch_model.safetensors");
            long offset = vae.offset(), length = vae.length();                 // absolute data offset in the archive
            MemorySegment bytes = vae.segment();                               // zero-copy (hub's as_mmap, without the copy)
            SafetensorsFile st = vae.openSafetensors();                        // zero-copy view inside the archive
            Tensor w = st.tensor("decoder.conv_in.weight");
            String config = dduf.entries().get("vae/config.json").readText(); // strict UTF-8
            dduf.verify();                                                     // CRC-32 of every entry (parallel pieces) + safetensors headers
        }

        // Export: lazily consumed entries; files, byte[], MemorySegment or a callback streaming into the archive
        Dduf.exportEntries(Path.of("out.dduf"), List.of(
                Dduf.entry("model_index.json", Path.of("pipe/model_index.json")),
                Dduf.entry("vae/config.json", configBytes),
                Dduf.entry("vae/diffusion_pytorch_model.safetensors",
                           out -> Safetensors.write(tensors, Map.of(), out))));   // no temp file, no heap copy
        Dduf.exportFolder(Path.of("out.dduf"), Path.of("pipe/"));                // sorted, hidden files skipped
        // README snippet end
    }
}
