// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/** hub's {@code split_state_dict_into_shards_factory}, step for step. */
final class Planner {
    private Planner() {
    }

    static <T> StateDictSplit split(Map<String, T> stateDict, ToLongFunction<? super T> storageSize,
                                    Function<? super T, ?> storageId, FilenamePattern pattern, long maxShardSize) {
        Map<Object, List<String>> storageIdToNames = new LinkedHashMap<>();
        List<LinkedHashSet<String>> shards = new ArrayList<>();
        LinkedHashSet<String> current = new LinkedHashSet<>();
        long currentSize = 0;
        long totalSize = 0;
        for (Map.Entry<String, T> e : stateDict.entrySet()) {
            String key = e.getKey();
            T tensor = e.getValue();
            if (tensor == null) {
                throw new IllegalArgumentException("state dict entry '" + key + "' is null");
            }
            if (tensor instanceof CharSequence) {
                continue; // hub skips string values (bitsandbytes serialisation leftovers)
            }
            Object sid = storageId.apply(tensor);
            if (sid != null) {
                List<String> group = storageIdToNames.get(sid);
                if (group != null) {
                    group.add(key);
                    continue;
                }
                group = new ArrayList<>();
                group.add(key);
                storageIdToNames.put(sid, group);
            }
            long size = storageSize.applyAsLong(tensor);
            if (size > maxShardSize) {
                totalSize = Math.addExact(totalSize, size);
                LinkedHashSet<String> own = new LinkedHashSet<>();
                own.add(key);
                shards.add(own);
                continue;
            }
            if (currentSize + size > maxShardSize) {
                shards.add(current);
                current = new LinkedHashSet<>();
                currentSize = 0;
            }
            current.add(key);
            currentSize += size;
            totalSize = Math.addExact(totalSize, size);
        }
        if (!current.isEmpty()) {
            shards.add(current);
        }
        int count = shards.size();
        Map<String, Integer> shardOf = new HashMap<>();
        for (int i = 0; i < count; i++) {
            for (String k : shards.get(i)) {
                shardOf.putIfAbsent(k, i);
            }
        }
        for (List<String> group : storageIdToNames.values()) {
            Integer i = shardOf.get(group.get(0));
            if (i == null) {
                continue;
            }
            shards.get(i).addAll(group); // re-adding the first key keeps its place; aliases go to the end
        }
        Map<String, List<String>> files = new LinkedHashMap<>();
        if (count == 1) {
            files.put(pattern.single(), new ArrayList<>(shards.get(0)));
        } else {
            for (int i = 0; i < count; i++) {
                files.put(pattern.shard(i + 1, count), new ArrayList<>(shards.get(i)));
            }
        }
        return new StateDictSplit(totalSize, files);
    }
}
