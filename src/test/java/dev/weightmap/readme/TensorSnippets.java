// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Map;

/** The README's "Tensors and storage" snippet, compiled. */
@SuppressWarnings("unused")
final class TensorSnippets {
    private TensorSnippets() {
    }

    static void tour(SafetensorsFile file, Arena arena, Map<String, Tensor> stateDict) throws Exception {
        // README snippet begin
        Tensor t = file.tensor("model.embed_tokens.weight");   // a view: storage segment + dtype + shape + strides + offset
        t.dtype();            // DType.BF16 — all 22 safetensors dtypes, plus C128 for torch complex128
        t.shape();            // [32000, 4096]
        t.data();             // MemorySegment: the zero-copy slice of the mapping (contiguous tensors)
        t.getFloat(1, 7);     // element read; F16/BF16/all FP8 variants/E8M0 decoded to float
        t.transpose(0, 1);    // zero-copy strided views: select, narrow, slice, transpose, reshape
        t.contiguous(arena);  // explicit copy of a strided view
        t.toFloatArray();     // explicit copy-out (BF16 → F32 through the Vector API when available)
        t.asByteBuffer();     // read-only little-endian ByteBuffer view for interop (≤ 2 GB)
        t.alignment();        // largest power of two (≤ 4096) dividing the data address
        t.storageId(); t.storageSize();                  // hub's get_torch_storage_id / get_torch_storage_size
        StorageAliasing.clusters(stateDict);             // groups by storage, overlap clusters by real byte extents
        // README snippet end
    }
}
