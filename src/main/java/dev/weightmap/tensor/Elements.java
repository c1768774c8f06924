// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import static dev.weightmap.tensor.Tensor.F32;
import static dev.weightmap.tensor.Tensor.F64;
import static dev.weightmap.tensor.Tensor.I16;
import static dev.weightmap.tensor.Tensor.I32;
import static dev.weightmap.tensor.Tensor.I64;

import dev.weightmap.internal.io.FileStreamer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The element-access half of {@link Tensor}: decoding one element at a byte offset of a storage, and whole
 * tensors into floats. Offsets come from {@link Tensor#byteOffsetOf} or a row-major walk of the view, so they are
 * always inside the storage; faults of a mapped storage come back typed through {@link FileStreamer#translate}.
 */
final class Elements {
    private Elements() {
    }

    static long readLong(MemorySegment storage, DType dtype, long off) {
        return switch (dtype) {
            case BOOL, U8 -> storage.get(ValueLayout.JAVA_BYTE, off) & 0xFFL;
            case I8 -> storage.get(ValueLayout.JAVA_BYTE, off);
            case I16 -> storage.get(I16, off);
            case U16 -> storage.get(I16, off) & 0xFFFFL;
            case I32 -> storage.get(I32, off);
            case U32 -> storage.get(I32, off) & 0xFFFF_FFFFL;
            case I64, U64 -> storage.get(I64, off);
            default -> throw new UnsupportedOperationException("getLong on " + dtype + " tensor");
        };
    }

    static double readDouble(MemorySegment storage, DType dtype, long off) {
        return switch (dtype) {
            case F32 -> storage.get(F32, off);
            case F64 -> storage.get(F64, off);
            case F16 -> FloatFormats.f16(storage.get(I16, off));
            case BF16 -> FloatFormats.bf16(storage.get(I16, off));
            case F8_E4M3 -> FloatFormats.F8_E4M3[storage.get(ValueLayout.JAVA_BYTE, off) & 0xFF];
            case F8_E5M2 -> FloatFormats.F8_E5M2[storage.get(ValueLayout.JAVA_BYTE, off) & 0xFF];
            case F8_E4M3FNUZ -> FloatFormats.F8_E4M3FNUZ[storage.get(ValueLayout.JAVA_BYTE, off) & 0xFF];
            case F8_E5M2FNUZ -> FloatFormats.F8_E5M2FNUZ[storage.get(ValueLayout.JAVA_BYTE, off) & 0xFF];
            case F8_E8M0 -> FloatFormats.F8_E8M0[storage.get(ValueLayout.JAVA_BYTE, off) & 0xFF];
            case U64 -> {
                long v = storage.get(I64, off);
                yield v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
            case BOOL, U8, I8, I16, U16, I32, U32, I64 -> readLong(storage, dtype, off);
            default -> throw new UnsupportedOperationException("element read of " + dtype + " tensor");
        };
    }

    static double[] readComplex(MemorySegment storage, DType dtype, long off) {
        return switch (dtype) {
            case C64 -> new double[] {storage.get(F32, off), storage.get(F32, off + 4)};
            case C128 -> new double[] {storage.get(F64, off), storage.get(F64, off + 8)};
            default -> new double[] {readDouble(storage, dtype, off), 0};
        };
    }

    /** Runs {@code read}, turning a fault of {@code t}'s storage (truncated or unmapped) into a typed exception. */
    static <T> T guarded(Tensor t, java.util.function.Supplier<T> read) {
        try {
            return read.get();
        } catch (InternalError | IllegalStateException e) {
            throw FileStreamer.translate(e, t.storage(), t.region());
        }
    }

    static float[] toFloatArray(Tensor t) {
        long numel = t.numel();
        DType dtype = t.dtype();
        if (numel > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException(numel + " elements do not fit a float[]");
        }
        if (dtype.isComplex() || dtype.isSubByte()) {
            throw new UnsupportedOperationException("toFloatArray of " + dtype + " tensor");
        }
        return guarded(t, () -> t.isContiguous() ? contiguousFloats(t) : stridedFloats(t));
    }

    private static float[] contiguousFloats(Tensor t) {
        float[] out = new float[(int) t.numel()];
        MemorySegment d = t.data();
        DType dtype = t.dtype();
        switch (dtype) {
            case F32 -> MemorySegment.copy(d, F32, 0, out, 0, out.length);
            case BF16 -> Conversions.bf16ToF32(d, MemorySegment.ofArray(out), out.length, t.region());
            case F16 -> Conversions.f16ToF32(d, MemorySegment.ofArray(out), out.length, t.region());
            default -> {
                MemorySegment storage = t.storage();
                int es = dtype.byteSize();
                long off = t.dataStartByte();
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) readDouble(storage, dtype, off + (long) i * es);
                }
            }
        }
        return out;
    }

    private static float[] stridedFloats(Tensor t) {
        float[] out = new float[(int) t.numel()];
        MemorySegment storage = t.storage();
        DType dtype = t.dtype();
        long[] shape = t.shape();
        long[] strides = t.strides();
        int es = dtype.byteSize();
        long[] idx = new long[shape.length];
        long off = t.dataStartByte();
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) readDouble(storage, dtype, off);
            for (int d = shape.length - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    off += strides[d] * es;
                    break;
                }
                off -= (idx[d] - 1) * strides[d] * es;
                idx[d] = 0;
            }
        }
        return out;
    }

    static void copyAsF32(Tensor t, MemorySegment dst) {
        MemorySegment d = t.data();
        long n = t.numel();
        if (dst.byteSize() < n * 4) {
            throw new IndexOutOfBoundsException("destination of " + dst.byteSize() + " bytes < " + n * 4);
        }
        DType dtype = t.dtype();
        guarded(t, () -> {
            switch (dtype) {
                case F32 -> MemorySegment.copy(d, 0, dst, 0, n * 4);
                case BF16 -> Conversions.bf16ToF32(d, dst, n, t.region());
                case F16 -> Conversions.f16ToF32(d, dst, n, t.region());
                default -> throw new UnsupportedOperationException("copyAsF32 of " + dtype);
            }
            return null;
        });
    }
}
