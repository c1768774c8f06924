// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.testing.Gen;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Invariants of the planner over random sizes and storage groupings. */
@ExtendWith(Seeded.Extension.class)
class PlanningProperties {

    @Test
    void everyNameOnceAndShardsWithinLimit(Seeded seeded) {
        seeded.tries(300, g -> everyNameOnceAndShardsWithinLimit(g.list(0, 40, () -> g.longIn(0, 100)),
                g.ints(0, 40, 0, 8), g.longIn(0, 150)));
    }

    @Test
    void everyNameOnceAndShardsWithinLimitEdgeCases() {
        List<List<Long>> sizeLists = List.of(List.of(), List.of(0L), List.of(100L), nCopies(40, 0L),
                nCopies(40, 100L), nCopies(40, 1L), List.of(100L, 0L, 100L, 50L, 51L, 49L, 150L / 2));
        List<List<Integer>> groupLists = List.of(List.of(), List.of(0), List.of(8), nCopies(40, 0), nCopies(40, 1),
                nCopies(40, 8), List.of(1, 2, 1, 2, 0, 0, 3, 3, 3));
        for (List<Long> sizes : sizeLists) {
            for (List<Integer> groups : groupLists) {
                for (long max : new long[] {0, 1, 99, 100, 101, 150}) {
                    Seeded.example("sizes " + sizes + " groups " + groups + " max " + max,
                            () -> everyNameOnceAndShardsWithinLimit(sizes, groups, max));
                }
            }
        }
    }

    private static <T> List<T> nCopies(int n, T value) {
        return java.util.Collections.nCopies(n, value);
    }

    private static void everyNameOnceAndShardsWithinLimit(List<Long> sizes, List<Integer> groups, long max) {
        Map<String, long[]> sd = new LinkedHashMap<>();
        for (int i = 0; i < sizes.size(); i++) {
            int g = i < groups.size() ? groups.get(i) : 0;
            // group 0 = own storage; others share storage "g" with the size of the group's first member
            sd.put("t" + i, new long[] {sizes.get(i), g == 0 ? -1 - i : g});
        }
        Map<Long, Long> groupSize = new LinkedHashMap<>();
        for (long[] v : sd.values()) {
            groupSize.putIfAbsent(v[1], v[0]);
        }
        StateDictSplit s = StateDicts.split(sd, v -> groupSize.get(v[1]), v -> v[1], "m{suffix}.st", max);
        List<String> all = new ArrayList<>();
        s.filenameToTensors().values().forEach(all::addAll);
        assertThat(all).containsExactlyInAnyOrderElementsOf(sd.keySet());
        assertThat(s.tensorToFilename().keySet()).containsExactlyInAnyOrderElementsOf(sd.keySet());
        long expectedTotal = groupSize.values().stream().mapToLong(Long::longValue).sum();
        assertThat(s.totalSize()).isEqualTo(expectedTotal);
        for (List<String> names : s.filenameToTensors().values()) {
            Set<Long> seen = new HashSet<>();
            long sum = 0;
            for (String n : names) {
                if (seen.add(sd.get(n)[1])) {
                    sum += groupSize.get(sd.get(n)[1]);
                }
            }
            assertThat(sum <= max || seen.size() == 1).as("shard %s of %d bytes", names, sum).isTrue();
        }
        // one storage never spans two files
        Map<Long, String> fileOfGroup = new LinkedHashMap<>();
        sd.forEach((n, v) -> assertThat(fileOfGroup.computeIfAbsent(v[1], k -> s.tensorToFilename().get(n)))
                .isEqualTo(s.tensorToFilename().get(n)));
        assertThat(s.isSharded()).isEqualTo(s.filenameToTensors().size() > 1);
    }

    /** Pieces of size strings and paths, so that near misses of valid inputs come up often. */
    private static final String[] TOKENS = {"0", "1", "5", "9", "10", "100", "9223372036854775807",
        "9223372036854775808", "18446744073709551616", ".", ".5", "e3", "E", "-", "+", " ", "\t", "B", "b", "K", "KB",
        "kB", "KiB", "M", "MB", "MiB", "G", "GB", "GiB", "T", "TB", "TiB", "P", "PB", "x", "_", "/", "\\", "..",
        "a", "model.safetensors", "C:", ":", "\0", "\u0661", "\uFF11", "é", "\uD83D\uDE00", "\uD800"};

    /** Any string (up to 255 chars), or a few of {@link #TOKENS} in a row. */
    static String anyInput(Gen g) {
        if (g.nextBoolean()) {
            return g.anyString(255);
        }
        StringBuilder b = new StringBuilder();
        for (int k = g.intIn(0, 6); k > 0; k--) {
            b.append(g.pick(TOKENS));
        }
        return b.toString();
    }

    static final List<String> SPECIAL_INPUTS = List.of("", " ", "\0", "0", "1", "-1", "1KB", "1kb", "10 MB", "5GB",
        "1.5GiB", "1e3", "KB", "9223372036854775807", "9223372036854775808", "8EB", "9EiB", "\uFF15GB", "/", "\\",
        "..", ".", "a/../b", "../a", "a/..", "a\\b", "C:\\a", "C:a", "/a", "a//b", "a/./b", "a\0b", "\uD800",
        "x".repeat(255), "a/".repeat(100));

    @Test
    void sizeParsingFailsOnlyWithCheckpointException(Seeded seeded) {
        seeded.tries(500, g -> sizeParsingFailsOnlyWithCheckpointException(anyInput(g)));
    }

    @Test
    void shardNameValidationNeverThrowsOtherExceptions(Seeded seeded) {
        seeded.tries(300, g -> shardNameValidationNeverThrowsOtherExceptions(anyInput(g)));
    }

    @Test
    void stringEdgeCases() {
        for (String s : SPECIAL_INPUTS) {
            Seeded.example("size " + s, () -> sizeParsingFailsOnlyWithCheckpointException(s));
            Seeded.example("name " + s, () -> shardNameValidationNeverThrowsOtherExceptions(s));
        }
        for (char c = 0; c < 0x80; c++) {
            String s = String.valueOf(c);
            Seeded.example("size " + (int) c, () -> sizeParsingFailsOnlyWithCheckpointException(s));
            Seeded.example("name " + (int) c, () -> shardNameValidationNeverThrowsOtherExceptions(s));
        }
    }

    private static void sizeParsingFailsOnlyWithCheckpointException(String s) {
        try {
            ShardSize.parse(s);
        } catch (CheckpointException e) {
            assertThat(e.reason()).isEqualTo(CheckpointException.Reason.INVALID_SIZE);
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    private static void shardNameValidationNeverThrowsOtherExceptions(String name) {
        boolean safe = ShardNames.isSafeRelative(name);
        if (safe) {
            assertThat(name).doesNotStartWith("/").doesNotStartWith("\\").doesNotContain("\0");
        }
    }
}
