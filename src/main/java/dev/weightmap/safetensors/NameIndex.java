package dev.weightmap.safetensors;

/**
 * Tensor name → position: an open-addressing table of Strings and ints (no per-entry nodes or boxes), kept at
 * most half full.
 */
final class NameIndex {
    private String[] keys;
    private int[] values;
    private int mask;
    private int size;

    NameIndex(int expectedEntries) {
        int cap = Integer.highestOneBit(Math.max(4, expectedEntries) * 2 - 1) << 1;
        keys = new String[cap];
        values = new int[cap];
        mask = cap - 1;
    }

    private static int spread(int h) {
        return h ^ (h >>> 16);
    }

    /** Adds {@code key → value} unless the key is present; returns false when it was present. */
    boolean putIfAbsent(String key, int value) {
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        int i = spread(key.hashCode()) & mask;
        while (true) {
            String k = keys[i];
            if (k == null) {
                keys[i] = key;
                values[i] = value;
                size++;
                return true;
            }
            if (k.equals(key)) {
                return false;
            }
            i = (i + 1) & mask;
        }
    }

    private void grow() {
        String[] oldKeys = keys;
        int[] oldValues = values;
        keys = new String[oldKeys.length * 2];
        values = new int[oldKeys.length * 2];
        mask = keys.length - 1;
        size = 0;
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != null) {
                putIfAbsent(oldKeys[j], oldValues[j]);
            }
        }
    }

    /** Replaces the value of a present key. */
    void set(String key, int value) {
        int i = spread(key.hashCode()) & mask;
        while (!keys[i].equals(key)) {
            i = (i + 1) & mask;
        }
        values[i] = value;
    }

    /** The value of {@code key}, or -1. */
    int get(String key) {
        int i = spread(key.hashCode()) & mask;
        while (true) {
            String k = keys[i];
            if (k == null) {
                return -1;
            }
            if (k.equals(key)) {
                return values[i];
            }
            i = (i + 1) & mask;
        }
    }
}
