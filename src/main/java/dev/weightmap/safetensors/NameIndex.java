package dev.weightmap.safetensors;

/**
 * Tensor name → position: an open-addressing table of Strings, their hashes and ints (no per-entry nodes or
 * boxes), kept at most half full. The stored hashes spare {@link String#equals} on colliding slots.
 */
final class NameIndex {
    private String[] keys;
    private int[] hashes;
    private int[] values;
    private int mask;
    private int size;

    NameIndex(int expectedEntries) {
        int cap = Integer.highestOneBit(Math.max(4, expectedEntries) * 2 - 1) << 1;
        keys = new String[cap];
        hashes = new int[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    /** Adds {@code key → value} unless the key is present; returns false when it was present. */
    boolean putIfAbsent(String key, int value) {
        return putIfAbsent(key, key.hashCode(), value);
    }

    /** {@link #putIfAbsent(String, int)} with the key's {@link String#hashCode} computed by the caller. */
    boolean putIfAbsent(String key, int h, int value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = spread(h) & mask;
        String[] ks = keys;
        int[] hs = hashes;
        while (true) {
            String k = ks[i];
            if (k == null) {
                ks[i] = key;
                hs[i] = h;
                values[i] = value;
                size++;
                return true;
            }
            if (hs[i] == h && k.equals(key)) {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        String[] oldKeys = keys;
        int[] oldHashes = hashes;
        int[] oldValues = values;
        keys = new String[oldKeys.length * 2];
        hashes = new int[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != null) {
                int i = spread(oldHashes[j]) & mask;
                while (keys[i] != null) {
                    i = (i + 1) & mask;
                }
                keys[i] = oldKeys[j];
                hashes[i] = oldHashes[j];
                values[i] = oldValues[j];
            }
        }
    }

    /** Replaces the value of a present key. */
    void set(String key, int value) {
        int h = key.hashCode();
        int i = spread(h) & mask;
        while (hashes[i] != h || !keys[i].equals(key)) {
            i = (i + 1) & mask;
        }
        values[i] = value;
    }

    /** The value of {@code key}, or -1. */
    int get(String key) {
        int h = key.hashCode();
        int i = spread(h) & mask;
        while (true) {
            String k = keys[i];
            if (k == null) {
                return -1;
            }
            if (hashes[i] == h && k.equals(key)) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
    }
}
