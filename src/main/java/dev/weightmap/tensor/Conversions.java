// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.simd.ConversionKernel;
import dev.weightmap.internal.simd.VectorizationProvider;
import java.lang.foreign.MemorySegment;

/**
 * Bulk conversions between F32 and the 16-bit float formats, with the kernel of the
 * {@linkplain VectorizationProvider chosen provider} (see {@link ConversionKernel} for the rounding rules).
 * Mapped sources are staged through private buffers first (read from their file when its region is given).
 */
final class Conversions {
    static final ConversionKernel IMPL = VectorizationProvider.get().conversions();

    private Conversions() {
    }

    static void bf16ToF32(MemorySegment src, MemorySegment dst, long n) {
        bf16ToF32(src, dst, n, null);
    }

    static void bf16ToF32(MemorySegment src, MemorySegment dst, long n, MappedRegion region) {
        if (FileStreamer.isMapped(src)) {
            staged(src, region, 2, dst, 4, n, IMPL::bf16);
            return;
        }
        IMPL.bf16(src, dst, n);
    }

    static void f16ToF32(MemorySegment src, MemorySegment dst, long n) {
        f16ToF32(src, dst, n, null);
    }

    static void f16ToF32(MemorySegment src, MemorySegment dst, long n, MappedRegion region) {
        if (FileStreamer.isMapped(src)) {
            staged(src, region, 2, dst, 4, n, IMPL::f16);
            return;
        }
        IMPL.f16(src, dst, n);
    }

    static void f32ToBf16(MemorySegment src, MemorySegment dst, long n) {
        f32ToBf16(src, dst, n, null);
    }

    static void f32ToBf16(MemorySegment src, MemorySegment dst, long n, MappedRegion region) {
        if (FileStreamer.isMapped(src)) {
            staged(src, region, 4, dst, 2, n, IMPL::toBf16);
            return;
        }
        IMPL.toBf16(src, dst, n);
    }

    static void f32ToF16(MemorySegment src, MemorySegment dst, long n) {
        f32ToF16(src, dst, n, null);
    }

    static void f32ToF16(MemorySegment src, MemorySegment dst, long n, MappedRegion region) {
        if (FileStreamer.isMapped(src)) {
            staged(src, region, 4, dst, 2, n, IMPL::toF16);
            return;
        }
        IMPL.toF16(src, dst, n);
    }

    /** A bulk conversion of {@code n} elements. */
    @FunctionalInterface
    private interface Kernel {
        void run(MemorySegment src, MemorySegment dst, long n);
    }

    /**
     * Runs a kernel over a mapped source one chunk at a time, each chunk first read into a private buffer: vector
     * loads from a mapping whose file was truncated crash the JVM, while the chunk reads fail typed
     * ({@code FILE_CHANGED}, see {@link FileStreamer#readSegment}).
     */
    private static void staged(MemorySegment src, MappedRegion region, int inBytes, MemorySegment dst, int outBytes,
                               long n, Kernel k) {
        long[] done = {0};
        FileStreamer.readSegment(src.asSlice(0, n * inBytes), region, chunk -> {
            long m = chunk.byteSize() / inBytes; // chunks are whole elements: FileStreamer.CHUNK is a multiple of 4
            k.run(chunk, dst.asSlice(done[0] * outBytes, m * outBytes), m);
            done[0] += m;
        });
    }

    static int f16ToF32Bits(int h) {
        return ConversionKernel.f16ToF32Bits(h);
    }

    static int f32ToBf16Bits(int x) {
        return ConversionKernel.f32ToBf16Bits(x);
    }

    static int f32ToF16Bits(int x) {
        return ConversionKernel.f32ToF16Bits(x);
    }
}
