// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Identity of a tensor's storage: the analog of huggingface_hub's {@code get_torch_storage_id}.
 *
 * <p>Two tensors share storage when their storage segments have the same base object (a heap array, compared
 * by identity, or none for native memory), the same start address and the same size.
 *
 * @param heapBase the heap array behind the storage, or {@code null} for native (mapped or allocated) memory
 * @param address  the storage's start address (for heap storage: the byte offset into the array)
 * @param byteSize the storage's size in bytes
 */
public record StorageId(Object heapBase, long address, long byteSize) {

    /**
     * The identity of a storage segment.
     *
     * @param storage the segment a tensor views
     * @return an identity that is equal for segments of the same memory
     */
    public static StorageId of(MemorySegment storage) {
        return new StorageId(storage.heapBase().orElse(null), storage.address(), storage.byteSize());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StorageId s && s.heapBase == heapBase && s.address == address && s.byteSize == byteSize;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(heapBase) * 31 + Long.hashCode(address) * 17 + Long.hashCode(byteSize);
    }

    @Override
    public String toString() {
        return (heapBase == null ? "native" : "heap@" + Integer.toHexString(System.identityHashCode(heapBase)))
                + "[0x" + Long.toHexString(address) + ", " + byteSize + " bytes]";
    }
}
