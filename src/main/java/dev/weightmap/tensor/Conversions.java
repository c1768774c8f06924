// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.internal.simd.Simd;

import java.lang.foreign.MemorySegment;

/** Bulk dtype conversions: a Vector API implementation when available, scalar loops otherwise. */
class Conversions {
    static final Conversions IMPL = Simd.load("dev.weightmap.tensor.VectorConversions", Conversions.class, new Conversions());

    static void bf16ToF32(MemorySegment src, MemorySegment dst, long n) {
        IMPL.bf16(src, dst, n);
    }

    static void f16ToF32(MemorySegment src, MemorySegment dst, long n) {
        IMPL.f16(src, dst, n);
    }

    void bf16(MemorySegment src, MemorySegment dst, long n) {
        scalarBf16(src, dst, 0, n);
    }

    void f16(MemorySegment src, MemorySegment dst, long n) {
        scalarF16(src, dst, 0, n);
    }

    static void scalarBf16(MemorySegment src, MemorySegment dst, long from, long n) {
        for (long i = from; i < n; i++) {
            dst.set(Tensor.I32, i * 4, (src.get(Tensor.I16, i * 2) & 0xFFFF) << 16);
        }
    }

    static void scalarF16(MemorySegment src, MemorySegment dst, long from, long n) {
        for (long i = from; i < n; i++) {
            dst.set(Tensor.F32, i * 4, Float.float16ToFloat(src.get(Tensor.I16, i * 2)));
        }
    }
}
