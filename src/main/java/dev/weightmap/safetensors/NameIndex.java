// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import java.util.function.IntPredicate;

/**
 * Tensor name → entry number: an open-addressing table of name hashes ({@link String#hashCode}) and entry
 * numbers, packed in one long per slot (one cache line touched per probe) and kept at most three quarters
 * full. It holds no names itself: whoever probes it confirms a candidate whose hash matches (by comparing header
 * bytes while parsing, Strings afterwards), so no name has to exist as a String for the table to be built.
 */
final class NameIndex {
    private long[] slots; // hash << 32 | (entry number + 1); 0 marks an empty slot
    private int mask;
    private int size;

    NameIndex(int expectedEntries) {
        int want = Math.max(4, (int) Math.min(1 << 29, expectedEntries * 4L / 3 + 1)); // at most 3/4 full
        int cap = Integer.highestOneBit(want - 1) << 1;
        slots = new long[cap];
        mask = cap - 1;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    private static long slot(int hash, int entry) {
        return ((long) hash << 32) | (entry + 1L);
    }

    /**
     * Adds {@code hash → entry} unless an entry with that hash which {@code same} accepts is present; returns
     * -1 when added, else that present entry.
     */
    int putIfAbsent(int hash, int entry, IntPredicate same) {
        if ((size + 1) * 4L > slots.length * 3L) {
            grow();
        }
        long[] ss = slots;
        int m = mask;
        int i = spread(hash) & m;
        while (true) {
            long s = ss[i];
            if (s == 0) {
                ss[i] = slot(hash, entry);
                size++;
                return -1;
            }
            if ((int) (s >>> 32) == hash && same.test((int) s - 1)) {
                return (int) s - 1;
            }
            i = (i + 1) & m;
        }
    }

    /** The entry whose hash is {@code hash} and which {@code same} accepts, or -1. */
    int find(int hash, IntPredicate same) {
        long[] ss = slots;
        int i = spread(hash) & mask;
        while (true) {
            long s = ss[i];
            if (s == 0) {
                return -1;
            }
            if ((int) (s >>> 32) == hash && same.test((int) s - 1)) {
                return (int) s - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Renumbers every entry {@code e} as {@code newNumber[e]}. */
    void renumber(int[] newNumber) {
        long[] ss = slots;
        for (int i = 0; i < ss.length; i++) {
            long s = ss[i];
            if (s != 0) {
                ss[i] = slot((int) (s >>> 32), newNumber[(int) s - 1]);
            }
        }
    }

    private void grow() {
        long[] old = slots;
        slots = new long[old.length * 2];
        mask = slots.length - 1;
        for (long s : old) {
            if (s != 0) {
                int i = spread((int) (s >>> 32)) & mask;
                while (slots[i] != 0) {
                    i = (i + 1) & mask;
                }
                slots[i] = s;
            }
        }
    }
}
