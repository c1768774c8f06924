// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.collect;

import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * A read-only map over a fixed list of names whose values are made on access (the readers' {@code tensors()}):
 * iteration follows the names, {@code get} and {@code containsKey} look one name up without making the others.
 * A reader that finds names by position subclasses {@link Indexed} (the safetensors and GGUF readers: a class, so
 * opening a file links no lambda, see "Cold start" in {@code docs/ARCHITECTURE.md}); one that finds values by name
 * passes functions to {@link #keyed}.
 *
 * @param <V> the value type
 */
public abstract class LazyMap<V> extends AbstractMap<String, V> {
    private final int size;

    private LazyMap(int size) {
        this.size = size;
    }

    /** The name at position {@code i}, in iteration order. */
    abstract String nameAt(int i);

    /** The value at position {@code i}. */
    abstract V valueAt(int i);

    /** Whether {@code name} is one of the names (without making its value). */
    abstract boolean has(String name);

    /** The value of {@code name}, or null when it is not one of the names. */
    abstract V valueOf(String name);

    /**
     * A map of {@code size} names at positions 0 to {@code size - 1}, found by position: a subclass says the name
     * at a position, a name's position (-1 when absent) and makes the value at a position.
     *
     * @param <V> the value type
     */
    public abstract static class Indexed<V> extends LazyMap<V> {
        /**
         * A map of {@code size} names.
         *
         * @param size the number of names
         */
        protected Indexed(int size) {
            super(size);
        }

        /**
         * The name at a position.
         *
         * @param i the position, from 0 to {@code size - 1}
         * @return the name
         */
        protected abstract String name(int i);

        /**
         * A name's position.
         *
         * @param name the name
         * @return its position, or -1
         */
        protected abstract int indexOf(String name);

        /**
         * Makes the value at a position.
         *
         * @param i the position
         * @return the value
         */
        protected abstract V value(int i);

        @Override
        final String nameAt(int i) {
            return name(i);
        }

        @Override
        final V valueAt(int i) {
            return value(i);
        }

        @Override
        final boolean has(String name) {
            return indexOf(name) >= 0;
        }

        @Override
        final V valueOf(String name) {
            int i = indexOf(name);
            return i < 0 ? null : value(i);
        }
    }

    /**
     * A map whose values are made by name: {@code contains} says whether a name is present (without making its
     * value) and {@code valueOf} makes the value of a present name.
     *
     * @param names    the names, in iteration order
     * @param contains whether a name is present
     * @param valueOf  the value of a present name
     * @param <V>      the value type
     * @return the map
     */
    public static <V> Map<String, V> keyed(List<String> names, Predicate<String> contains,
                                           Function<String, V> valueOf) {
        return new LazyMap<>(names.size()) {
            @Override
            String nameAt(int i) {
                return names.get(i);
            }

            @Override
            V valueAt(int i) {
                return valueOf.apply(names.get(i));
            }

            @Override
            boolean has(String name) {
                return contains.test(name);
            }

            @Override
            V valueOf(String name) {
                return contains.test(name) ? valueOf.apply(name) : null;
            }
        };
    }

    @Override
    public Set<Entry<String, V>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, V>> iterator() {
                return new Iterator<>() {
                    private int i;

                    @Override
                    public boolean hasNext() {
                        return i < size;
                    }

                    @Override
                    public Entry<String, V> next() {
                        if (!hasNext()) {
                            throw new NoSuchElementException();
                        }
                        int k = i++;
                        return Map.entry(nameAt(k), valueAt(k));
                    }
                };
            }

            @Override
            public int size() {
                return size;
            }
        };
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public V get(Object key) {
        return key instanceof String s ? valueOf(s) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String s && has(s);
    }
}
