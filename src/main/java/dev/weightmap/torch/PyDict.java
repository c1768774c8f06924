// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pickled dict: insertion order, Python key equality ({@code 1 == 1.0 == True}), and hashing that hostile keys
 * cannot turn quadratic. Keys are looked up through a {@link Key}: one class that is {@link Comparable}, so the
 * backing {@link java.util.HashMap} keeps colliding keys in balanced tree bins (O(log n) whatever the hash codes;
 * mixed key classes in one bin, which defeat that fallback, cannot occur). A key's canonical form is built once,
 * within a budget of elements counted with repetition, so a memo-shared tuple tree (64^8 leaves from a few hundred
 * pickle bytes) is refused rather than expanded. Read-only to callers; the pickle machine fills it with
 * {@link #putKey}.
 */
final class PyDict extends AbstractMap<Object, Object> {
    /** Largest canonical key: elements (tuples and scalars) visited, repetitions included. */
    static final int MAX_KEY_ELEMENTS = 1024;
    /** Deepest tuple nesting in a key. */
    static final int MAX_KEY_DEPTH = 16;

    /** Why a key was refused. */
    static final class KeyException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final boolean overBudget;

        KeyException(String message, boolean overBudget) {
            super(message, null, false, false);
            this.overBudget = overBudget;
        }
    }

    private final LinkedHashMap<Key, Object> map = new LinkedHashMap<>();

    /**
     * Adds or replaces (keeping the first position, as Python does) the value of {@code raw}.
     *
     * @return the number of key elements visited (for the caller's work budget)
     * @throws KeyException for an unhashable or over-budget key
     */
    int putKey(Object raw, Object value) {
        Key k = Key.of(raw);
        map.put(k, value); // HashMap keeps the first key object (and LinkedHashMap its position), as Python does
        return k.cost;
    }

    @Override
    public Object get(Object key) {
        Key k = Key.lookup(key);
        return k == null ? null : map.get(k);
    }

    @Override
    public boolean containsKey(Object key) {
        Key k = Key.lookup(key);
        return k != null && map.containsKey(k);
    }

    @Override
    public int size() {
        return map.size();
    }

    @Override
    public Set<Entry<Object, Object>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<Object, Object>> iterator() {
                Iterator<Entry<Key, Object>> it = map.entrySet().iterator();
                return new Iterator<>() {
                    @Override
                    public boolean hasNext() {
                        return it.hasNext();
                    }

                    @Override
                    public Entry<Object, Object> next() {
                        Entry<Key, Object> e = it.next();
                        return new SimpleImmutableEntry<>(e.getKey().raw, e.getValue());
                    }
                };
            }

            @Override
            public int size() {
                return map.size();
            }
        };
    }

    /** A read-only set with Python item equality, as {@link PyDict} keys. */
    static final class PySet extends AbstractSet<Object> {
        private final PyDict items = new PyDict();

        /** Adds {@code raw}; returns the key elements visited. */
        int addItem(Object raw) {
            return items.putKey(raw, Boolean.TRUE);
        }

        @Override
        public boolean contains(Object o) {
            return items.containsKey(o);
        }

        @Override
        public Iterator<Object> iterator() {
            Iterator<Entry<Object, Object>> it = items.entrySet().iterator();
            return new Iterator<>() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Object next() {
                    return it.next().getKey();
                }
            };
        }

        @Override
        public int size() {
            return items.size();
        }

    }

    /** The bytes of a {@code bytes} key, compared by content. */
    private record Bytes(byte[] b) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes x && Arrays.equals(b, x.b);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(b);
        }
    }

    private static final Object NONE = new Object();

    /**
     * A key in canonical form: None, Long (ints, bools and integral floats in range), BigInteger (other ints and
     * integral floats), Double (other floats; NaN equals NaN), String, Bytes or Object[] (tuples).
     */
    static final class Key implements Comparable<Key> {
        final Object raw;
        private final Object canonical;
        private final int hash;
        final int cost;

        private Key(Object raw, Object canonical, int hash, int cost) {
            this.raw = raw;
            this.canonical = canonical;
            this.hash = hash;
            this.cost = cost;
        }

        static Key of(Object raw) {
            int[] budget = {MAX_KEY_ELEMENTS};
            Object c = canonical(raw, 0, budget);
            return new Key(raw, c, hash(c), MAX_KEY_ELEMENTS - budget[0]);
        }

        /** The key for a lookup, or null when {@code raw} cannot be a key. */
        static Key lookup(Object raw) {
            try {
                return of(raw);
            } catch (KeyException e) {
                return null;
            }
        }

        private static Object canonical(Object k, int depth, int[] budget) {
            if (--budget[0] < 0) {
                throw new KeyException("dict key or set item of more than " + MAX_KEY_ELEMENTS
                        + " elements (tuples are counted with every repetition)", true);
            }
            if (k == null) {
                return NONE;
            }
            if (k instanceof String || k instanceof Long) {
                return k;
            }
            if (k instanceof Boolean b) {
                return b ? 1L : 0L;
            }
            if (k instanceof Integer i) {
                return (long) i;
            }
            if (k instanceof BigInteger b) {
                return b.bitLength() < 64 ? (Object) b.longValue() : b;
            }
            if (k instanceof Double d) {
                if (Double.isNaN(d) || Double.isInfinite(d) || d != Math.rint(d)) {
                    return d.isNaN() ? Double.NaN : d;
                }
                if (d >= -0x1p63 && d < 0x1p63) {
                    return (long) (double) d;
                }
                return new BigDecimal(d).toBigInteger();
            }
            if (k instanceof byte[] b) {
                return new Bytes(b);
            }
            if (k instanceof List<?> l && !(k instanceof java.util.ArrayList<?>)) {
                if (depth >= MAX_KEY_DEPTH) {
                    throw new KeyException("dict key or set item nested deeper than " + MAX_KEY_DEPTH + " tuples", true);
                }
                if (l.size() > budget[0]) {
                    throw new KeyException("dict key or set item of more than " + MAX_KEY_ELEMENTS
                            + " elements (tuples are counted with every repetition)", true);
                }
                Object[] out = new Object[l.size()];
                for (int i = 0; i < out.length; i++) {
                    out[i] = canonical(l.get(i), depth + 1, budget);
                }
                return out;
            }
            throw new KeyException("unsupported dict key or set item of type " + PickleMachine.typeName(k), false);
        }

        private static int rank(Object c) {
            if (c == NONE) {
                return 0;
            }
            if (c instanceof Long) {
                return 1;
            }
            if (c instanceof BigInteger) {
                return 2;
            }
            if (c instanceof Double) {
                return 3;
            }
            if (c instanceof String) {
                return 4;
            }
            if (c instanceof Bytes) {
                return 5;
            }
            return 6; // Object[]
        }

        private static int hash(Object c) {
            if (c instanceof Object[] a) {
                int h = 7;
                for (Object o : a) {
                    h = h * 31 + hash(o);
                }
                return h;
            }
            if (c == NONE) {
                return 0;
            }
            return c.hashCode();
        }

        private static int compare(Object a, Object b) {
            int ra = rank(a);
            int rb = rank(b);
            if (ra != rb) {
                return Integer.compare(ra, rb);
            }
            return switch (ra) {
                case 0 -> 0;
                case 1 -> Long.compare((Long) a, (Long) b);
                case 2 -> ((BigInteger) a).compareTo((BigInteger) b);
                case 3 -> Double.compare((Double) a, (Double) b);
                case 4 -> ((String) a).compareTo((String) b);
                case 5 -> Arrays.compare(((Bytes) a).b, ((Bytes) b).b);
                default -> {
                    Object[] x = (Object[]) a;
                    Object[] y = (Object[]) b;
                    int n = Math.min(x.length, y.length);
                    for (int i = 0; i < n; i++) {
                        int r = compare(x[i], y[i]);
                        if (r != 0) {
                            yield r;
                        }
                    }
                    yield Integer.compare(x.length, y.length);
                }
            };
        }

        @Override
        public int compareTo(Key o) {
            return compare(canonical, o.canonical);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && (k == this || (hash == k.hash && compare(canonical, k.canonical) == 0));
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
