// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * The tensor names of a parsed header, in data order. A name that is plain ASCII in the header (no escapes,
 * the usual case) is kept as its position in the source segment and becomes a String only when asked for;
 * other names were decoded while parsing. Opening a file with 30,000 tensors therefore builds no Strings, and
 * looking one tensor up builds one. Concurrent readers may both build the same name: Strings are immutable, so
 * the race is benign.
 */
final class TensorNames implements NameIndex.Names {
    private final MemorySegment source;
    private final long base; // offset in source of position 0 of the starts
    private final int[] starts;
    private final int[] lengths; // -1: strings[i] was set while parsing
    private final String[] strings;
    private final NameIndex index;
    private final int count;
    /** The array behind {@link #source} when it is one (the header's own copy): names are built from it directly. */
    private final byte[] array;

    TensorNames(MemorySegment source, long base, int[] starts, int[] lengths, String[] strings, NameIndex index,
                int count) {
        this.source = source;
        this.base = base;
        this.starts = starts;
        this.lengths = lengths;
        this.strings = strings;
        this.index = index;
        this.count = count;
        byte[] a = null;
        if (!source.isNative() && !source.isReadOnly() && source.heapBase().orElse(null) instanceof byte[] b
                && source.address() == 0 && source.byteSize() == b.length) {
            a = b;
        }
        this.array = a;
    }

    /**
     * Whether the names are read from a heap copy of the header (not a mapping, which a close unmaps), so every
     * name can still be built after the file is closed.
     */
    boolean onHeap() {
        return !source.isNative();
    }

    int size() {
        return count;
    }

    /** Name of entry i (built from the source segment on first use; fails once that segment is closed). */
    String get(int i) {
        String s = strings[i];
        if (s == null) {
            int len = lengths[i];
            if (array != null) {
                s = new String(array, (int) base + starts[i], len, StandardCharsets.ISO_8859_1); // ASCII, checked
            } else {
                byte[] b = new byte[len];
                // segment to segment: copying into the array itself would first link the JDK's array-type switch
                MemorySegment.ofArray(b).copyFrom(source.asSlice(base + starts[i], len));
                s = new String(b, StandardCharsets.ISO_8859_1); // ASCII, checked while parsing
            }
            strings[i] = s;
        }
        return s;
    }

    /** The entry named {@code name}, or -1. */
    int indexOf(String name) {
        return index.find(name, this);
    }

    @Override
    public boolean isNamed(int e, String name) {
        return get(e).equals(name);
    }

    /** The name table (for tests: whether it switched to the keyed hash, the probes taken). */
    NameIndex index() {
        return index;
    }

    String[] toArray() {
        String[] out = new String[count];
        for (int i = 0; i < count; i++) {
            out[i] = get(i);
        }
        return out;
    }
}
