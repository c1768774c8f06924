// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The seeded try runner and the generators. */
@ExtendWith(Seeded.Extension.class)
class SeededTest {

    @Test
    void theExtensionNamesTheSourceAfterTheTest(Seeded seeded) {
        assertThat(seeded.name()).isEqualTo(SeededTest.class.getName() + "#theExtensionNamesTheSourceAfterTheTest");
    }

    @Test
    void triesAreReproducibleAndDiffer() {
        Seeded a = Seeded.named("x");
        Seeded b = Seeded.named("x");
        assertThat(a.generator(7).nextLong()).isEqualTo(b.generator(7).nextLong());
        assertThat(a.generator(7).nextLong()).isNotEqualTo(a.generator(8).nextLong());
        assertThat(a.generator(7).nextLong()).isNotEqualTo(Seeded.named("y").generator(7).nextLong());
    }

    @Test
    void everyTryRuns() {
        List<Long> seen = new ArrayList<>();
        Seeded.named("count").tries(37, g -> seen.add(g.nextLong()));
        assertThat(seen).hasSize(Seeded.scaled(37));
        assertThat(new HashSet<>(seen)).hasSize(seen.size());
    }

    @Test
    void aFailureNamesTheSeedAndTheTry() {
        int[] calls = {0};
        assertThatThrownBy(() -> Seeded.named("fails").tries(100, g -> {
            if (++calls[0] == 5) {
                throw new IllegalStateException("boom");
            }
        })).isInstanceOf(AssertionError.class)
                .hasMessageContaining("fails failed on try 4 of ")
                .hasMessageContaining("-Dweightmap.seed=" + Seeded.runSeed())
                .hasMessageContaining("-Dweightmap.try=4")
                .hasMessageContaining("boom")
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void anExampleFailureNamesTheCase() {
        assertThatThrownBy(() -> Seeded.example("len 0", () -> assertThat(1).isEqualTo(2)))
                .isInstanceOf(AssertionError.class).hasMessageStartingWith("case len 0 failed: ");
    }

    @Test
    void rangesStayInsideAndReachTheirBounds() {
        Gen g = new Gen(1);
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            long v = g.longIn(-3, 40_000_000);
            assertThat(v).isBetween(-3L, 40_000_000L);
            seen.add(v);
            assertThat(g.intIn(5, 9)).isBetween(5, 9);
            assertThat(g.longIn(Long.MIN_VALUE, Long.MAX_VALUE)).isNotNull();
            assertThat(g.longIn(Long.MAX_VALUE - 2, Long.MAX_VALUE)).isGreaterThanOrEqualTo(Long.MAX_VALUE - 2);
            assertThat(g.bytes(10).length).isBetween(0, 10);
            assertThat(g.string(1, 3, "ab")).hasSizeBetween(1, 3).matches("[ab]+");
            assertThat(g.anyString(6).length()).isBetween(0, 6);
        }
        assertThat(seen).contains(-3L, -2L, 0L, 39_999_999L, 40_000_000L);
        // about half of the draws are small
        long small = seen.stream().filter(v -> v < 1000).count();
        assertThat(small).isGreaterThan(300);
        Set<Long> longs = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            longs.add(g.anyLong());
        }
        assertThat(longs).contains(0L, Long.MIN_VALUE, Long.MAX_VALUE, -1L);
    }
}
