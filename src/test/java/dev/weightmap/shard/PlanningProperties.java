// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Invariants of the planner over random sizes and storage groupings. */
class PlanningProperties {

    @Property(tries = 300)
    void everyNameOnceAndShardsWithinLimit(@ForAll @Size(max = 40) List<@LongRange(min = 0, max = 100) Long> sizes,
                                           @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 8) Integer> groups,
                                           @ForAll @LongRange(min = 0, max = 150) long max) {
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

    @Property(tries = 500)
    void sizeParsingFailsOnlyWithCheckpointException(@ForAll String s) {
        try {
            ShardSize.parse(s);
        } catch (CheckpointException e) {
            assertThat(e.reason()).isEqualTo(CheckpointException.Reason.INVALID_SIZE);
            assertThat(e.getMessage()).isNotBlank();
        }
    }

    @Property(tries = 300)
    void shardNameValidationNeverThrowsOtherExceptions(@ForAll String name) {
        boolean safe = ShardNames.isSafeRelative(name);
        if (safe) {
            assertThat(name).doesNotStartWith("/").doesNotStartWith("\\").doesNotContain("\0");
        }
    }
}
