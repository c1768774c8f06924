// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.checksum.Crc;
import dev.weightmap.checksum.Hasher;
import dev.weightmap.checksum.Xxh3;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Map;

/** The README's checksum snippet, compiled. */
@SuppressWarnings("unused")
final class ChecksumSnippets {
    private ChecksumSnippets() {
    }

    static void tour(Path path, MemorySegment segment, long seed, int crcA, int crcB, long lenB, Tensor tensor) throws Exception {
        // README snippet begin
        // whole file (mapped), CRCs use all cores
        String oid = Checksums.hexOfFile(ChecksumAlgorithm.SHA256, path, 8);          // == Hub LFS oid
        // per tensor, logical row-major bytes, parallel across tensors, ordered result
        try (SafetensorsFile f = SafetensorsFile.open(path)) {
            Map<String, String> h = Checksums.hexOfTensors(ChecksumAlgorithm.XXH3_64, f.tensors(), 8);
        }
        // low level
        long x = Xxh3.hash64(segment);                  // == xxhsum -H3
        long[] lh = Xxh3.hash128(segment, seed);        // {low, high}; Xxh3.hex128(lh) == xxhsum -H2 for seed 0
        int c = Crc.crc32c(segment, 8);                 // == Crc.crc32c(segment)
        int ab = Crc.combineCrc32(crcA, crcB, lenB);    // crc32(A ++ B)
        // streaming, for writers
        Hasher hs = Checksums.newHasher(ChecksumAlgorithm.XXH3_128);
        tensor.writeTo(hs.asChannel());
        String hex = hs.hex();
        // README snippet end
    }
}
