// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and validates a GGUF header from a segment. Every count and length is checked against the bytes left
 * before anything is allocated from it; arrays are skipped by length (strings are walked, not decoded).
 */
final class GgufParser {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** The deepest array nesting accepted (llama.cpp accepts none; gguf-py and @huggingface/gguf any). */
    static final int MAX_DEPTH = 64;
    /** The default alignment of the data section and of every tensor. */
    static final int DEFAULT_ALIGNMENT = 32;
    /** The smallest metadata pair: key length, a 1-byte key... at least 8 + 4 + 1 bytes (an empty key, a u8). */
    private static final long MIN_KV = 8 + 4 + 1;
    /** The smallest tensor info: name length, n_dims, one dim, type, offset. */
    private static final long MIN_TENSOR_INFO = 8 + 4 + 8 + 4 + 8;

    /** The parsed header. */
    record Header(int version, long alignment, long dataOffset, Map<String, Object> metadata,
                  Map<String, GgufValueType> types, List<GgufTensorInfo> tensors, Map<String, Integer> index,
                  long kvCount, long tensorInfoEnd) {
    }

    /** The header reaches past the end of a prefix: at least {@link #needed} bytes of the file are needed. */
    static final class NeedMore extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final long needed;

        NeedMore(long needed) {
            super(null, null, false, false);
            this.needed = needed;
        }
    }

    private final MemorySegment seg;
    private final String file;
    /** The size of the whole file: every bound is checked against it. */
    private final long size;
    /** The bytes held: {@code size} for a whole file, fewer for a prefix. */
    private final long held;
    private long pos;

    private GgufParser(MemorySegment seg, long fileSize, String file) {
        this.seg = seg;
        this.file = file;
        this.size = fileSize;
        this.held = seg.byteSize();
    }

    static Header parse(MemorySegment seg, String file) {
        return new GgufParser(seg, seg.byteSize(), file).header();
    }

    /**
     * Parses the header from the file's first bytes; throws {@link NeedMore} when it reaches past them.
     *
     * @param prefix   the first bytes of a file of {@code fileSize} bytes
     * @param fileSize the size of the whole file
     */
    static Header parsePrefix(MemorySegment prefix, long fileSize, String file) {
        if (prefix.byteSize() > fileSize) {
            throw new IllegalArgumentException("a prefix of " + prefix.byteSize() + " bytes of a file of " + fileSize);
        }
        if (prefix.byteSize() < 4 && fileSize >= 4) {
            throw new NeedMore(4);
        }
        return new GgufParser(prefix, fileSize, file).header();
    }

    private GgufException fail(Reason r, String item, String message) {
        return new GgufException(r, file, item, file + ": " + (item == null ? "" : "`" + item + "`: ") + message);
    }

    private void need(long n, String item, String what) {
        if (n < 0 || n > size - pos) {
            throw fail(Reason.TRUNCATED, item, "the file ends at byte " + size + " inside " + what + " (at byte "
                    + pos + ", " + (n < 0 ? "a length beyond 2^63" : n + " bytes needed") + ")");
        }
        if (n > held - pos) {
            throw new NeedMore(pos + n);
        }
    }

    private int u32(String item, String what) {
        need(4, item, what);
        int v = seg.get(U32, pos);
        pos += 4;
        return v;
    }

    private long u64(String item, String what) {
        need(8, item, what);
        long v = seg.get(U64, pos);
        pos += 8;
        return v;
    }

    /**
     * The header in its steps: magic and version, the two counts, the metadata pairs, the alignment, the tensor
     * infos, then each tensor placed in the data section and the placements checked for overlaps.
     */
    private Header header() {
        int version = version();
        long tensorCount = u64(null, "the tensor count");
        long kvCount = u64(null, "the metadata count");
        checkCounts(tensorCount, kvCount);
        Map<String, Object> metadata = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new HashMap<>();
        readMetadata(kvCount, metadata, types);
        long alignment = alignment(metadata, types);
        if (tensorCount > Integer.MAX_VALUE - 8) {
            throw fail(Reason.COUNT_TOO_LARGE, null, "the header claims " + tensorCount + " tensors, more than "
                    + "a reader can list");
        }
        int n = (int) tensorCount; // checked above: at most size / 32
        List<GgufTensorInfo> raw = new ArrayList<>(Math.min(n, 1 << 16));
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < n; i++) {
            raw.add(tensorInfo(i, index));
        }
        long infoEnd = pos;
        long dataOffset = alignUp(infoEnd, alignment);
        List<GgufTensorInfo> infos = place(raw, alignment, dataOffset);
        checkOverlaps(infos);
        return new Header(version, alignment, dataOffset, metadata, types, List.copyOf(infos), index, kvCount, infoEnd);
    }

    /** The magic number and the version (2 or 3; a byte-swapped one is named big-endian). */
    private int version() {
        if (size < 4 || seg.get(ValueLayout.JAVA_BYTE, 0) != 'G' || seg.get(ValueLayout.JAVA_BYTE, 1) != 'G'
                || seg.get(ValueLayout.JAVA_BYTE, 2) != 'U' || seg.get(ValueLayout.JAVA_BYTE, 3) != 'F') {
            throw fail(Reason.INVALID_MAGIC, null, "not a GGUF file (the first 4 bytes are not 'GGUF')");
        }
        pos = 4;
        int version = u32(null, "the version");
        if (version != 2 && version != 3) {
            int swapped = Integer.reverseBytes(version);
            if (swapped == 2 || swapped == 3) {
                throw fail(Reason.BIG_ENDIAN, null, "a big-endian GGUF file (version " + swapped
                        + " stored big-endian); only little-endian GGUF is read");
            }
            if (version == 1) {
                throw fail(Reason.UNSUPPORTED_VERSION, null, "GGUF version 1 (32-bit counts, before 2023-08) is not"
                        + " read; only versions 2 and 3 are");
            }
            throw fail(Reason.UNSUPPORTED_VERSION, null, "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + " (versions 2 and 3 are read)");
        }
        return version;
    }

    /** Refuses counts the bytes left cannot hold (each pair and each tensor info has a smallest size). */
    private void checkCounts(long tensorCount, long kvCount) {
        if (Long.compareUnsigned(kvCount, (size - pos) / MIN_KV) > 0) {
            throw fail(Reason.COUNT_TOO_LARGE, null, "the header claims " + Long.toUnsignedString(kvCount)
                    + " metadata pairs, more than the " + (size - pos) + " bytes left can hold");
        }
        if (Long.compareUnsigned(tensorCount, (size - pos) / MIN_TENSOR_INFO) > 0) {
            throw fail(Reason.COUNT_TOO_LARGE, null, "the header claims " + Long.toUnsignedString(tensorCount)
                    + " tensors, more than the " + (size - pos) + " bytes left can hold");
        }
    }

    /** The metadata pairs, in file order, into {@code metadata} and their value types into {@code types}. */
    private void readMetadata(long kvCount, Map<String, Object> metadata, Map<String, GgufValueType> types) {
        for (long i = 0; i < kvCount; i++) {
            String key = string(null, "the key of metadata pair " + i);
            if (metadata.containsKey(key)) {
                throw fail(Reason.DUPLICATE_KEY, key, "the metadata key appears twice");
            }
            GgufValueType t = valueType(key, u32(key, "the value type"));
            metadata.put(key, value(key, t));
            types.put(key, t);
        }
    }

    /** {@code general.alignment} (a UINT32 power of two), or the default. */
    private long alignment(Map<String, Object> metadata, Map<String, GgufValueType> types) {
        long alignment = DEFAULT_ALIGNMENT;
        if (types.containsKey("general.alignment")) {
            GgufValueType t = types.get("general.alignment");
            if (t != GgufValueType.UINT32) {
                throw fail(Reason.INVALID_ALIGNMENT, "general.alignment", "must be stored as UINT32, not " + t);
            }
            alignment = (Long) metadata.get("general.alignment");
            if (alignment == 0 || Long.bitCount(alignment) != 1) {
                throw fail(Reason.INVALID_ALIGNMENT, "general.alignment", "must be a non-zero power of two, not "
                        + alignment);
            }
        }
        return alignment;
    }

    /**
     * Tensor info {@code i}: name (unique, indexed into {@code index}), dims, GGML type and the offset relative to
     * the data section (the absolute offset is set by {@link #place}).
     */
    private GgufTensorInfo tensorInfo(int i, Map<String, Integer> index) {
        String name = string(null, "the name of tensor info " + i);
        if (index.putIfAbsent(name, i) != null) {
            throw fail(Reason.DUPLICATE_TENSOR, name, "the tensor name appears twice");
        }
        int dims = u32(name, "the dimension count");
        if (dims < 1 || dims > 4) {
            throw fail(Reason.INVALID_DIMS, name, "has " + Integer.toUnsignedString(dims)
                    + " dimensions; GGUF tensors have 1 to 4");
        }
        long[] ne = new long[dims];
        for (int d = 0; d < dims; d++) {
            ne[d] = u64(name, "the dims");
            if (ne[d] < 0) {
                throw fail(Reason.INVALID_SHAPE, name, "dim ne[" + d + "] = " + Long.toUnsignedString(ne[d])
                        + " is beyond 2^63");
            }
        }
        int typeId = u32(name, "the GGML type");
        GgmlType type = GgmlType.byId(Integer.toUnsignedLong(typeId));
        if (type == null) {
            throw fail(Reason.UNKNOWN_GGML_TYPE, name, "unknown GGML type id " + Integer.toUnsignedString(typeId));
        }
        if (ne[0] % type.blockSize() != 0) {
            throw fail(Reason.INVALID_SHAPE, name, "row length ne[0] = " + ne[0] + " is not a multiple of the "
                    + type + " block size " + type.blockSize());
        }
        long length;
        try {
            length = type.byteLength(ne);
        } catch (ArithmeticException e) {
            throw fail(Reason.INVALID_SHAPE, name, "dims " + Arrays.toString(ne) + " of " + type
                    + " overflow a 64-bit element or byte count");
        }
        long offset = u64(name, "the offset");
        return new GgufTensorInfo(name, type, ne, offset, -1, length);
    }

    /** Each tensor placed at {@code dataOffset} plus its aligned relative offset, inside the file. */
    private List<GgufTensorInfo> place(List<GgufTensorInfo> raw, long alignment, long dataOffset) {
        List<GgufTensorInfo> infos = new ArrayList<>(raw.size());
        for (GgufTensorInfo t : raw) {
            long r = t.relativeOffset();
            if (Long.remainderUnsigned(r, alignment) != 0) {
                throw fail(Reason.UNALIGNED_OFFSET, t.name(), "offset " + Long.toUnsignedString(r)
                        + " is not a multiple of the alignment " + alignment);
            }
            if (r < 0 || dataOffset > size || r > size - dataOffset || t.length() > size - dataOffset - r) {
                throw fail(Reason.OUT_OF_BOUNDS, t.name(), "bytes [" + Long.toUnsignedString(r) + ", +" + t.length()
                        + ") of the data section at " + dataOffset + " lie beyond the end of the file (" + size
                        + " bytes)");
            }
            infos.add(new GgufTensorInfo(t.name(), t.type(), t.ne(), r, dataOffset + r, t.length()));
        }
        return infos;
    }

    private void checkOverlaps(List<GgufTensorInfo> infos) {
        Integer[] order = new Integer[infos.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, new java.util.Comparator<Integer>() { // a class, not a lambda: see docs/ARCHITECTURE.md
            @Override
            public int compare(Integer a, Integer b) {
                return Long.compare(infos.get(a).offset(), infos.get(b).offset());
            }
        });
        GgufTensorInfo prev = null;
        for (Integer i : order) {
            GgufTensorInfo t = infos.get(i);
            if (t.length() == 0) {
                continue;
            }
            if (prev != null && t.offset() < prev.offset() + prev.length()) {
                throw fail(Reason.OVERLAP, t.name(), "bytes [" + t.offset() + ", " + (t.offset() + t.length())
                        + ") overlap tensor `" + prev.name() + "` [" + prev.offset() + ", "
                        + (prev.offset() + prev.length()) + ")");
            }
            prev = t;
        }
    }

    static long alignUp(long v, long alignment) {
        long r = v % alignment;
        return r == 0 ? v : v + (alignment - r);
    }

    private GgufValueType valueType(String key, int id) {
        GgufValueType t = GgufValueType.byId(Integer.toUnsignedLong(id));
        if (t == null) {
            throw fail(Reason.UNKNOWN_VALUE_TYPE, key, "unknown value type id " + Integer.toUnsignedString(id));
        }
        return t;
    }

    /** A u64 length then that many UTF-8 bytes. */
    private String string(String item, String what) {
        long n = u64(item, what);
        need(n, item, what + " (" + Long.toUnsignedString(n) + " bytes claimed)");
        String s = utf8(seg, pos, n, file, item, what);
        pos += n;
        return s;
    }

    static String utf8(MemorySegment seg, long pos, long n, String file, String item, String what) {
        if (n > Integer.MAX_VALUE - 8) {
            throw new GgufException(Reason.COUNT_TOO_LARGE, file, item, file + ": " + (item == null ? ""
                    : "`" + item + "`: ") + what + " of " + n + " bytes is longer than a Java string can be");
        }
        if (n <= 256) { // keys and names: ASCII almost always, decoded without a CharsetDecoder
            byte[] a = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
            boolean ascii = true;
            for (byte x : a) {
                if (x < 0) {
                    ascii = false;
                    break;
                }
            }
            if (ascii) {
                return new String(a, StandardCharsets.ISO_8859_1);
            }
        }
        ByteBuffer b = seg.asSlice(pos, n).asByteBuffer();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(b).toString();
        } catch (CharacterCodingException e) {
            throw new GgufException(Reason.INVALID_UTF8, file, item, file + ": " + (item == null ? ""
                    : "`" + item + "`: ") + what + " at byte " + pos + " is not valid UTF-8");
        }
    }

    private Object value(String key, GgufValueType t) {
        if (t == GgufValueType.STRING) {
            return string(key, "the string value");
        }
        if (t == GgufValueType.ARRAY) {
            return array(key, 1);
        }
        need(t.fixedSize(), key, "the " + t + " value");
        Object v = scalar(seg, pos, t, file, key);
        pos += t.fixedSize();
        return v;
    }

    /** A fixed-size value at {@code at}. */
    static Object scalar(MemorySegment seg, long at, GgufValueType t, String file, String item) {
        return switch (t) {
            case UINT8 -> seg.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
            case INT8 -> (int) seg.get(ValueLayout.JAVA_BYTE, at);
            case UINT16 -> seg.get(U16, at) & 0xFFFF;
            case INT16 -> (int) seg.get(U16, at);
            case UINT32 -> Integer.toUnsignedLong(seg.get(U32, at));
            case INT32 -> seg.get(U32, at);
            case FLOAT32 -> seg.get(F32, at);
            case BOOL -> {
                int b = seg.get(ValueLayout.JAVA_BYTE, at);
                if (b != 0 && b != 1) {
                    throw new GgufException(Reason.INVALID_VALUE, file, item, file + ": `" + item
                            + "`: a BOOL must be 0 or 1, not " + (b & 0xFF) + " (at byte " + at + ")");
                }
                yield b == 1;
            }
            case UINT64 -> {
                long v = seg.get(U64, at);
                yield v >= 0 ? BigInteger.valueOf(v) : BigInteger.valueOf(v).add(BigInteger.ONE.shiftLeft(64));
            }
            case INT64 -> seg.get(U64, at);
            case FLOAT64 -> seg.get(F64, at);
            case STRING, ARRAY -> throw new IllegalArgumentException(t + " is not fixed-size");
        };
    }

    /** An array at {@link #pos} (after its value type): validated and skipped by length. */
    private GgufArray array(String key, int depth) {
        if (depth > MAX_DEPTH) {
            throw fail(Reason.NESTING_TOO_DEEP, key, "arrays nested more than " + MAX_DEPTH + " deep");
        }
        GgufValueType et = valueType(key, u32(key, "the array element type"));
        long count = u64(key, "the array length");
        long left = size - pos;
        long min = et.fixedSize() > 0 ? et.fixedSize() : et == GgufValueType.STRING ? 8 : 12;
        if (count < 0 || count > left / min) {
            throw fail(Reason.COUNT_TOO_LARGE, key, "an array of " + Long.toUnsignedString(count) + " " + et
                    + " elements needs at least " + (count < 0 ? "2^63" : String.valueOf(count)) + " x " + min
                    + " bytes; " + left + " are left");
        }
        long start = pos;
        if (et.fixedSize() > 0) {
            need(count * et.fixedSize(), key, "the array");
            pos += count * et.fixedSize();
        } else if (et == GgufValueType.STRING) {
            for (long i = 0; i < count; i++) { // no per-element allocation: messages are built on failure only
                if (held - pos < 8) {
                    need(8, key, "the length of string " + i + " of the array");
                }
                long n = seg.get(U64, pos);
                pos += 8;
                if (n < 0 || n > held - pos) {
                    need(n, key, "string " + i + " of the array (" + Long.toUnsignedString(n) + " bytes claimed)");
                }
                pos += n;
            }
        } else {
            for (long i = 0; i < count; i++) {
                array(key, depth + 1);
            }
        }
        return new GgufArray(seg, file, key, et, count, start, pos);
    }
}
