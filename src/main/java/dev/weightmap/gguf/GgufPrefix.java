// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A GGUF header parsed from the first bytes of a file, without the tensor data behind it: what a reader that
 * fetches a file piece by piece (over HTTP range requests) parses. Either {@linkplain #complete() complete}
 * (metadata and every tensor info are in the prefix, checked against the file's size exactly as
 * {@link GgufFile#open(java.nio.file.Path)} checks them) or not: then {@link #bytesNeeded()} says how long a
 * prefix must at least be for parsing to go on, and the reader asks for more. A header that is invalid in the
 * bytes held fails at once with the same {@link GgufException} a local open gives.
 */
public final class GgufPrefix {
    private final GgufParser.Header header;
    private final long needed;
    private final String displayName;

    private GgufPrefix(GgufParser.Header header, long needed, String displayName) {
        this.header = header;
        this.needed = needed;
        this.displayName = displayName;
    }

    /**
     * Parses as much of a GGUF header as {@code prefix} holds.
     *
     * @param prefix      the file's first bytes (any length up to the file's size)
     * @param fileSize    the size of the whole file
     * @param displayName the name used in messages
     * @return the header, complete or asking for more bytes
     * @throws GgufException            when the bytes held break a GGUF rule (a bad magic, a count larger than the
     *                                  file can hold, a tensor beyond its end...)
     * @throws IllegalArgumentException when the prefix is longer than the file
     */
    public static GgufPrefix parse(MemorySegment prefix, long fileSize, String displayName) {
        try {
            GgufParser.Header h = GgufParser.parsePrefix(prefix, fileSize, displayName);
            return new GgufPrefix(h, h.tensorInfoEnd(), displayName);
        } catch (GgufParser.NeedMore e) {
            return new GgufPrefix(null, e.needed, displayName);
        }
    }

    /**
     * Whether the metadata and every tensor info were in the prefix.
     *
     * @return true when the header is complete
     */
    public boolean complete() {
        return header != null;
    }

    /**
     * For an incomplete header, the least prefix length with which parsing gets further (a lower bound: a
     * header with long arrays may ask again); for a complete one, the header's length (the end of the tensor
     * infos).
     *
     * @return a byte count
     */
    public long bytesNeeded() {
        return needed;
    }

    private GgufParser.Header header() {
        if (header == null) {
            throw new IllegalStateException(displayName + ": the GGUF header is incomplete: need more bytes: "
                    + needed);
        }
        return header;
    }

    /**
     * The GGUF version (2 or 3).
     *
     * @return the version
     * @throws IllegalStateException when the header is incomplete
     */
    public int version() {
        return header().version();
    }

    /**
     * The alignment of the data section and of every tensor.
     *
     * @return the alignment in bytes
     * @throws IllegalStateException when the header is incomplete
     */
    public long alignment() {
        return header().alignment();
    }

    /**
     * The absolute offset of the data section.
     *
     * @return the offset
     * @throws IllegalStateException when the header is incomplete
     */
    public long dataOffset() {
        return header().dataOffset();
    }

    /**
     * Every metadata pair in file order, values as {@link GgufFile#metadata()} gives them (arrays read from the
     * prefix).
     *
     * @return a read-only ordered map
     * @throws IllegalStateException when the header is incomplete
     */
    public Map<String, Object> metadata() {
        return Collections.unmodifiableMap(header().metadata());
    }

    /**
     * The value type of a metadata key.
     *
     * @param key the key
     * @return the type, or null when absent
     * @throws IllegalStateException when the header is incomplete
     */
    public GgufValueType type(String key) {
        return header().types().get(key);
    }

    /**
     * The tensor infos in file order, offsets absolute.
     *
     * @return a read-only list
     * @throws IllegalStateException when the header is incomplete
     */
    public List<GgufTensorInfo> infos() {
        return header().tensors();
    }

    /**
     * Parameter counts per GGML type, in first-appearance order (as {@link GgufFile#parameterCounts()}).
     *
     * @return type to element count
     * @throws IllegalStateException when the header is incomplete
     */
    public Map<GgmlType, Long> parameterCounts() {
        Map<GgmlType, Long> m = new LinkedHashMap<>();
        for (GgufTensorInfo t : infos()) {
            m.merge(t.type(), t.elements(), Long::sum);
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * Parameters (elements) of all tensors.
     *
     * @return the total
     * @throws IllegalStateException when the header is incomplete
     */
    public long parameterCount() {
        long n = 0;
        for (GgufTensorInfo t : infos()) {
            n += t.elements();
        }
        return n;
    }

    @Override
    public String toString() {
        return header == null ? "GgufPrefix[" + displayName + ", need more bytes: " + needed + "]"
                : "GgufPrefix[" + displayName + ", " + header.tensors().size() + " tensors]";
    }
}
