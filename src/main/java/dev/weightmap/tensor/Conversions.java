package dev.weightmap.tensor;

import java.lang.foreign.MemorySegment;

/** Bulk dtype conversions (scalar loops the JIT can unroll; a Vector API path is chosen when available). */
final class Conversions {
    private Conversions() {
    }

    static void bf16ToF32(MemorySegment src, MemorySegment dst, long n) {
        long i = 0;
        for (; i < n; i++) {
            short b = src.get(Tensor.I16, i * 2);
            dst.set(Tensor.I32, i * 4, (b & 0xFFFF) << 16);
        }
    }

    static void f16ToF32(MemorySegment src, MemorySegment dst, long n) {
        for (long i = 0; i < n; i++) {
            dst.set(Tensor.F32, i * 4, Float.float16ToFloat(src.get(Tensor.I16, i * 2)));
        }
    }
}
