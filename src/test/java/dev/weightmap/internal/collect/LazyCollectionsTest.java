// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.collect;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LazyCollectionsTest {
    private static final List<String> NAMES = List.of("b", "a", "c");

    /** An {@link LazyMap.Indexed} map over {@link #NAMES} whose values {@code value} makes. */
    private static Map<String, String> byPosition(java.util.function.IntFunction<String> value) {
        return new LazyMap.Indexed<>(NAMES.size()) {
            @Override
            protected String name(int i) {
                return NAMES.get(i);
            }

            @Override
            protected int indexOf(String name) {
                return NAMES.indexOf(name);
            }

            @Override
            protected String value(int i) {
                return value.apply(i);
            }
        };
    }

    @Test
    void indexedMapFollowsTheNamesAndMakesOnlyWhatIsAskedFor() {
        List<Integer> made = new ArrayList<>();
        Map<String, String> m = byPosition(i -> {
            made.add(i);
            return NAMES.get(i).toUpperCase();
        });
        assertThat(m.containsKey("a")).isTrue();
        assertThat(m.containsKey("z")).isFalse();
        assertThat(m.containsKey(1)).isFalse();
        assertThat(made).isEmpty();
        assertThat(m.get("c")).isEqualTo("C");
        assertThat(m.get("z")).isNull();
        assertThat(m.get(null)).isNull();
        assertThat(made).containsExactly(2);
        assertThat(m.size()).isEqualTo(3);
        assertThat(m.keySet()).containsExactly("b", "a", "c");
        assertThat(m.values()).containsExactly("B", "A", "C");
        assertThat(m).isEqualTo(Map.of("a", "A", "b", "B", "c", "C"));
    }

    @Test
    void keyedMapAsksContainsBeforeMakingAValue() {
        List<String> made = new ArrayList<>();
        Map<String, Integer> m = LazyMap.keyed(NAMES, NAMES::contains, s -> {
            made.add(s);
            return s.length();
        });
        assertThat(m.containsKey("b")).isTrue();
        assertThat(m.get("x")).isNull();
        assertThat(made).isEmpty();
        assertThat(m.get("a")).isEqualTo(1);
        assertThat(m.entrySet()).extracting(Map.Entry::getKey).containsExactly("b", "a", "c");
        assertThat(made).containsExactly("a", "b", "a", "c");
    }

    @Test
    void mapsAndListsAreReadOnly() {
        Map<String, String> m = byPosition(NAMES::get);
        assertThatThrownBy(() -> m.put("d", "D")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> m.entrySet().iterator().remove()).isInstanceOf(UnsupportedOperationException.class);
        var it = m.entrySet().iterator();
        it.next();
        it.next();
        it.next();
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
        List<Integer> l = new LazyList<>(3, i -> i * i);
        assertThat(l).containsExactly(0, 1, 4);
        assertThatThrownBy(() -> l.get(3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> l.add(9)).isInstanceOf(UnsupportedOperationException.class);
    }
}
