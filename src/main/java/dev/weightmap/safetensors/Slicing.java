// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** NumPy basic indexing over a tensor, producing a zero-copy strided view. */
final class Slicing {
    private Slicing() {
    }

    static Tensor slice(Tensor t, String name, String file, SliceIndex... indexes) {
        long[] shape = t.shape();
        int rank = shape.length;
        int ellipses = 0;
        int consuming = 0;
        for (SliceIndex ix : indexes) {
            if (ix == null) {
                throw err(file, name, shape, "null index");
            }
            if (ix instanceof SliceIndex.Ellipsis) {
                ellipses++;
            } else {
                consuming++;
            }
        }
        if (ellipses > 1) {
            throw err(file, name, shape, "an index can only have a single ellipsis");
        }
        if (consuming > rank) {
            throw err(file, name, shape, "more slicing indexes (" + consuming + ") than dimensions (" + rank + ")");
        }
        List<SliceIndex> full = new ArrayList<>();
        for (SliceIndex ix : indexes) {
            if (ix instanceof SliceIndex.Ellipsis) {
                for (int k = 0; k < rank - consuming; k++) {
                    full.add(SliceIndex.all());
                }
            } else {
                full.add(ix);
            }
        }
        while (full.size() < rank) {
            full.add(SliceIndex.all());
        }
        long[] strides = t.strides();
        long offset = t.storageOffset();
        List<Long> newShape = new ArrayList<>();
        List<Long> newStrides = new ArrayList<>();
        for (int d = 0; d < rank; d++) {
            long n = shape[d];
            SliceIndex ix = full.get(d);
            if (ix instanceof SliceIndex.At(long index)) {
                long i = index < 0 ? index + n : index;
                if (i < 0 || i >= n) {
                    throw err(file, name, shape, "index " + index + " out of bounds for dimension " + d + " of size " + n);
                }
                offset += i * strides[d];
            } else if (ix instanceof SliceIndex.Range(Long start, Long stop, Long step)) {
                long st = step == null ? 1 : step;
                if (st == 0) {
                    throw err(file, name, shape, "slice step cannot be zero (dimension " + d + ")");
                }
                if (st < 0) {
                    throw err(file, name, shape, "negative slice steps are not supported (dimension " + d + ")");
                }
                long b = clamp(start == null ? 0 : start, n);
                long e = clamp(stop == null ? n : stop, n);
                long len = e <= b ? 0 : (e - b - 1) / st + 1; // not (e-b+st-1)/st: overflows for huge steps
                if (len > 0) {
                    offset += b * strides[d];
                }
                newShape.add(len);
                newStrides.add(len > 1 ? strides[d] * st : strides[d]);
            }
        }
        long[] s = newShape.stream().mapToLong(Long::longValue).toArray();
        long[] st = newStrides.stream().mapToLong(Long::longValue).toArray();
        if (DType.numel(s) == 0) {
            offset = t.storageOffset(); // an empty view touches nothing: keep it inside the storage
        }
        if (t.dtype().isSubByte()) {
            return subByte(t, name, file, shape, s, st, offset);
        }
        return t.view(s, st, offset);
    }

    private static Tensor subByte(Tensor t, String name, String file, long[] oldShape, long[] s, long[] st, long offset) {
        DType dt = t.dtype();
        long numel = DType.numel(s);
        long expected = 1;
        for (int i = s.length - 1; i >= 0; i--) {
            if (s[i] != 1 && numel != 0) {
                if (st[i] != expected) {
                    throw new SafetensorsException(Reason.MISALIGNED_SUBBYTE, file + ": slicing " + dt + " tensor `" + name
                            + "` of shape " + Arrays.toString(oldShape) + " gives a non-contiguous result, which sub-byte dtypes cannot express");
                }
                expected *= s[i];
            }
        }
        if ((offset * dt.bits()) % 8 != 0 || (numel * dt.bits()) % 8 != 0) {
            throw new SafetensorsException(Reason.MISALIGNED_SUBBYTE, file + ": the slice of " + dt + " tensor `" + name
                    + "` of shape " + Arrays.toString(oldShape) + " does not start and end on a byte boundary");
        }
        return t.view(s, Tensor.contiguousStrides(s), numel == 0 ? 0 : offset);
    }

    private static long clamp(long v, long n) {
        if (v < 0) {
            v += n;
            return Math.max(v, 0);
        }
        return Math.min(v, n);
    }

    private static SafetensorsException err(String file, String name, long[] shape, String msg) {
        return new SafetensorsException(Reason.INVALID_SLICE, file + ": error slicing tensor `" + name + "` of shape "
                + Arrays.toString(shape) + ": " + msg);
    }
}
