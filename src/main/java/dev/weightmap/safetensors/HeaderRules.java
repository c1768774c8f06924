// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;

import java.util.Arrays;

/**
 * The rules a safetensors header must meet beyond its syntax, in the order of the Rust reference
 * ({@code formats.md} A.2–A.5): the header length against the file and the configured limit, UTF-8, the entries in
 * data order with contiguous offsets, each entry's byte size (overflow and sub-byte checks) and the data section
 * covered exactly. {@link HeaderScanner} meets the rules it can check on the way; these take its tables.
 */
final class HeaderRules {
    private HeaderRules() {
    }

    /** An exception for rule {@code r} in {@code file}. */
    static SafetensorsException error(Reason r, String file, String msg) {
        return new SafetensorsException(r, file + ": " + msg);
    }

    /** A file of {@code size} bytes holds at least the 8-byte header length. */
    static void checkSize(long size, String file) {
        if (size < 8) {
            throw error(Reason.HEADER_TOO_SMALL, file, "header too small: " + size
                    + " bytes, the 8-byte header length is missing");
        }
    }

    /** The header length {@code n} is within {@code maxHeader} and the {@code size}-byte file. */
    static void checkLength(long n, long size, String file, long maxHeader) {
        if (n < 0 || n > maxHeader) {
            throw error(Reason.HEADER_TOO_LARGE, file, "header too large: " + Long.toUnsignedString(n)
                    + " bytes (limit " + maxHeader + " bytes; raise it with OpenOptions.withMaxHeaderBytes)");
        }
        if (n > size - 8) {
            throw error(Reason.INVALID_HEADER_LENGTH, file, "invalid header length: " + n
                    + " header bytes announced but the file has only " + (size - 8) + " after the length");
        }
    }

    /** The first {@code n} bytes of {@code h} are valid UTF-8. */
    static void checkUtf8(byte[] h, int n, String file) {
        long bad = HeaderScanner.firstNonAscii(h, n) < 0 ? -1 : JsonReader.findInvalidUtf8(h, 0, n);
        if (bad >= 0) {
            throw error(Reason.INVALID_UTF8, file, "invalid UTF-8 in header at byte " + (8 + bad));
        }
    }

    /**
     * Puts the scanned entries in data order: sorted by (begin, end), stable; usually already sorted. The tables
     * may be longer than {@code count} (sized from an estimate): only {@code [0, count)} is used.
     */
    static void sortByData(HeaderScanner sc) {
        int count = sc.count;
        long[] begins = sc.begins;
        long[] ends = sc.ends;
        boolean sorted = true;
        for (int i = 1; i < count && sorted; i++) {
            sorted = begins[i - 1] < begins[i] || (begins[i - 1] == begins[i] && ends[i - 1] <= ends[i]);
        }
        if (sorted) {
            return;
        }
        Integer[] order = new Integer[count];
        for (int i = 0; i < count; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> begins[x] != begins[y] ? Long.compare(begins[x], begins[y])
                : Long.compare(ends[x], ends[y]));
        int[] st2 = new int[count];
        int[] l2 = new int[count];
        String[] n2 = new String[count];
        DType[] d2 = new DType[count];
        int[] a2 = new int[count];
        int[] r2 = new int[count];
        long[] u2 = new long[(count + 63) >>> 6];
        long[] b2 = new long[count];
        long[] e2 = new long[count];
        int[] newNumber = new int[count];
        for (int i = 0; i < count; i++) {
            int k = order[i];
            st2[i] = sc.starts[k];
            l2[i] = sc.lengths[k];
            n2[i] = sc.strings[k];
            d2[i] = sc.dtypes[k];
            a2[i] = sc.shapeAt[k];
            r2[i] = sc.ranks[k];
            u2[i >>> 6] |= (sc.unchecked[k >>> 6] >>> k & 1) << i;
            b2[i] = begins[k];
            e2[i] = ends[k];
            newNumber[k] = i;
        }
        sc.index.renumber(newNumber);
        sc.starts = st2;
        sc.lengths = l2;
        sc.strings = n2;
        sc.dtypes = d2;
        sc.shapeAt = a2;
        sc.ranks = r2;
        sc.unchecked = u2;
        sc.begins = b2;
        sc.ends = e2;
    }

    /**
     * Entries in data order are contiguous from offset 0, each holds exactly the bytes its dtype and shape need
     * (entries the scanner checked while reading are not computed again), and together they cover the
     * {@code dataLen}-byte data section.
     */
    static void checkOffsets(HeaderScanner sc, TensorNames names, String file, long dataLen) {
        long[] begins = sc.begins;
        long[] ends = sc.ends;
        long cursor = 0;
        for (int i = 0; i < sc.count; i++) {
            if (begins[i] != cursor || ends[i] < begins[i]) {
                throw error(Reason.INVALID_OFFSET, file, "invalid offset for tensor `" + names.get(i)
                        + "`: data_offsets [" + begins[i] + ", " + ends[i] + "] but the previous tensor ends at " + cursor);
            }
            if ((sc.unchecked[i >>> 6] >>> i & 1) == 0) { // checked while parsing
                cursor = ends[i];
                continue;
            }
            long[] shape = Arrays.copyOfRange(sc.dims, sc.shapeAt[i], sc.shapeAt[i] + sc.ranks[i]);
            DType dtype = sc.dtypes[i];
            long nbytes = checkedSize(file, names, dtype, shape, i);
            if (ends[i] - begins[i] != nbytes) {
                throw error(Reason.TENSOR_INVALID_INFO, file, "invalid shape, data type, or offset for tensor `"
                        + names.get(i) + "`: " + dtype + " " + Arrays.toString(shape) + " needs " + nbytes
                        + " bytes but data_offsets [" + begins[i] + ", " + ends[i] + "] hold " + (ends[i] - begins[i]));
            }
            cursor = ends[i];
        }
        if (cursor != dataLen) {
            throw error(Reason.INCOMPLETE_BUFFER, file, "incomplete metadata, file not fully covered: tensors cover "
                    + cursor + " bytes of a data section of " + dataLen);
        }
    }

    /** The byte size of entry i, with the overflow and sub-byte checks. */
    private static long checkedSize(String file, TensorNames names, DType dtype, long[] shape, int i) {
        try {
            return dtype.byteLength(DType.numel(shape));
        } catch (ArithmeticException ex) {
            throw error(Reason.OVERFLOW, file, "overflow computing buffer size from shape "
                    + Arrays.toString(shape) + " and dtype " + dtype + " of tensor `" + names.get(i) + "`");
        } catch (IllegalArgumentException ex) {
            throw error(Reason.MISALIGNED_SUBBYTE, file, "tensor `" + names.get(i) + "` of dtype " + dtype
                    + " and shape " + Arrays.toString(shape) + " does not end on a byte boundary");
        }
    }
}
