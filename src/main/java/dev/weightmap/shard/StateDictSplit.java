// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The result of planning a state dict into shards (huggingface_hub's {@code StateDictSplit}).
 *
 * <p>All maps keep hub's order: files in shard order, tensor names in shard then in-shard order. The object is
 * immutable.
 */
public final class StateDictSplit {
    private final long totalSize;
    private final Map<String, List<String>> filenameToTensors;
    private final Map<String, String> tensorToFilename;

    StateDictSplit(long totalSize, Map<String, List<String>> filenameToTensors) {
        this.totalSize = totalSize;
        Map<String, List<String>> f2t = new LinkedHashMap<>();
        Map<String, String> t2f = new LinkedHashMap<>();
        for (Map.Entry<String, List<String>> e : filenameToTensors.entrySet()) {
            f2t.put(e.getKey(), List.copyOf(e.getValue()));
            for (String name : e.getValue()) {
                t2f.put(name, e.getKey());
            }
        }
        this.filenameToTensors = Collections.unmodifiableMap(f2t);
        this.tensorToFilename = Collections.unmodifiableMap(t2f);
    }

    /**
     * Whether the plan has more than one file (an empty plan is not sharded, as in hub).
     *
     * @return true for two or more files
     */
    public boolean isSharded() {
        return filenameToTensors.size() > 1;
    }

    /**
     * Sum of the storage sizes of all planned tensors, each storage counted once (hub's {@code total_size}).
     *
     * @return the total size in bytes
     */
    public long totalSize() {
        return totalSize;
    }

    /**
     * hub's {@code metadata}: {@code {"total_size": totalSize}}.
     *
     * @return a one-entry map holding {@code total_size}
     */
    public Map<String, Object> metadata() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("total_size", totalSize);
        return Collections.unmodifiableMap(m);
    }

    /**
     * File name to the tensor names it holds, files in shard order.
     *
     * @return the tensor names of each file, unmodifiable
     */
    public Map<String, List<String>> filenameToTensors() {
        return filenameToTensors;
    }

    /**
     * Tensor name to the file that holds it, in shard order then in-shard order.
     *
     * @return the file of each tensor, unmodifiable
     */
    public Map<String, String> tensorToFilename() {
        return tensorToFilename;
    }

    /**
     * The file names in shard order.
     *
     * @return the file names
     */
    public List<String> filenames() {
        return new ArrayList<>(filenameToTensors.keySet());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StateDictSplit s && s.totalSize == totalSize
                && s.filenameToTensors.equals(filenameToTensors)
                && List.copyOf(s.filenameToTensors.keySet()).equals(List.copyOf(filenameToTensors.keySet()));
    }

    @Override
    public int hashCode() {
        return Long.hashCode(totalSize) * 31 + filenameToTensors.hashCode();
    }

    @Override
    public String toString() {
        return "StateDictSplit[isSharded=" + isSharded() + ", metadata=" + metadata() + ", filenameToTensors="
                + filenameToTensors + "]";
    }
}
