// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.DType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A validated safetensors header on its own, without the tensor data behind it: what a file holds (every tensor's
 * name, dtype, shape and offsets, the metadata, parameter counts), known from the first {@code 8 + N} bytes and
 * the file size. {@link SafetensorsFile#parseHeader(MemorySegment, long, String)} builds one from bytes fetched
 * from anywhere (a range request, a prefix of a file); {@link SafetensorsFile#header()} gives that of an opened
 * file. Immutable and safe for concurrent use.
 */
public final class SafetensorsHeader {
    private final String displayName;
    private final long headerLength;
    private final long fileSize;
    private final Map<String, String> metadata;
    private final List<TensorInfo> infos;
    private final Map<String, TensorInfo> byName;
    private final Map<DType, Long> parameterCounts;
    private final long parameterCount;

    SafetensorsHeader(HeaderParser.Header h, long fileSize, String displayName) {
        this.displayName = displayName;
        this.headerLength = h.headerLength();
        this.fileSize = fileSize;
        this.metadata = h.metadata();
        int n = h.names().size();
        List<TensorInfo> list = new ArrayList<>(n);
        Map<String, TensorInfo> map = new LinkedHashMap<>();
        EnumMap<DType, Long> counts = new EnumMap<>(DType.class);
        long total = 0;
        for (int i = 0; i < n; i++) {
            TensorInfo t = new TensorInfo(h.names().get(i), h.dtypes()[i], h.shape(i), h.begins()[i], h.ends()[i]);
            list.add(t);
            map.put(t.name(), t);
            long numel = DType.numel(t.shape()); // validated by the parser: cannot overflow
            counts.merge(t.dtype(), numel, Long::sum);
            total += numel;
        }
        this.infos = List.copyOf(list);
        this.byName = Collections.unmodifiableMap(map);
        this.parameterCounts = Collections.unmodifiableMap(counts);
        this.parameterCount = total;
    }

    /**
     * The name used in messages.
     *
     * @return the display name given when parsing
     */
    public String displayName() {
        return displayName;
    }

    /**
     * The header length N (the first 8 bytes), padding included.
     *
     * @return N
     */
    public long headerLength() {
        return headerLength;
    }

    /**
     * The offset of the data section in the file.
     *
     * @return {@code 8 + N}
     */
    public long dataStart() {
        return 8 + headerLength;
    }

    /**
     * The size of the whole file the header describes.
     *
     * @return the file size in bytes
     */
    public long fileSize() {
        return fileSize;
    }

    /**
     * The {@code __metadata__} strings.
     *
     * @return a read-only map, empty when absent
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /**
     * Every tensor entry, in data (offset) order.
     *
     * @return an immutable list
     */
    public List<TensorInfo> infos() {
        return infos;
    }

    /**
     * The entry of one tensor.
     *
     * @param name the tensor's name
     * @return the entry, or null when the header has no such tensor
     */
    public TensorInfo info(String name) {
        return byName.get(name);
    }

    /**
     * Tensor names in data (offset) order.
     *
     * @return an immutable list
     */
    public List<String> names() {
        return List.copyOf(byName.keySet());
    }

    /**
     * The number of parameters (elements) of each dtype present, in {@link DType} declaration order.
     *
     * @return a read-only map from dtype to element count
     */
    public Map<DType, Long> parameterCounts() {
        return parameterCounts;
    }

    /**
     * The number of parameters (elements) of all tensors.
     *
     * @return the total element count
     */
    public long parameterCount() {
        return parameterCount;
    }

    /**
     * Adds the element counts of {@code infos} per dtype, in {@link DType} declaration order (the parameter
     * counts of several headers, for example every shard of a checkpoint).
     *
     * @param infos tensor entries
     * @return a read-only map from dtype to element count
     * @throws ArithmeticException when the total does not fit a long
     */
    public static Map<DType, Long> countParameters(Iterable<TensorInfo> infos) {
        EnumMap<DType, Long> counts = new EnumMap<>(DType.class);
        for (TensorInfo t : infos) {
            counts.merge(t.dtype(), DType.numel(t.shape()), Math::addExact);
        }
        return Collections.unmodifiableMap(counts);
    }

    @Override
    public String toString() {
        return "SafetensorsHeader[" + displayName + ", " + infos.size() + " tensors, " + parameterCount
                + " parameters]";
    }
}
