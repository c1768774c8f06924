// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.collect;

import java.util.AbstractList;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.function.IntFunction;

/**
 * A read-only random-access list whose elements are made on each {@code get} (the readers' {@code locations()}:
 * a million tensors need no million locations at once).
 *
 * @param <T> the element type
 */
public final class LazyList<T> extends AbstractList<T> implements RandomAccess {
    private final int size;
    private final IntFunction<T> element;

    /**
     * A list of {@code size} elements made by {@code element}.
     *
     * @param size    the number of elements
     * @param element the element at an index
     */
    public LazyList(int size, IntFunction<T> element) {
        this.size = size;
        this.element = element;
    }

    @Override
    public T get(int index) {
        Objects.checkIndex(index, size);
        return element.apply(index);
    }

    @Override
    public int size() {
        return size;
    }
}
