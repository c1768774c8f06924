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
import java.util.function.IntFunction;
import java.util.function.Predicate;
import java.util.function.ToIntFunction;

/**
 * A read-only map over a fixed list of names whose values are made on access (the readers' {@code tensors()}):
 * iteration follows the names, {@code get} and {@code containsKey} look one name up without making the others.
 *
 * @param <V> the value type
 */
public final class LazyMap<V> extends AbstractMap<String, V> {
    private final int size;
    private final IntFunction<String> nameAt;
    private final IntFunction<V> valueAt;
    private final Predicate<String> contains;
    private final Function<String, V> valueOf;

    private LazyMap(int size, IntFunction<String> nameAt, IntFunction<V> valueAt, Predicate<String> contains,
                    Function<String, V> valueOf) {
        this.size = size;
        this.nameAt = nameAt;
        this.valueAt = valueAt;
        this.contains = contains;
        this.valueOf = valueOf;
    }

    /**
     * A map of {@code size} names at positions 0 to {@code size - 1}: {@code nameAt} gives the name at a position,
     * {@code indexOf} finds a name's position (-1 when absent) and {@code valueAt} makes the value at a position.
     *
     * @param size    the number of names
     * @param nameAt  the name at a position, in iteration order
     * @param indexOf a name's position, or -1
     * @param valueAt the value at a position
     * @param <V>     the value type
     * @return the map
     */
    public static <V> Map<String, V> indexed(int size, IntFunction<String> nameAt, ToIntFunction<String> indexOf,
                                             IntFunction<V> valueAt) {
        return new LazyMap<>(size, nameAt, valueAt, s -> indexOf.applyAsInt(s) >= 0, s -> {
            int i = indexOf.applyAsInt(s);
            return i < 0 ? null : valueAt.apply(i);
        });
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
        return new LazyMap<>(names.size(), names::get, i -> valueOf.apply(names.get(i)), contains,
                s -> contains.test(s) ? valueOf.apply(s) : null);
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
                        return Map.entry(nameAt.apply(k), valueAt.apply(k));
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
        return key instanceof String s ? valueOf.apply(s) : null;
    }

    @Override
    public boolean containsKey(Object key) {
        return key instanceof String s && contains.test(s);
    }
}
