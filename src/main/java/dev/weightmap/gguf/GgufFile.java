// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.OpenOptions;
import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufException.Reason;
import dev.weightmap.internal.collect.LazyMap;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A GGUF file (llama.cpp's container) opened zero-copy: the file is memory-mapped, its header is parsed and fully
 * validated, and every tensor is a view of the mapping.
 *
 * <pre>{@code
 * try (GgufFile g = GgufFile.open(Path.of("model.gguf"))) {
 *     String arch = g.architecture().orElse("?");
 *     GgufArray tokens = g.array("tokenizer.ggml.tokens");    // read on demand
 *     MemorySegment q = g.raw("blk.0.attn_q.weight");          // the stored blocks, any GGML type
 *     Tensor norm = g.tensor("output_norm.weight");            // F32: a normal tensor, row-major shape
 * }
 * }</pre>
 *
 * <p>Checks on open: the {@code GGUF} magic, version 2 or 3 (version 1 and big-endian files are refused with
 * their own reasons), every count and length against the bytes left (before anything is allocated from it),
 * the 13 value types, strict UTF-8 keys and strings, no duplicate keys, arrays nested at most 64 deep,
 * {@code general.alignment} a UINT32 non-zero power of two (default 32); tensor infos with unique names, 1 to 4
 * dims, a known GGML type, {@code ne[0]} a whole number of blocks, byte counts and the product of the non-zero
 * dims within 64 bits, offsets aligned, inside the file and not overlapping. Arrays are skipped by length: their elements are read on
 * demand through {@link GgufArray}.
 *
 * <p>As {@link Weights}: format {@code gguf}; {@link #tensorNames()} in tensor-info order; {@link #metadata()} the
 * key/value pairs in file order; tensors of plain types (F32 F16 BF16 F64 I8 I16 I32 I64) are views of that dtype
 * with the row-major shape ({@code ne} reversed); tensors of block types are U8 views of their stored bytes, of
 * shape {@code [..., rowBytes]} (the outer dims row-major, then the bytes of one row), as gguf-py's reader gives
 * them. {@link #verify()} re-checks the structure, decodes every string of every array, and reports that GGUF
 * records no checksums.
 */
public final class GgufFile implements Weights {
    private final SharedMapping mapping;
    private final Path path;
    private final String displayName;
    private final MemorySegment segment;
    private final GgufParser.Header header;
    private final Tensor[] tensors;

    private GgufFile(SharedMapping mapping, Path path, String displayName, MemorySegment segment,
                     GgufParser.Header header) {
        this.mapping = mapping;
        this.path = path;
        this.displayName = displayName;
        this.segment = segment;
        this.header = header;
        this.tensors = new Tensor[header.tensors().size()];
    }

    /**
     * Maps {@code file} read-only into a reader-owned shared arena and validates its header.
     *
     * @param file the file
     * @return the opened file; close it
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws GgufException                     when the file is not valid GGUF
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static GgufFile open(Path file) throws IOException {
        return open(file, SharedMapping.owned(file.toString()));
    }

    /**
     * Maps {@code file} into the caller's {@code arena}, which owns the mapping ({@link #close()} does not unmap).
     *
     * @param file  the file
     * @param arena the arena the mapping lives in
     * @return the opened file
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws GgufException                     when the file is not valid GGUF
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static GgufFile open(Path file, Arena arena) throws IOException {
        return open(file, SharedMapping.external(file.toString(), arena));
    }

    /**
     * Opens {@code file} with {@link Weights#open(Path, OpenOptions)}'s options (their arena, when one is set).
     *
     * @param file    the file
     * @param options the options
     * @return the opened file
     * @throws java.nio.file.NoSuchFileException when the file does not exist
     * @throws GgufException                     when the file is not valid GGUF
     * @throws IOException                       when the file cannot be read or mapped
     */
    public static GgufFile open(Path file, OpenOptions options) throws IOException {
        return options.arena() == null ? open(file) : open(file, options.arena());
    }

    private static GgufFile open(Path file, SharedMapping m) throws IOException {
        String name = file.toString();
        try {
            MemorySegment seg = m.map(file, null);
            return new GgufFile(m, file, name, seg, GgufParser.parse(seg, name));
        } catch (IOException | RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /**
     * Parses a GGUF image held in any segment (a DDUF entry, a heap array). Tensors are views of {@code image};
     * closing the returned object does not close it.
     *
     * @param image       the bytes
     * @param displayName the name used in messages
     * @return the parsed file
     * @throws GgufException when the image is not valid GGUF
     */
    public static GgufFile parse(MemorySegment image, String displayName) {
        return new GgufFile(SharedMapping.none(displayName), null, displayName, image,
                GgufParser.parse(image, displayName));
    }

    // ------------------------------------------------------------------------------------------------ header

    /**
     * The GGUF version (2 or 3).
     *
     * @return the version
     */
    public int version() {
        return header.version();
    }

    /**
     * The alignment of the data section and of every tensor: {@code general.alignment}, or 32.
     *
     * @return the alignment in bytes
     */
    public long alignment() {
        return header.alignment();
    }

    /**
     * The absolute offset of the data section: the end of the tensor infos rounded up to {@link #alignment()}.
     *
     * @return the offset
     */
    public long dataOffset() {
        return header.dataOffset();
    }

    /**
     * The whole file's bytes.
     *
     * @return the mapping (or the parsed image)
     */
    public MemorySegment segment() {
        mapping.ensureOpen();
        return segment;
    }

    // ------------------------------------------------------------------------------------------------ metadata

    /**
     * Every metadata pair in file order; values as {@link GgufValueType} describes ({@link GgufArray} for arrays).
     *
     * @return a read-only ordered map
     */
    @Override
    public Map<String, Object> metadata() {
        mapping.ensureOpen();
        return Collections.unmodifiableMap(header.metadata());
    }

    /**
     * The value type of a metadata key.
     *
     * @param key the key
     * @return the type, or null when the key is absent
     */
    public GgufValueType type(String key) {
        return header.types().get(key);
    }

    /**
     * Whether a metadata key is present.
     *
     * @param key the key
     * @return true when present
     */
    public boolean has(String key) {
        return header.types().containsKey(key);
    }

    /**
     * A metadata value.
     *
     * @param key the key
     * @return the value
     * @throws GgufException {@code KEY_NOT_FOUND} when absent
     */
    public Object value(String key) {
        mapping.ensureOpen();
        Object v = header.metadata().get(key);
        if (v == null) {
            throw new GgufException(Reason.KEY_NOT_FOUND, displayName, key, displayName + ": no metadata key `"
                    + key + "`");
        }
        return v;
    }

    private GgufException wrongType(String key, String wanted) {
        return new GgufException(Reason.WRONG_TYPE, displayName, key, displayName + ": `" + key + "` is "
                + type(key) + ", not " + wanted);
    }

    /**
     * A STRING value.
     *
     * @param key the key
     * @return the string
     * @throws GgufException {@code KEY_NOT_FOUND}, or {@code WRONG_TYPE} for another type
     */
    public String string(String key) {
        if (value(key) instanceof String s) {
            return s;
        }
        throw wrongType(key, "STRING");
    }

    /**
     * An integer value of any of the eight integer types.
     *
     * @param key the key
     * @return the value
     * @throws GgufException {@code KEY_NOT_FOUND}, or {@code WRONG_TYPE} for a non-integer or a UINT64 above
     *                       {@code Long.MAX_VALUE}
     */
    public long integer(String key) {
        Object v = value(key);
        if (!type(key).isInteger()) {
            throw wrongType(key, "an integer");
        }
        if (v instanceof BigInteger b) {
            if (b.bitLength() > 63) {
                throw new GgufException(Reason.WRONG_TYPE, displayName, key, displayName + ": `" + key + "` = " + b
                        + " does not fit a signed 64-bit long");
            }
            return b.longValue();
        }
        return ((Number) v).longValue();
    }

    /**
     * A FLOAT32 or FLOAT64 value (FLOAT32 widened exactly).
     *
     * @param key the key
     * @return the value
     * @throws GgufException {@code KEY_NOT_FOUND}, or {@code WRONG_TYPE} for another type
     */
    public double number(String key) {
        Object v = value(key);
        if (v instanceof Float || v instanceof Double) {
            return ((Number) v).doubleValue();
        }
        throw wrongType(key, "FLOAT32 or FLOAT64");
    }

    /**
     * A BOOL value.
     *
     * @param key the key
     * @return the value
     * @throws GgufException {@code KEY_NOT_FOUND}, or {@code WRONG_TYPE} for another type
     */
    public boolean bool(String key) {
        if (value(key) instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "BOOL");
    }

    /**
     * An ARRAY value, read on demand.
     *
     * @param key the key
     * @return the array view
     * @throws GgufException {@code KEY_NOT_FOUND}, or {@code WRONG_TYPE} for another type
     */
    public GgufArray array(String key) {
        if (value(key) instanceof GgufArray a) {
            return a;
        }
        throw wrongType(key, "ARRAY");
    }

    private Optional<String> optString(String key) {
        return has(key) && type(key) == GgufValueType.STRING ? Optional.of(string(key)) : Optional.empty();
    }

    private Optional<Long> optInteger(String key) {
        return has(key) && type(key).isInteger() ? Optional.of(integer(key)) : Optional.empty();
    }

    /**
     * {@code general.architecture} (for example {@code llama}).
     *
     * @return the architecture, or empty when absent or not a string
     */
    public Optional<String> architecture() {
        return optString("general.architecture");
    }

    /**
     * {@code general.name}.
     *
     * @return the model's name, or empty
     */
    public Optional<String> modelName() {
        return optString("general.name");
    }

    /**
     * {@code general.quantization_version}.
     *
     * @return the version, or empty
     */
    public Optional<Long> quantizationVersion() {
        return optInteger("general.quantization_version");
    }

    /**
     * {@code general.file_type} (llama.cpp's {@code LlamaFileType} number).
     *
     * @return the file type, or empty
     */
    public Optional<Long> fileType() {
        return optInteger("general.file_type");
    }

    /**
     * An integer hyper-parameter of the architecture: {@code <general.architecture>.<name>}, for example
     * {@code archInteger("context_length")} reads {@code llama.context_length}.
     *
     * @param name the key after the architecture prefix ({@code context_length}, {@code embedding_length},
     *             {@code block_count}, {@code attention.head_count}, ...)
     * @return the value, or empty when there is no architecture or no such integer key
     */
    public Optional<Long> archInteger(String name) {
        return architecture().flatMap(a -> optInteger(a + "." + name));
    }

    /**
     * {@code tokenizer.ggml.tokens}: the vocabulary, read on demand.
     *
     * @return the array, or empty when absent
     */
    public Optional<GgufArray> tokens() {
        return has("tokenizer.ggml.tokens") && type("tokenizer.ggml.tokens") == GgufValueType.ARRAY
                ? Optional.of(array("tokenizer.ggml.tokens")) : Optional.empty();
    }

    // ------------------------------------------------------------------------------------------------ tensors

    /**
     * Every tensor info, in file order.
     *
     * @return an immutable list
     */
    public List<GgufTensorInfo> infos() {
        mapping.ensureOpen();
        return header.tensors();
    }

    /**
     * The info of one tensor.
     *
     * @param name the tensor's name
     * @return the info
     * @throws GgufException {@code TENSOR_NOT_FOUND}
     */
    public GgufTensorInfo info(String name) {
        return header.tensors().get(indexOf(name));
    }

    private int indexOf(String name) {
        mapping.ensureOpen();
        Integer i = header.index().get(name);
        if (i == null) {
            throw new GgufException(Reason.TENSOR_NOT_FOUND, displayName, name, displayName + ": tensor `" + name
                    + "` not found");
        }
        return i;
    }

    /**
     * The stored bytes of a tensor, of any GGML type: a zero-copy slice of the file.
     *
     * @param name the tensor's name
     * @return the bytes ({@link GgufTensorInfo#length()} of them)
     * @throws GgufException {@code TENSOR_NOT_FOUND}
     */
    public MemorySegment raw(String name) {
        GgufTensorInfo t = info(name);
        return segment.asSlice(t.offset(), t.length());
    }

    /**
     * {@inheritDoc} Plain types give a view of their dtype with the row-major shape; block types a U8 view of the
     * stored bytes of shape {@code [..., rowBytes]}.
     *
     * @param name the tensor's name
     * @return the view
     * @throws GgufException {@code TENSOR_NOT_FOUND}
     */
    @Override
    public Tensor tensor(String name) {
        return tensor(indexOf(name));
    }

    private Tensor tensor(int i) {
        Tensor t = tensors[i];
        if (t == null) {
            GgufTensorInfo info = header.tensors().get(i);
            MemorySegment bytes = segment.asSlice(info.offset(), info.length());
            t = MappedTensors.mapped(Tensor.of(bytes, viewDtype(info), viewShape(info)), mapping.regionOf(bytes));
            tensors[i] = t;
        }
        return t;
    }

    private static DType viewDtype(GgufTensorInfo t) {
        return t.type().isQuantized() ? DType.U8 : t.type().dtype();
    }

    private static long[] viewShape(GgufTensorInfo t) {
        long[] s = t.shape();
        if (t.type().isQuantized()) {
            s[s.length - 1] = t.rowBytes();
        }
        return s;
    }

    /**
     * {@inheritDoc} Tensor-info order.
     *
     * @return the names
     */
    @Override
    public List<String> tensorNames() {
        mapping.ensureOpen();
        List<String> names = new ArrayList<>(header.tensors().size());
        for (GgufTensorInfo t : header.tensors()) {
            names.add(t.name());
        }
        return List.copyOf(names);
    }

    @Override
    public boolean contains(String name) {
        mapping.ensureOpen();
        return header.index().containsKey(name);
    }

    /**
     * {@inheritDoc} Tensors are created on first access.
     *
     * @return a read-only map in tensor-info order
     */
    @Override
    public Map<String, Tensor> tensors() {
        mapping.ensureOpen();
        List<GgufTensorInfo> infos = header.tensors();
        return new LazyMap.Indexed<>(infos.size()) { // a class, not lambdas: see docs/ARCHITECTURE.md
            @Override
            protected String name(int k) {
                return infos.get(k).name();
            }

            @Override
            protected int indexOf(String name) {
                Integer i = header.index().get(name);
                return i == null ? -1 : i;
            }

            @Override
            protected Tensor value(int k) {
                return tensor(k);
            }
        };
    }

    /**
     * A whole tensor dequantized to float32, row-major, bit-identical to gguf-py's {@code gguf.quants.dequantize}
     * (see {@link Dequantize}).
     *
     * @param name the tensor's name
     * @return a new array of {@link GgufTensorInfo#elements()} values
     * @throws GgufException {@code TENSOR_NOT_FOUND}, {@code UNSUPPORTED_TYPE} for a type not dequantized, or
     *                       {@code INVALID_ARGUMENT} for a tensor too large for a Java array
     */
    public float[] dequantize(String name) {
        GgufTensorInfo t = info(name);
        return dequantizeRows(name, 0, t.rows());
    }

    /**
     * A whole tensor dequantized to float32 into memory from {@code allocator} (a caller's arena, for tensors of
     * any size).
     *
     * @param name      the tensor's name
     * @param allocator where the output is allocated ({@code 4 * elements} bytes, float-aligned)
     * @return the little-endian float32 values, row-major
     * @throws GgufException {@code TENSOR_NOT_FOUND} or {@code UNSUPPORTED_TYPE}
     */
    public MemorySegment dequantize(String name, java.lang.foreign.SegmentAllocator allocator) {
        GgufTensorInfo t = info(name);
        supported(t);
        MemorySegment out = allocator.allocate(java.lang.foreign.ValueLayout.JAVA_FLOAT, t.elements());
        dequantizeRows(name, 0, t.rows(), out);
        return out;
    }

    /**
     * A whole tensor dequantized to float32 into memory from {@code allocator}, the blocks split over up to
     * {@code threads} threads, the caller's included (each decodes ranges of about 1 MiB of stored bytes; the
     * result is the same as with one thread).
     *
     * @param name      the tensor's name
     * @param allocator where the output is allocated ({@code 4 * elements} bytes); other threads help only when
     *                  they may access it and the file's mapping (shared or global arenas, not confined ones)
     * @param threads   how many threads to use, 1 to 4096
     * @return the little-endian float32 values, row-major
     * @throws GgufException {@code TENSOR_NOT_FOUND}, {@code UNSUPPORTED_TYPE}, or {@code INVALID_ARGUMENT} for
     *                       a thread count out of range
     */
    public MemorySegment dequantize(String name, java.lang.foreign.SegmentAllocator allocator, int threads) {
        GgufTensorInfo t = info(name);
        supported(t);
        if (threads < 1 || threads > 4096) {
            throw new GgufException(Reason.INVALID_ARGUMENT, displayName, name, displayName + ": `" + name
                    + "`: threads must be 1 to 4096, not " + threads);
        }
        MemorySegment out = allocator.allocate(java.lang.foreign.ValueLayout.JAVA_FLOAT, t.elements());
        MemorySegment src = rowBytes(t, 0, t.rows());
        Dequantize.toF32(t.type(), src, t.elements(), out, threads);
        return out;
    }

    /**
     * Rows {@code [firstRow, firstRow + rowCount)} of a tensor (a row is {@code ne[0]} elements, the innermost
     * dim) dequantized to float32 into {@code dst}, without touching the other rows' bytes.
     *
     * @param name     the tensor's name
     * @param firstRow the first row
     * @param rowCount how many rows
     * @param dst      at least {@code 4 * rowCount * ne[0]} bytes; receives little-endian float32 values
     * @throws GgufException {@code TENSOR_NOT_FOUND}, {@code UNSUPPORTED_TYPE}, or {@code INVALID_ARGUMENT} for
     *                       rows out of range or a {@code dst} too small
     */
    public void dequantizeRows(String name, long firstRow, long rowCount, MemorySegment dst) {
        GgufTensorInfo t = info(name);
        supported(t);
        MemorySegment src = rowBytes(t, firstRow, rowCount);
        long elements = rowCount * t.ne()[0];
        if (dst.byteSize() / 4 < elements) {
            throw new GgufException(Reason.INVALID_ARGUMENT, displayName, name, displayName + ": `" + name
                    + "`: " + rowCount + " rows need " + elements * 4 + " output bytes; " + dst.byteSize()
                    + " given");
        }
        Dequantize.toF32(t.type(), src, elements, dst);
    }

    /** The stored bytes of some rows, checked to be inside the tensor. */
    private MemorySegment rowBytes(GgufTensorInfo t, long firstRow, long rowCount) {
        long rows = t.rows();
        if (firstRow < 0 || rowCount < 0 || firstRow > rows || rowCount > rows - firstRow) {
            throw new GgufException(Reason.INVALID_ARGUMENT, displayName, t.name(), displayName + ": `" + t.name()
                    + "`: rows [" + firstRow + ", +" + rowCount + ") are outside its " + rows + " rows");
        }
        mapping.ensureOpen();
        return segment.asSlice(t.offset() + firstRow * t.rowBytes(), rowCount * t.rowBytes());
    }

    /**
     * Rows {@code [firstRow, firstRow + rowCount)} of a tensor dequantized to a new float array.
     *
     * @param name     the tensor's name
     * @param firstRow the first row
     * @param rowCount how many rows
     * @return {@code rowCount * ne[0]} values
     * @throws GgufException {@code TENSOR_NOT_FOUND}, {@code UNSUPPORTED_TYPE}, or {@code INVALID_ARGUMENT} for
     *                       rows out of range or more values than a Java array holds
     */
    public float[] dequantizeRows(String name, long firstRow, long rowCount) {
        GgufTensorInfo t = info(name);
        supported(t);
        long n = rowCount < 0 ? -1 : Math.multiplyHigh(rowCount, t.ne()[0]) != 0 ? -1 : rowCount * t.ne()[0];
        if (n < 0 || n > Integer.MAX_VALUE - 8) {
            throw new GgufException(Reason.INVALID_ARGUMENT, displayName, name, displayName + ": `" + name
                    + "`: " + rowCount + " rows of " + t.ne()[0] + " values do not fit a Java array; dequantize"
                    + " into a segment instead");
        }
        float[] out = new float[(int) n];
        MemorySegment src = rowBytes(t, firstRow, rowCount);
        Dequantize.toF32(t.type(), src, n, out, 0);
        return out;
    }

    /**
     * A whole tensor dequantized into a new row-major {@link Tensor} of {@code dtype} (F32, or F16/BF16 rounded to
     * nearest even from the F32 values), allocated from {@code allocator}: what a loader feeding an F16 or BF16
     * model wants from a quantized file.
     *
     * @param name      the tensor's name
     * @param dtype     {@link DType#F32}, {@link DType#F16} or {@link DType#BF16}
     * @param allocator where the output is allocated
     * @return the tensor, of the row-major shape ({@code ne} reversed)
     * @throws GgufException {@code TENSOR_NOT_FOUND}, {@code UNSUPPORTED_TYPE}, or {@code INVALID_ARGUMENT} for
     *                       another dtype
     */
    public Tensor dequantizeTensor(String name, DType dtype, java.lang.foreign.SegmentAllocator allocator) {
        GgufTensorInfo t = info(name);
        if (dtype != DType.F32 && dtype != DType.F16 && dtype != DType.BF16) {
            throw new GgufException(Reason.INVALID_ARGUMENT, displayName, name, displayName + ": `" + name
                    + "`: dequantizes to F32, F16 or BF16, not " + dtype);
        }
        supported(t);
        if (dtype == DType.F32) {
            return Tensor.of(dequantize(name, allocator), DType.F32, t.shape());
        }
        Tensor out = Tensor.of(allocator.allocate(java.lang.foreign.ValueLayout.JAVA_SHORT, t.elements()), dtype,
                t.shape());
        try (Arena scratch = Arena.ofConfined()) {
            dev.weightmap.tensor.Casts.copy(Tensor.of(dequantize(name, scratch), DType.F32, t.shape()), out);
        }
        return out;
    }

    private void supported(GgufTensorInfo t) {
        if (!Dequantize.SUPPORTED.contains(t.type())) {
            throw new GgufException(Reason.UNSUPPORTED_TYPE, displayName, t.name(), displayName + ": `" + t.name()
                    + "`: dequantizing " + t.type() + " is not supported yet (its raw bytes are available)");
        }
    }

    /**
     * Parameter counts per GGML type, in first-appearance order.
     *
     * @return type to element count
     */
    public Map<GgmlType, Long> parameterCounts() {
        Map<GgmlType, Long> m = new LinkedHashMap<>();
        for (GgufTensorInfo t : infos()) {
            m.merge(t.type(), t.elements(), Long::sum);
        }
        return m;
    }

    /**
     * The file's bits per weight: 8 x the tensor bytes / the parameter count.
     *
     * @return bits per weight, or 0 when there are no parameters
     */
    public double bitsPerWeight() {
        long params = 0;
        double bytes = 0;
        for (GgufTensorInfo t : infos()) {
            params += t.elements();
            bytes += t.length();
        }
        return params == 0 ? 0 : 8 * bytes / params;
    }

    // ------------------------------------------------------------------------------------------------ Weights

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String displayName() {
        return displayName;
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "gguf"}
     */
    @Override
    public String format() {
        return GGUF;
    }

    /**
     * {@inheritDoc} GGUF records no checksums: this re-checks the structure validated on open (every tensor inside
     * the file, aligned, not overlapping) and decodes every string of every metadata array as strict UTF-8.
     *
     * @return the report ({@code checksums} 0)
     * @throws GgufException naming the first string that is not UTF-8 or the first malformed BOOL
     */
    @Override
    public VerifyReport verify() {
        mapping.ensureOpen();
        long bytes = 0;
        for (GgufTensorInfo t : header.tensors()) {
            if (t.offset() + t.length() > segment.byteSize()) {
                throw new GgufException(Reason.OUT_OF_BOUNDS, displayName, t.name(), displayName + ": `" + t.name()
                        + "`: bytes beyond the end of the file");
            }
            bytes += t.length();
        }
        long strings = 0;
        for (Object v : header.metadata().values()) {
            if (v instanceof GgufArray a) {
                strings += check(a);
            }
        }
        return new VerifyReport(GGUF, header.tensors().size(), path == null ? 0 : 1, bytes, 0,
                List.of("header valid", "every tensor inside the file, aligned, without overlaps",
                        strings + " array strings valid UTF-8", "GGUF records no checksums"));
    }

    private static long check(GgufArray a) {
        long[] n = {0};
        switch (a.elementType()) {
            case STRING -> a.stream().forEach(s -> n[0]++);
            case ARRAY -> a.stream().forEach(x -> n[0] += check((GgufArray) x));
            case BOOL -> a.stream().forEach(x -> { });
            default -> { }
        }
        return n[0];
    }

    /**
     * {@inheritDoc} Offsets are absolute; the dtype and shape are those of {@link #tensor(String)}; extras:
     * {@code ggml_type} (the GGML type name) and {@code ne}.
     *
     * @return one location per tensor, in tensor-info order
     */
    @Override
    public List<TensorLocation> locations() {
        mapping.ensureOpen();
        List<TensorLocation> out = new ArrayList<>(header.tensors().size());
        for (GgufTensorInfo t : header.tensors()) {
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("ggml_type", t.type().name());
            extras.put("ne", t.ne());
            out.add(new TensorLocation(t.name(), viewDtype(t), viewShape(t), path, t.offset(), t.length(),
                    TensorLocation.alignmentOf(t.offset()), extras));
        }
        return List.copyOf(out);
    }

    @Override
    public Lease retain() {
        return mapping.retain();
    }

    @Override
    public boolean isOpen() {
        return mapping.isOpen();
    }

    /** Marks the file closed and unmaps it once no lease is held (nothing for parsed images or a caller's arena). */
    @Override
    public void close() {
        mapping.close();
    }

    @Override
    public String toString() {
        return "GgufFile[" + displayName + ", v" + version() + ", " + header.tensors().size() + " tensors, "
                + header.metadata().size() + " keys]";
    }
}
