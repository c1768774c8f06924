// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.WeightmapException;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * How many bytes writing or hashing tensors one by one would produce ({@link #materialisedBytes()}: the sum of
 * their {@link Tensor#byteLength()}) against the storage bytes that back them ({@link #storedBytes()}: per
 * distinct storage, the span its views touch). A checkpoint holds its tensors' bytes, so the two are about equal
 * (tied weights double them at most); an expanded view (stride 0) of shape (2^20, 2^20) over one float promises
 * 4 TiB from 4 bytes. {@link #isExcessive()} flags more than {@value #FACTOR} times the stored bytes plus
 * {@value #ALLOWANCE} bytes; {@link #check(String, String, String)} turns that into an {@code AMPLIFICATION} error that
 * says how many bytes from how few, before any work starts.
 *
 * @param materialisedBytes the sum of the tensors' logical byte lengths ({@link Long#MAX_VALUE} when that
 *                          overflows)
 * @param storedBytes       the storage bytes the tensors touch (the union of their byte ranges)
 * @param largest           the tensor whose logical bytes are the most above its own stored bytes, or null
 */
public record Amplification(long materialisedBytes, long storedBytes, String largest) {
    /** Materialised bytes may be this many times the stored bytes (plus {@link #ALLOWANCE}). */
    public static final long FACTOR = 16;
    /** Materialised bytes allowed beyond {@link #FACTOR} times the stored bytes: 64 MiB. */
    public static final long ALLOWANCE = 64L << 20;

    /**
     * The amplification of one tensor.
     *
     * @param name   its name (for messages)
     * @param tensor the tensor
     * @return its materialised and stored bytes
     */
    public static Amplification of(String name, Tensor tensor) {
        return of(Map.of(name, tensor));
    }

    /**
     * The amplification of a state dict: every name counts its logical bytes (a tied weight is hashed or written
     * under each name); the stored bytes are the union of the byte ranges the tensors touch, so views of one
     * storage count its bytes once. Costs two longs per tensor.
     *
     * @param tensors the tensors by name
     * @return their materialised and stored bytes
     */
    public static Amplification of(Map<String, Tensor> tensors) {
        long materialised = 0;
        String largest = null;
        long largestExcess = 0;
        int n = tensors.size();
        long[] starts = new long[n]; // the touched byte ranges of native storages, by address
        long[] ends = new long[n];
        int k = 0;
        Map<Object, long[][]> heap = null; // heap-backed storages: per array, the same two lists
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            Tensor t = e.getValue();
            if (t.numel() == 0) {
                continue;
            }
            long logical = logicalBytes(t);
            materialised = saturatedAdd(materialised, logical);
            long[] x = t.byteExtent();
            long excess = logical - (x[1] - x[0]);
            if (excess > largestExcess) {
                largestExcess = excess;
                largest = e.getKey();
            }
            MemorySegment s = t.storage();
            long at = s.address();
            Object base = s.heapBase().orElse(null);
            if (base == null) {
                starts[k] = at + x[0];
                ends[k] = at + x[1];
                k++;
            } else {
                if (heap == null) {
                    heap = new IdentityHashMap<>();
                }
                long[][] r = heap.computeIfAbsent(base, b -> new long[][] {new long[4], new long[4], {0}});
                int m = (int) r[2][0];
                if (m == r[0].length) {
                    r[0] = Arrays.copyOf(r[0], m * 2);
                    r[1] = Arrays.copyOf(r[1], m * 2);
                }
                r[0][m] = at + x[0];
                r[1][m] = at + x[1];
                r[2][0] = m + 1;
            }
        }
        long stored = unionLength(starts, ends, k);
        if (heap != null) {
            for (long[][] r : heap.values()) {
                stored = saturatedAdd(stored, unionLength(r[0], r[1], (int) r[2][0]));
            }
        }
        return new Amplification(materialised, stored, largest);
    }

    /**
     * The bytes covered by the union of the ranges {@code [starts[i], ends[i])}, i &lt; n: with both ends sorted
     * apart, a sweep counts how many ranges cover each point. Sorts the arrays' first n elements.
     */
    private static long unionLength(long[] starts, long[] ends, int n) {
        Arrays.sort(starts, 0, n);
        Arrays.sort(ends, 0, n);
        long total = 0;
        int depth = 0;
        long openedAt = 0;
        int i = 0;
        int j = 0;
        while (i < n) {
            if (starts[i] < ends[j]) {
                if (depth++ == 0) {
                    openedAt = starts[i];
                }
                i++;
            } else {
                if (--depth == 0) {
                    total += ends[j] - openedAt;
                }
                j++;
            }
        }
        if (depth > 0) {
            total += ends[n - 1] - openedAt;
        }
        return total;
    }

    /** The logical bytes of t, saturated at Long.MAX_VALUE (numel times a 16-byte dtype can overflow). */
    private static long logicalBytes(Tensor t) {
        try {
            return t.byteLength();
        } catch (ArithmeticException overflow) {
            return Long.MAX_VALUE;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long r = a + b;
        return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
    }

    /**
     * The most bytes accepted without {@code --force}: {@link #FACTOR} times the stored bytes plus
     * {@link #ALLOWANCE}.
     *
     * @return bytes
     */
    public long limit() {
        return storedBytes > (Long.MAX_VALUE - ALLOWANCE) / FACTOR ? Long.MAX_VALUE : storedBytes * FACTOR + ALLOWANCE;
    }

    /**
     * Whether the materialised bytes exceed {@link #limit()}.
     *
     * @return true when work on every tensor's bytes would be far larger than the input
     */
    public boolean isExcessive() {
        return materialisedBytes > limit();
    }

    /**
     * Refuses excessive amplification before any work starts.
     *
     * @param file      the input (for the message)
     * @param operation what would materialise the bytes, for example {@code "convert"}
     * @param howToAllow how to go ahead anyway, for example {@code "pass --force"}
     * @throws WeightmapException {@code AMPLIFICATION} when {@link #isExcessive()}, saying how many bytes from how
     *                            few
     */
    public void check(String file, String operation, String howToAllow) {
        if (isExcessive()) {
            throw new WeightmapException(WeightmapException.Common.AMPLIFICATION, file, largest, file + ": "
                    + operation + " would materialise " + describe(materialisedBytes) + " from " + describe(storedBytes)
                    + " of stored tensor data (more than " + FACTOR + "x + " + describe(ALLOWANCE) + "; tensor `"
                    + largest + "` is an expanded or overlapping view); " + howToAllow + " to go ahead", null);
        }
    }

    /** {@code 4398046511104 bytes (4.0 TiB)}, or {@code more than 2^63 bytes} for a saturated count. */
    static String describe(long bytes) {
        if (bytes == Long.MAX_VALUE) {
            return "more than 2^63 bytes";
        }
        if (bytes < 1024) {
            return bytes + (bytes == 1 ? " byte" : " bytes");
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return bytes + " bytes (" + String.format(java.util.Locale.ROOT, "%.1f %s", v, units[u]) + ")";
    }
}
