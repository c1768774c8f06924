// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.TensorLocation;
import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsHeader;
import dev.weightmap.safetensors.TensorInfo;
import dev.weightmap.shard.CheckpointException;
import dev.weightmap.tensor.DType;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * A sharded safetensors checkpoint known from header bytes alone: its index JSON and the header of each shard
 * (each parsed by {@link dev.weightmap.safetensors.SafetensorsFile#parseHeader}), no tensor data and no network.
 * The remote reader builds one from what it fetched; any other transport can too: parse the index with
 * {@link #parseIndex(byte[], String)}, get the first {@code 8 + N} bytes of each of {@link Index#shardFiles()},
 * then call {@link #of(Index, List)}.
 *
 * <p>The rules are those of a local sharded checkpoint: every tensor of the index must be in the shard it names
 * ({@code INDEX_MISMATCH}), tensors of a shard the index does not list are kept and reported in
 * {@link #warnings()}. Immutable.
 */
public final class ShardedHeader {
    /**
     * A parsed index file.
     *
     * @param name      the index's name, used in messages
     * @param weightMap tensor name to shard file name, in file order
     * @param metadata  the index's {@code metadata} object (empty when absent)
     */
    public record Index(String name, Map<String, String> weightMap, Map<String, Object> metadata) {
        /**
         * An index.
         *
         * @param name      the index's name
         * @param weightMap tensor name to shard file name
         * @param metadata  the metadata object
         */
        public Index {
            weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
        }

        /**
         * The shard file names, each once, in order of first appearance in {@link #weightMap()}.
         *
         * @return the names (relative to the index's folder)
         */
        public List<String> shardFiles() {
            return List.copyOf(new LinkedHashSet<>(weightMap.values()));
        }
    }

    private final Index index;
    private final List<SafetensorsHeader> shards;
    private final List<TensorLocation> locations;
    private final List<String> warnings;

    private ShardedHeader(Index index, List<SafetensorsHeader> shards, List<TensorLocation> locations,
                          List<String> warnings) {
        this.index = index;
        this.shards = shards;
        this.locations = locations;
        this.warnings = warnings;
    }

    /**
     * Parses an index file: a JSON object with a {@code weight_map} object of strings and an optional
     * {@code metadata} object.
     *
     * @param json the index file's bytes (UTF-8)
     * @param name the index's name, used in messages
     * @return the index
     * @throws CheckpointException {@code INVALID_INDEX} for anything else
     */
    @SuppressWarnings("unchecked")
    public static Index parseIndex(byte[] json, String name) {
        Object root;
        try {
            root = JsonReader.parse(json);
        } catch (JsonException e) {
            throw invalidIndex(name, e.getMessage());
        }
        if (!(root instanceof Map<?, ?> obj) || !(obj.get("weight_map") instanceof Map<?, ?> wmap)) {
            throw invalidIndex(name, "'weight_map' must be an object of tensor name -> shard file name");
        }
        Object md = obj.get("metadata");
        if (md != null && !(md instanceof Map<?, ?>)) {
            throw invalidIndex(name, "'metadata' must be an object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : wmap.entrySet()) {
            if (!(e.getValue() instanceof String shard)) {
                throw invalidIndex(name, "the shard of tensor '" + e.getKey() + "' is not a string");
            }
            weightMap.put((String) e.getKey(), shard);
        }
        return new Index(name, weightMap, md == null ? Map.of() : (Map<String, Object>) md);
    }

    /**
     * The checkpoint from its index and the header of each shard.
     *
     * @param index  the parsed index
     * @param shards one header per {@link Index#shardFiles()} entry, in that order
     * @return the checkpoint's layout
     * @throws CheckpointException      {@code INDEX_MISMATCH} when a tensor of the index is not in its shard
     * @throws IllegalArgumentException when the number of headers is not the number of shard files
     */
    public static ShardedHeader of(Index index, List<SafetensorsHeader> shards) {
        List<String> files = index.shardFiles();
        if (files.size() != shards.size()) {
            throw new IllegalArgumentException(files.size() + " shard files but " + shards.size() + " headers");
        }
        List<TensorLocation> out = new ArrayList<>();
        for (Map.Entry<String, String> w : index.weightMap().entrySet()) {
            SafetensorsHeader h = shards.get(files.indexOf(w.getValue()));
            TensorInfo t = h.info(w.getKey());
            if (t == null) {
                throw new CheckpointException(CheckpointException.Reason.INDEX_MISMATCH, "Invalid index file '"
                        + index.name() + "': tensor '" + w.getKey() + "' is not in shard '" + w.getValue() + "'");
            }
            out.add(location(t, h, w.getValue()));
        }
        List<String> extra = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>(index.weightMap().keySet());
        for (int i = 0; i < files.size(); i++) {
            for (TensorInfo t : shards.get(i).infos()) {
                if (seen.add(t.name())) {
                    extra.add(t.name());
                    out.add(location(t, shards.get(i), files.get(i)));
                }
            }
        }
        List<String> warnings = extra.isEmpty() ? List.of() : List.of("Shard files contain tensors absent from the "
                + "index: " + pyList(extra));
        return new ShardedHeader(index, List.copyOf(shards), List.copyOf(out), warnings);
    }

    private static TensorLocation location(TensorInfo t, SafetensorsHeader h, String file) {
        long offset = h.dataStart() + t.begin();
        return new TensorLocation(t.name(), t.dtype(), t.shape(), null, offset, t.length(),
                TensorLocation.alignmentOf(offset), Map.of("file", file));
    }

    private static String pyList(List<String> names) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < names.size(); i++) {
            b.append(i == 0 ? "'" : ", '").append(names.get(i)).append('\'');
        }
        return b.append(']').toString();
    }

    static CheckpointException invalidIndex(String name, String message) {
        return new CheckpointException(CheckpointException.Reason.INVALID_INDEX, "Invalid index file '" + name
                + "': " + message);
    }

    /**
     * The index.
     *
     * @return the index
     */
    public Index index() {
        return index;
    }

    /**
     * The shards' headers, in {@link Index#shardFiles()} order.
     *
     * @return a read-only list
     */
    public List<SafetensorsHeader> shards() {
        return shards;
    }

    /**
     * Every tensor: those of the index in its order, then those only a shard lists. Offsets are absolute in the
     * shard file; {@link TensorLocation#file()} is null and the extra {@code file} names the shard.
     *
     * @return a read-only list
     */
    public List<TensorLocation> locations() {
        return locations;
    }

    /**
     * The index's {@code metadata} object.
     *
     * @return a read-only map
     */
    public Map<String, Object> metadata() {
        return index.metadata();
    }

    /**
     * What a local open would warn about: tensors of a shard absent from the index.
     *
     * @return the warnings, usually none
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * Parameters (elements) per dtype over all tensors, in {@link DType} order.
     *
     * @return a read-only map
     */
    public Map<DType, Long> parameterCounts() {
        EnumMap<DType, Long> m = new EnumMap<>(DType.class);
        for (TensorLocation l : locations) {
            m.merge(l.dtype(), DType.numel(l.shape()), Long::sum);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * Parameters (elements) of all tensors.
     *
     * @return the total
     */
    public long parameterCount() {
        long n = 0;
        for (TensorLocation l : locations) {
            n += DType.numel(l.shape());
        }
        return n;
    }
}
