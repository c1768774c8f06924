// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import java.security.SecureRandom;
import java.util.function.IntPredicate;
import java.util.function.IntToLongFunction;

/**
 * Tensor name → entry number: an open-addressing table of name hashes and entry numbers, packed in one long per
 * slot (one cache line touched per probe) and kept at most three quarters full. It holds no names itself:
 * whoever probes it confirms a candidate whose hash matches (by comparing header bytes while parsing, Strings
 * afterwards), so no name has to exist as a String for the table to be built.
 *
 * <p>Names come from the file, so an attacker chooses them. The table starts with {@link String#hashCode}
 * (computed word by word while the header is scanned, at no extra cost), which anyone can make collide (131,072
 * names of "Aa"/"BB" pairs share one hash). When one insertion or lookup takes more than {@link #MAX_PROBES}
 * probes, or when the finished table holds a run of occupied slots longer than that, the table is rebuilt once
 * with {@link #strongHash}: SipHash-1-3 under a key drawn per process from {@link SecureRandom}, which no file
 * can aim at. Each operation then costs O(1) expected probes whatever the names; building costs at most
 * {@code MAX_PROBES} probes per name before the switch.
 */
final class NameIndex {
    /** Probes one operation may take before the table switches to the keyed hash. */
    static final int MAX_PROBES = 256;

    private long[] slots; // hash << 32 | (entry number + 1); 0 marks an empty slot
    private int mask;
    private int shift; // 32 - log2(slots.length)
    private int size;
    /** The keyed hash of an entry's name, used once {@link #hardened}. */
    private final IntToLongFunction strongHashOf;
    private boolean hardened;
    /** Probes taken by every operation so far (a work count for tests). */
    private long probes;

    /**
     * A table for about {@code expectedEntries} names; {@code strongHashOf} gives {@link #strongHash} of an entry's
     * name (called only if the table switches, while it is being built).
     */
    NameIndex(int expectedEntries, IntToLongFunction strongHashOf) {
        int want = Math.max(4, (int) Math.min(1 << 29, expectedEntries * 4L / 3 + 1)); // at most 3/4 full
        int cap = Integer.highestOneBit(want - 1) << 1;
        slots = new long[cap];
        mask = cap - 1;
        shift = 32 - Integer.numberOfTrailingZeros(cap);
        this.strongHashOf = strongHashOf;
    }

    /** The home slot of a hash: Fibonacci hashing, so that runs of near-equal hashes do not fill runs of slots. */
    private int home(int h) {
        return (h * 0x9E3779B9) >>> shift;
    }

    private static long slot(int hash, int entry) {
        return ((long) hash << 32) | (entry + 1L);
    }

    /** Whether the table switched to the keyed hash. */
    boolean hardened() {
        return hardened;
    }

    /** Probes taken by every operation so far. */
    long probes() {
        return probes;
    }

    /**
     * Adds {@code entry} (whose name has {@link String#hashCode} {@code hash}) unless an entry with the same name,
     * as {@code same} decides, is present; returns -1 when added, else that present entry.
     */
    int putIfAbsent(int hash, int entry, IntPredicate same) {
        if ((size + 1) * 4L > slots.length * 3L) {
            grow();
        }
        if (hardened) {
            hash = (int) strongHashOf.applyAsLong(entry);
        }
        long[] ss = slots;
        int m = mask;
        int i = home(hash);
        int n = 0;
        while (true) {
            long s = ss[i];
            if (s == 0) {
                probes += n + 1;
                if (n > MAX_PROBES && !hardened) {
                    harden(); // rebuilds from the entries present, then adds this one
                    return putIfAbsent(0, entry, same);
                }
                ss[i] = slot(hash, entry);
                size++;
                return -1;
            }
            if ((int) (s >>> 32) == hash && same.test((int) s - 1)) {
                probes += n + 1;
                return (int) s - 1;
            }
            i = (i + 1) & m;
            n++;
        }
    }

    /** How {@link #find} confirms that an entry whose hash matches has the name looked for. */
    interface Names {
        /**
         * Whether entry {@code e} is named {@code name}.
         *
         * @param e    the entry
         * @param name the name looked for
         * @return whether they are equal
         */
        boolean isNamed(int e, String name);
    }

    /** The entry named {@code name}, which {@code names} confirms, or -1. */
    int find(String name, Names names) {
        int hash = hardened ? (int) strongHash(name) : name.hashCode();
        long[] ss = slots;
        int i = home(hash);
        int n = 0;
        while (true) {
            n++;
            long s = ss[i];
            if (s == 0) {
                probes += n;
                return -1;
            }
            if ((int) (s >>> 32) == hash && names.isNamed((int) s - 1, name)) {
                probes += n;
                return (int) s - 1;
            }
            i = (i + 1) & mask;
        }
    }

    /**
     * Ends building: switches to the keyed hash when a run of occupied slots is longer than {@link #MAX_PROBES}
     * (a lookup of an absent name would walk it).
     */
    void seal() {
        if (hardened) {
            return;
        }
        long[] ss = slots;
        int run = 0;
        int first = -1; // the run at the start continues at the end (the table wraps)
        for (int i = 0; i < ss.length; i++) {
            if (ss[i] != 0) {
                run++;
            } else {
                if (first < 0) {
                    first = run;
                }
                run = 0;
            }
            if (run > MAX_PROBES) {
                harden();
                return;
            }
        }
        if (first >= 0 && run + first > MAX_PROBES) {
            harden();
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
        shift--;
        for (long s : old) {
            if (s != 0) {
                place(s);
            }
        }
    }

    private void place(long s) {
        int i = home((int) (s >>> 32));
        while (slots[i] != 0) {
            i = (i + 1) & mask;
            probes++;
        }
        slots[i] = s;
    }

    /** Rebuilds the table with every present entry under the keyed hash. */
    private void harden() {
        hardened = true;
        long[] old = slots;
        slots = new long[old.length];
        for (long s : old) {
            if (s != 0) {
                int e = (int) s - 1;
                place(slot((int) strongHashOf.applyAsLong(e), e));
            }
        }
    }

    /** The per-process key of {@link #strongHash}, drawn on first use. */
    private static final class Key {
        static final long K0;
        static final long K1;

        static {
            SecureRandom r = new SecureRandom();
            K0 = r.nextLong();
            K1 = r.nextLong();
        }
    }

    /** The keyed hash of a name: SipHash-1-3 of its UTF-16 code units, four to a 64-bit word. */
    static long strongHash(String s) {
        Sip h = new Sip();
        int n = s.length();
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            h.word(s.charAt(i) | (long) s.charAt(i + 1) << 16 | (long) s.charAt(i + 2) << 32
                    | (long) s.charAt(i + 3) << 48);
        }
        long last = 0;
        for (int k = 0; i < n; i++, k += 16) {
            last |= (long) s.charAt(i) << k;
        }
        return h.finish(last, n);
    }

    /**
     * {@link #strongHash(String)} of the ASCII (or ISO-8859-1) name in {@code b[from, from + length)}: equal to
     * that of the String of those bytes.
     */
    static long strongHash(byte[] b, int from, int length) {
        Sip h = new Sip();
        int i = from;
        int end = from + length;
        for (; i + 4 <= end; i += 4) {
            h.word((b[i] & 0xFFL) | (b[i + 1] & 0xFFL) << 16 | (b[i + 2] & 0xFFL) << 32 | (b[i + 3] & 0xFFL) << 48);
        }
        long last = 0;
        for (int k = 0; i < end; i++, k += 16) {
            last |= (b[i] & 0xFFL) << k;
        }
        return h.finish(last, length);
    }

    /** SipHash state: one compression round per word, three finalization rounds. */
    private static final class Sip {
        private long v0 = Key.K0 ^ 0x736f6d6570736575L;
        private long v1 = Key.K1 ^ 0x646f72616e646f6dL;
        private long v2 = Key.K0 ^ 0x6c7967656e657261L;
        private long v3 = Key.K1 ^ 0x7465646279746573L;

        private void round() {
            v0 += v1;
            v1 = Long.rotateLeft(v1, 13) ^ v0;
            v0 = Long.rotateLeft(v0, 32);
            v2 += v3;
            v3 = Long.rotateLeft(v3, 16) ^ v2;
            v0 += v3;
            v3 = Long.rotateLeft(v3, 21) ^ v0;
            v2 += v1;
            v1 = Long.rotateLeft(v1, 17) ^ v2;
            v2 = Long.rotateLeft(v2, 32);
        }

        void word(long m) {
            v3 ^= m;
            round();
            v0 ^= m;
        }

        long finish(long last, int length) {
            word(last ^ (long) length << 56); // the last 0-3 code units take at most 48 bits
            v2 ^= 0xff;
            round();
            round();
            round();
            return v0 ^ v1 ^ v2 ^ v3;
        }
    }
}
