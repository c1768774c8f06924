// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The random source of one try: a {@link RandomGenerator} over a seeded {@link SplittableRandom}, plus generators
 * of test inputs. The range generators return a boundary of the range now and then (the minimum, the maximum, their
 * neighbours, zero when inside) and otherwise favour small values as often as uniform ones, so that short inputs
 * and limits come up in every run.
 */
public final class Gen implements RandomGenerator {

    /** One draw in this many returns a boundary value. */
    private static final int EDGE_ONE_IN = 12;

    private static final long[] LONG_EDGES = {0, 1, -1, 2, -2, Long.MIN_VALUE, Long.MIN_VALUE + 1,
        Long.MAX_VALUE, Long.MAX_VALUE - 1, Integer.MAX_VALUE, Integer.MIN_VALUE, 0xFFFF_FFFFL};

    private final SplittableRandom random;

    /** A generator with the given seed. */
    public Gen(long seed) {
        this.random = new SplittableRandom(seed);
    }

    @Override
    public long nextLong() {
        return random.nextLong();
    }

    /** An int in {@code [min, max]}: a boundary one time in twelve, else half small, half uniform. */
    public int intIn(int min, int max) {
        return (int) longIn(min, max);
    }

    /** A long in {@code [min, max]}: a boundary one time in twelve, else half small, half uniform. */
    public long longIn(long min, long max) {
        if (min > max) {
            throw new IllegalArgumentException(min + " > " + max);
        }
        if (min == max) {
            return min;
        }
        if (random.nextInt(EDGE_ONE_IN) == 0) {
            long[] edges = {min, max, min + 1, max - 1, min < 0 && max > 0 ? 0 : min};
            return edges[random.nextInt(edges.length)];
        }
        if (random.nextBoolean()) {
            return uniform(min, max);
        }
        // small: near min (or near zero when the range holds it), within a random power of two
        long base = min < 0 && max > 0 ? 0 : min;
        long reach = Math.max(max - base, base - min);
        int bits = random.nextInt(reach < 0 ? 64 : 65 - Long.numberOfLeadingZeros(reach));
        long span = bits == 63 ? Long.MAX_VALUE : (1L << bits) - 1;
        long lo = Math.max(min, base - span > base ? Long.MIN_VALUE : base - span);
        long hi = base + span < base ? max : Math.min(max, base + span);
        if (base == min) {
            lo = min;
        }
        return uniform(lo, hi);
    }

    /** Any long: a special value (0, ±1, the limits, ...) one time in twelve, else uniform. */
    public long anyLong() {
        return random.nextInt(EDGE_ONE_IN) == 0 ? LONG_EDGES[random.nextInt(LONG_EDGES.length)] : random.nextLong();
    }

    /** One of {@code values}, uniformly. */
    @SafeVarargs
    public final <T> T pick(T... values) {
        return values[random.nextInt(values.length)];
    }

    /** One of {@code values}, uniformly. */
    public <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** Random bytes, {@code 0..maxLength} of them (length as {@link #intIn}); now and then all one value. */
    public byte[] bytes(int maxLength) {
        byte[] b = new byte[intIn(0, maxLength)];
        if (random.nextInt(EDGE_ONE_IN) == 0) {
            java.util.Arrays.fill(b, pick((byte) 0, (byte) -1, (byte) 1, Byte.MIN_VALUE, Byte.MAX_VALUE));
        } else {
            random.nextBytes(b);
        }
        return b;
    }

    /** A list of {@code minSize..maxSize} elements (size as {@link #intIn}) drawn from {@code element}. */
    public <T> List<T> list(int minSize, int maxSize, Supplier<T> element) {
        int n = intIn(minSize, maxSize);
        List<T> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(element.get());
        }
        return out;
    }

    /** A list of {@code minSize..maxSize} ints, each in {@code [min, max]} (as {@link #intIn}). */
    public List<Integer> ints(int minSize, int maxSize, int min, int max) {
        return list(minSize, maxSize, () -> intIn(min, max));
    }

    /**
     * A map of at most {@code maxSize} entries (fewer when keys repeat), in insertion order; like a map of random
     * keys, the size is drawn first and repeated keys keep the last value.
     */
    public <K, V> Map<K, V> map(int maxSize, Supplier<K> key, Supplier<V> value) {
        int n = intIn(0, maxSize);
        Map<K, V> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            out.put(key.get(), value.get());
        }
        return out;
    }

    /** A string of {@code minLength..maxLength} chars (length as {@link #intIn}) taken from {@code alphabet}. */
    public String string(int minLength, int maxLength, String alphabet) {
        int n = intIn(minLength, maxLength);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    /** A string of {@code minLength..maxLength} chars (length as {@link #intIn}), each in {@code [lo, hi]}. */
    public String string(int minLength, int maxLength, char lo, char hi) {
        int n = intIn(minLength, maxLength);
        StringBuilder b = new StringBuilder(n);
        for (int i = 0; i < n; i++) {
            b.append((char) intIn(lo, hi));
        }
        return b.toString();
    }

    /**
     * Any string of up to {@code maxLength} UTF-16 units: each char is printable ASCII, a control char, any BMP
     * unit (lone surrogates included) or a valid surrogate pair, so short odd strings come up often.
     */
    public String anyString(int maxLength) {
        int n = intIn(0, maxLength);
        StringBuilder b = new StringBuilder(n);
        while (b.length() < n) {
            switch (random.nextInt(6)) {
                case 0, 1, 2 -> b.append((char) (' ' + random.nextInt(95)));
                case 3 -> b.append((char) random.nextInt(0x20));
                case 4 -> b.append((char) intIn(0, 0xFFFF));
                default -> {
                    if (b.length() + 2 <= n) {
                        b.appendCodePoint(0x10000 + random.nextInt(0x100000));
                    } else {
                        b.append((char) random.nextInt(0x80));
                    }
                }
            }
        }
        return b.toString();
    }

    private long uniform(long lo, long hi) {
        if (hi - lo >= 0 && hi - lo < Long.MAX_VALUE) {
            return lo + random.nextLong(hi - lo + 1);
        }
        // the span does not fit in a long: draw until inside
        while (true) {
            long v = random.nextLong();
            if (v >= lo && v <= hi) {
                return v;
            }
        }
    }
}
