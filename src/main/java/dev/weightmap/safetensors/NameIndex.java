package dev.weightmap.safetensors;

import java.util.function.IntPredicate;

/**
 * Tensor name → entry number: an open-addressing table of name hashes ({@link String#hashCode}) and entry
 * numbers, kept at most half full. It holds no names itself: whoever probes it confirms a candidate whose hash
 * matches (by comparing header bytes while parsing, Strings afterwards), so no name has to exist as a String
 * for the table to be built.
 */
final class NameIndex {
    private int[] hashes;
    private int[] values; // entry number + 1; 0 marks an empty slot
    private int mask;
    private int size;

    NameIndex(int expectedEntries) {
        int cap = Integer.highestOneBit(Math.max(4, expectedEntries) * 2 - 1) << 1;
        hashes = new int[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    /**
     * Adds {@code hash → entry} unless an entry with that hash which {@code same} accepts is present; returns
     * -1 when added, else that present entry.
     */
    int putIfAbsent(int hash, int entry, IntPredicate same) {
        if ((size + 1) * 2 > hashes.length) {
            grow();
        }
        int i = spread(hash) & mask;
        int[] hs = hashes;
        int[] vs = values;
        while (true) {
            int v = vs[i];
            if (v == 0) {
                hs[i] = hash;
                vs[i] = entry + 1;
                size++;
                return -1;
            }
            if (hs[i] == hash && same.test(v - 1)) {
                return v - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /** The entry whose hash is {@code hash} and which {@code same} accepts, or -1. */
    int find(int hash, IntPredicate same) {
        int i = spread(hash) & mask;
        while (true) {
            int v = values[i];
            if (v == 0) {
                return -1;
            }
            if (hashes[i] == hash && same.test(v - 1)) {
                return v - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /** Renumbers every entry {@code e} as {@code newNumber[e]}. */
    void renumber(int[] newNumber) {
        int[] vs = values;
        for (int i = 0; i < vs.length; i++) {
            if (vs[i] != 0) {
                vs[i] = newNumber[vs[i] - 1] + 1;
            }
        }
    }

    private void grow() {
        int[] oldHashes = hashes;
        int[] oldValues = values;
        hashes = new int[oldHashes.length * 2];
        values = new int[oldHashes.length * 2];
        mask = hashes.length - 1;
        for (int j = 0; j < oldValues.length; j++) {
            if (oldValues[j] != 0) {
                int i = spread(oldHashes[j]) & mask;
                while (values[i] != 0) {
                    i = (i + 1) & mask;
                }
                hashes[i] = oldHashes[j];
                values[i] = oldValues[j];
            }
        }
    }
}
