// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufPrefix;
import dev.weightmap.internal.collect.LazyMap;
import dev.weightmap.internal.io.SharedMapping;
import dev.weightmap.safetensors.SafetensorsHeader;
import dev.weightmap.safetensors.TensorInfo;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Weights read over HTTP range requests: opening fetches only headers (a single safetensors file: one request
 * when its header fits {@link RemoteOptions#speculativeBytes()}; a sharded checkpoint: its index, then one request
 * per shard, concurrently; a GGUF file: the prefix grows, at least doubling, until the metadata and tensor infos
 * are in; a DDUF archive or torch zip checkpoint: the end of the archive, then the central directory and what the
 * format needs); tensor bytes are fetched when asked for.
 *
 * <p>{@link #tensor(String)} fetches a tensor once into memory this reader owns (freed by {@link #close()}, or
 * when the last {@linkplain #retain() lease} is released) and returns the same tensor on later calls;
 * {@link #tensor(String, SegmentAllocator)} and {@link #read(String, MemorySegment)} fetch into memory the caller
 * controls, each call a fresh fetch. {@link #slice(String, long[], long[], SegmentAllocator)} and its
 * conveniences fetch only the bytes of a box of the tensor: one request per contiguous run of bytes, at most
 * {@link RemoteOptions#maxConcurrency()} at once. Tensors larger than 16 MiB are fetched as several ranges
 * concurrently.
 *
 * <p>As {@link Weights}: format {@code safetensors}, {@code sharded}, {@code gguf}, {@code dduf} or {@code torch}; {@link #path()} null and
 * {@link #files()} empty ({@link #urls()} lists the files); {@link #locations()} gives offsets within each remote
 * file, the URL in the {@code url} extra (GGUF adds {@code ggml_type} and {@code ne}). A GGUF tensor is viewed as
 * {@link dev.weightmap.gguf.GgufFile#tensor(String)} views it: plain types as their dtype, block types as the
 * {@code U8} bytes of each row. A torch tensor carries the local extras ({@code torch_dtype}, {@code stride},
 * {@code storage_offset}, {@code storage}, {@code contiguous}); one that is a non-contiguous view of its storage
 * is listed but refused when fetched ({@code REMOTE_UNSUPPORTED} naming it), as its elements are not one byte
 * range; tensors sharing a storage are each their own range of it. The parsed header is {@link #safetensorsHeader()}, {@link #shardedHeader()} or
 * {@link #ggufHeader()}. Safe for concurrent use.
 */
public final class RemoteWeights implements Weights {
    /** Tensors of at least this size are fetched in several concurrent ranges. */
    static final long PARALLEL_CHUNK = 16L << 20;

    /** Where one tensor's bytes are. */
    record Entry(String name, DType dtype, long[] shape, HttpRangeSource source, long offset, long length,
                 Map<String, Object> extras) {
    }

    /** A thread that owns no segment: a segment it may access is shared. */
    private static final Thread OTHER_THREAD = Thread.ofVirtual().unstarted(() -> { });

    private final String format;
    private final String displayName;
    private final Map<String, Entry> entries;
    private final List<String> names;
    private final Map<String, ?> metadata;
    private final List<HttpRangeSource> sources;
    private final List<String> warnings;
    private final RemoteOptions options;
    private final SharedMapping memory;
    private final ConcurrentHashMap<String, CompletableFuture<Tensor>> fetched = new ConcurrentHashMap<>();
    /** The parsed header: a {@link SafetensorsHeader}, {@link ShardedHeader} or {@link GgufPrefix}. */
    private final Object header;

    RemoteWeights(String format, String displayName, List<Entry> entries, Map<String, ?> metadata,
                  List<HttpRangeSource> sources, List<String> warnings, RemoteOptions options, Object header) {
        this.header = header;
        this.format = format;
        this.displayName = displayName;
        Map<String, Entry> m = new LinkedHashMap<>();
        for (Entry e : entries) {
            m.put(e.name(), e);
        }
        this.entries = Collections.unmodifiableMap(m);
        this.names = List.copyOf(m.keySet());
        this.metadata = metadata;
        this.sources = List.copyOf(sources);
        this.warnings = List.copyOf(warnings);
        this.options = options;
        this.memory = SharedMapping.owned(displayName);
    }

    /**
     * Opens remote weights: a safetensors file, the index JSON of a sharded safetensors checkpoint, a GGUF
     * file, a {@code .dduf} archive or a torch zip checkpoint, told apart by content (the first request's bytes).
     *
     * @param uri     an {@code http} or {@code https} URL
     * @param options token, timeouts, retries, concurrency
     * @return the reader; close it
     * @throws RemoteException                                      for HTTP failures and unsupported content
     *                                                              ({@code REMOTE_UNSUPPORTED} also when weightmap
     *                                                              runs as a module without {@code java.net.http})
     * @throws dev.weightmap.safetensors.SafetensorsException       when a header is invalid
     * @throws dev.weightmap.gguf.GgufException                     when a GGUF header is invalid
     * @throws dev.weightmap.torch.TorchCheckpointException         when a torch checkpoint is invalid or unsafe
     */
    public static RemoteWeights open(URI uri, RemoteOptions options) {
        if (RemoteWeights.class.getModule().isNamed() && ModuleLayer.boot().findModule("java.net.http").isEmpty()) {
            // weightmap needs only java.base: the HTTP client is an optional module
            throw new RemoteException(RemoteException.Reason.REMOTE_UNSUPPORTED, HttpRangeSource.display(uri),
                    "remote weights need the java.net.http module: run with --add-modules java.net.http", null);
        }
        return RemoteOpener.open(uri, options);
    }

    /**
     * The URL of each file read (the index first for a sharded checkpoint), for display.
     *
     * @return URLs without query strings
     */
    public List<String> urls() {
        List<String> out = new ArrayList<>();
        for (HttpRangeSource s : sources) {
            out.add(s.displayName());
        }
        return out;
    }

    /**
     * HTTP requests sent so far by this reader, opening included.
     *
     * @return the count
     */
    public long requestCount() {
        long n = 0;
        for (HttpRangeSource s : sources) {
            n += s.requestCount();
        }
        return n;
    }

    /**
     * Body bytes received so far by this reader, opening included.
     *
     * @return the count
     */
    public long bytesReceived() {
        long n = 0;
        for (HttpRangeSource s : sources) {
            n += s.bytesReceived();
        }
        return n;
    }

    /**
     * Parameters (elements) per dtype over all tensors, in {@link DType} order. For GGUF this counts the
     * {@link #tensor(String)} views (a quantized tensor as {@code U8} bytes); {@link #ggufHeader()} has the counts
     * per GGML type.
     *
     * @return a read-only map
     */
    public Map<DType, Long> parameterCounts() {
        List<TensorInfo> infos = new ArrayList<>();
        for (Entry e : entries.values()) {
            infos.add(new TensorInfo(e.name(), e.dtype(), e.shape(), 0, e.length()));
        }
        return SafetensorsHeader.countParameters(infos);
    }

    /**
     * Parameters (elements) of all tensors (for GGUF the weights of quantized tensors, not their bytes).
     *
     * @return the total
     */
    public long parameterCount() {
        if (header instanceof GgufPrefix g) {
            return g.parameterCount();
        }
        long n = 0;
        for (long c : parameterCounts().values()) {
            n += c;
        }
        return n;
    }

    /**
     * Parameter counts by the type name the format stores: the dtype's header name ({@code F32}, {@code BF16})
     * for safetensors, the GGML type name ({@code Q4_K}, {@code F16}) for GGUF, in first-appearance order.
     *
     * @return a read-only map
     */
    public Map<String, Long> parameterCountsByType() {
        Map<String, Long> m = new LinkedHashMap<>();
        if (header instanceof GgufPrefix g) {
            g.parameterCounts().forEach((t, n) -> m.put(t.name(), n));
        } else {
            parameterCounts().forEach((t, n) -> m.put(t.headerName(), n));
        }
        return Collections.unmodifiableMap(m);
    }

    /**
     * The header of a single safetensors file, as parsed from the fetched bytes.
     *
     * @return the header, or empty for other formats
     */
    public Optional<SafetensorsHeader> safetensorsHeader() {
        return header instanceof SafetensorsHeader h ? Optional.of(h) : Optional.empty();
    }

    /**
     * The index and shard headers of a sharded checkpoint.
     *
     * @return the layout, or empty for other formats
     */
    public Optional<ShardedHeader> shardedHeader() {
        return header instanceof ShardedHeader h ? Optional.of(h) : Optional.empty();
    }

    /**
     * The GGUF header (metadata, tensor infos with their GGML types).
     *
     * @return the header, or empty for other formats
     */
    public Optional<GgufPrefix> ggufHeader() {
        return header instanceof GgufPrefix h ? Optional.of(h) : Optional.empty();
    }

    @Override
    public Path path() {
        return null;
    }

    @Override
    public String displayName() {
        return displayName;
    }

    @Override
    public String format() {
        return format;
    }

    @Override
    public List<String> tensorNames() {
        return names;
    }

    private Entry entry(String name) {
        memory.ensureOpen();
        Entry e = entries.get(name);
        if (e == null) {
            throw new WeightmapException(WeightmapException.Common.TENSOR_NOT_FOUND, displayName, name,
                    displayName + ": tensor `" + name + "` not found", null);
        }
        if (Boolean.FALSE.equals(e.extras().get("contiguous"))) {
            throw new RemoteException(RemoteException.Reason.REMOTE_UNSUPPORTED, displayName, "tensor `" + name
                    + "` is a non-contiguous view of its storage (stride " + Arrays.toString((long[]) e.extras()
                    .get("stride")) + "): its elements are not one byte range; open the file locally", null);
        }
        return e;
    }

    /**
     * The tensor {@code name}, fetched on the first call into memory this reader owns; later calls return the
     * same tensor without a request.
     *
     * @param name the tensor's name
     * @return the tensor
     * @throws WeightmapException {@code TENSOR_NOT_FOUND}, or a {@link RemoteException} when the fetch fails
     */
    @Override
    public Tensor tensor(String name) {
        Entry e = entry(name);
        CompletableFuture<Tensor> mine = new CompletableFuture<>();
        CompletableFuture<Tensor> f = fetched.putIfAbsent(name, mine);
        if (f == null) {
            try {
                Tensor t;
                try (Lease ignored = retain()) {
                    t = tensor(name, memory.arena());
                }
                mine.complete(t);
                return t;
            } catch (RuntimeException | Error ex) {
                fetched.remove(name, mine);
                mine.completeExceptionally(ex);
                throw ex;
            }
        }
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException ex) {
            if (ex.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw ex;
        }
    }

    /**
     * Fetches the tensor {@code name} into memory from {@code allocator} (an arena the caller controls).
     *
     * @param name      the tensor's name
     * @param allocator where its bytes go (aligned to 64 bytes)
     * @return a contiguous tensor over the fetched bytes
     * @throws WeightmapException {@code TENSOR_NOT_FOUND}, or a {@link RemoteException} when the fetch fails
     */
    public Tensor tensor(String name, SegmentAllocator allocator) {
        Entry e = entry(name);
        MemorySegment dst = allocator.allocate(e.length(), 64);
        fill(e, dst);
        return Tensor.of(dst, e.dtype(), e.shape());
    }

    /**
     * Fetches the tensor {@code name}'s bytes straight into {@code dst}.
     *
     * @param name the tensor's name
     * @param dst  a segment of exactly the tensor's byte length
     * @throws WeightmapException {@code INVALID_ARGUMENT} when {@code dst} has another size; {@code TENSOR_NOT_FOUND};
     *                            a {@link RemoteException} when the fetch fails
     */
    public void read(String name, MemorySegment dst) {
        Entry e = entry(name);
        if (dst.byteSize() != e.length()) {
            throw new WeightmapException(WeightmapException.Common.INVALID_ARGUMENT, displayName, name, displayName
                    + ": tensor `" + name + "` has " + e.length() + " bytes, the segment " + dst.byteSize(), null);
        }
        fill(e, dst);
    }

    /**
     * Fetches part of a tensor's bytes: {@code dst.byteSize()} bytes from byte {@code from} of the tensor (to
     * stream a large tensor through a hasher or a writer chunk by chunk).
     *
     * @param name the tensor's name
     * @param from the first byte, relative to the tensor's start
     * @param dst  where the bytes go
     * @throws WeightmapException {@code INVALID_ARGUMENT} when the range leaves the tensor; {@code TENSOR_NOT_FOUND};
     *                            a {@link RemoteException} when the fetch fails
     */
    public void read(String name, long from, MemorySegment dst) {
        Entry e = entry(name);
        if (from < 0 || from > e.length() || dst.byteSize() > e.length() - from) {
            throw invalid(name, "bytes [" + from + ", " + (from + dst.byteSize()) + ") outside its " + e.length());
        }
        e.source().read(e.offset() + from, dst);
    }

    /**
     * The byte sources of this reader: the index first for a sharded checkpoint, then one per file.
     *
     * @return the sources (closed with the reader)
     */
    public List<HttpRangeSource> sources() {
        return sources;
    }

    private void fill(Entry e, MemorySegment dst) {
        long len = e.length();
        if (len < PARALLEL_CHUNK || options.maxConcurrency() == 1) {
            e.source().read(e.offset(), dst);
            return;
        }
        List<long[]> runs = new ArrayList<>();
        long parts = Math.max(options.maxConcurrency(), (len + (256L << 20) - 1) / (256L << 20));
        long step = Math.max(PARALLEL_CHUNK, (len + parts - 1) / parts);
        for (long at = 0; at < len; at += step) {
            runs.add(new long[] {e.offset() + at, at, Math.min(step, len - at)});
        }
        fetchRuns(e.source(), runs, dst);
    }

    /** Fetches runs {sourceOffset, dstOffset, length} with bounded concurrency; the first failure is thrown. */
    private void fetchRuns(HttpRangeSource src, List<long[]> runs, MemorySegment dst) {
        if (runs.size() == 1) {
            long[] r = runs.get(0);
            src.read(r[0], dst.asSlice(r[1], r[2]));
            return;
        }
        Semaphore permits = new Semaphore(options.maxConcurrency());
        // a confined segment cannot be written by the workers: they fetch into heap buffers copied here
        boolean direct = dst.isAccessibleBy(OTHER_THREAD);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<byte[]>> futures = new ArrayList<>(runs.size());
            for (long[] r : runs) {
                futures.add(ex.submit(() -> {
                    permits.acquire();
                    try {
                        if (direct) {
                            src.read(r[0], dst.asSlice(r[1], r[2]));
                            return null;
                        }
                        byte[] b = new byte[Math.toIntExact(r[2])];
                        src.read(r[0], MemorySegment.ofArray(b));
                        return b;
                    } finally {
                        permits.release();
                    }
                }));
            }
            RuntimeException first = null;
            for (int i = 0; i < futures.size(); i++) {
                try {
                    byte[] b = futures.get(i).get();
                    if (b != null && first == null) {
                        MemorySegment.copy(MemorySegment.ofArray(b), 0, dst, runs.get(i)[1], b.length);
                    }
                } catch (ExecutionException x) {
                    if (first == null) {
                        first = x.getCause() instanceof RuntimeException r ? r
                                : new RemoteException(RemoteException.Reason.REMOTE_IO, src.displayName(),
                                String.valueOf(x.getCause()), x.getCause());
                        futures.forEach(g -> g.cancel(true));
                    }
                } catch (java.util.concurrent.CancellationException ignored) {
                    // cancelled after the first failure
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw new RemoteException(RemoteException.Reason.REMOTE_IO, src.displayName(), "interrupted", x);
                }
            }
            if (first != null) {
                throw first;
            }
        }
    }

    /**
     * Fetches a box of a tensor: along each dimension d the indices {@code [start[d], stop[d])}, into a new
     * contiguous tensor from {@code allocator}. Only the bytes of the box are requested: one request per
     * contiguous run (dimensions taken whole after the first partial one merge into longer runs), at most
     * {@link RemoteOptions#maxConcurrency()} at once.
     *
     * @param name      the tensor's name
     * @param start     first index per dimension
     * @param stop      one past the last index per dimension
     * @param allocator where the box's bytes go
     * @return the box as a contiguous tensor of shape {@code stop - start}
     * @throws WeightmapException {@code INVALID_ARGUMENT} for bounds outside the shape or a sub-byte dtype;
     *                            {@code TENSOR_NOT_FOUND}; a {@link RemoteException} when a fetch fails
     */
    public Tensor slice(String name, long[] start, long[] stop, SegmentAllocator allocator) {
        Entry e = entry(name);
        long[] shape = e.shape();
        int rank = shape.length;
        if (start.length != rank || stop.length != rank) {
            throw invalid(name, "a box needs " + rank + " starts and stops, got " + start.length + " and " + stop.length);
        }
        if (e.dtype().isSubByte()) {
            throw invalid(name, "slicing a sub-byte dtype (" + e.dtype() + ") is not supported remotely");
        }
        long[] out = new long[rank];
        for (int d = 0; d < rank; d++) {
            if (start[d] < 0 || stop[d] < start[d] || stop[d] > shape[d]) {
                throw invalid(name, "box [" + start[d] + ", " + stop[d] + ") outside dimension " + d + " of size "
                        + shape[d] + " (shape " + Arrays.toString(shape) + ")");
            }
            out[d] = stop[d] - start[d];
        }
        long elem = e.dtype().byteSize();
        long total = DType.numel(out) * elem;
        MemorySegment dst = allocator.allocate(Math.max(total, 1), 64).asSlice(0, total);
        if (total == 0) {
            return Tensor.of(dst, e.dtype(), out);
        }
        if (rank == 0) {
            fetchRuns(e.source(), List.of(new long[] {e.offset(), 0, total}), dst);
            return Tensor.of(dst, e.dtype(), out);
        }
        // a run: indices [start[p], stop[p]) of dimension p, whole in every later one; one per index of dims < p
        int p = rank - 1;
        while (p > 0 && start[p] == 0 && stop[p] == shape[p]) {
            p--;
        }
        long[] strides = new long[rank];
        long st = elem;
        for (int d = rank - 1; d >= 0; d--) {
            strides[d] = st;
            st *= shape[d];
        }
        long runBytes = out[p] * strides[p];
        List<long[]> runs = new ArrayList<>();
        long[] idx = new long[p];
        long at = 0;
        while (true) {
            long off = e.offset() + start[p] * strides[p];
            for (int d = 0; d < p; d++) {
                off += (start[d] + idx[d]) * strides[d];
            }
            long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last[0] + last[2] == off) {
                last[2] += runBytes; // adjacent in the file: one request
            } else {
                runs.add(new long[] {off, at, runBytes});
            }
            at += runBytes;
            int d = p - 1;
            while (d >= 0 && ++idx[d] == out[d]) {
                idx[d] = 0;
                d--;
            }
            if (d < 0) {
                break;
            }
        }
        fetchRuns(e.source(), runs, dst);
        return Tensor.of(dst, e.dtype(), out);
    }

    /**
     * Fetches indices {@code [start, start + length)} of dimension {@code dim} (all of the others).
     *
     * @param name      the tensor's name
     * @param dim       the dimension
     * @param start     the first index
     * @param length    how many indices
     * @param allocator where the bytes go
     * @return the part as a contiguous tensor
     * @throws WeightmapException {@code INVALID_ARGUMENT} for a dimension or bounds outside the shape
     */
    public Tensor narrow(String name, int dim, long start, long length, SegmentAllocator allocator) {
        long[] shape = entry(name).shape();
        if (dim < 0 || dim >= shape.length) {
            throw invalid(name, "no dimension " + dim + " in shape " + Arrays.toString(shape));
        }
        long[] a = new long[shape.length];
        long[] b = shape.clone();
        a[dim] = start;
        b[dim] = start + length;
        return slice(name, a, b, allocator);
    }

    /**
     * The part of a tensor that rank {@code rank} of {@code worldSize} owns along {@code dim}, for tensor
     * parallelism: the dimension is cut into {@code worldSize} parts of {@code ceil(size / worldSize)} indices
     * (as {@code torch.chunk}), the last ones shorter or empty.
     *
     * @param name      the tensor's name
     * @param dim       the dimension split across ranks (0 for rows, 1 for the columns of a matrix)
     * @param rank      this rank, from 0
     * @param worldSize the number of ranks
     * @param allocator where the bytes go
     * @return this rank's part
     * @throws WeightmapException {@code INVALID_ARGUMENT} for a rank outside {@code [0, worldSize)}
     */
    public Tensor shard(String name, int dim, int rank, int worldSize, SegmentAllocator allocator) {
        long[] range = shardRange(entry(name).shape(), dim, rank, worldSize, name);
        return narrow(name, dim, range[0], range[1] - range[0], allocator);
    }

    private long[] shardRange(long[] shape, int dim, int rank, int worldSize, String name) {
        if (worldSize < 1 || rank < 0 || rank >= worldSize) {
            throw invalid(name, "rank " + rank + " of " + worldSize);
        }
        if (dim < 0 || dim >= shape.length) {
            throw invalid(name, "no dimension " + dim + " in shape " + Arrays.toString(shape));
        }
        long size = shape[dim];
        long part = (size + worldSize - 1) / worldSize;
        long a = Math.min(size, part * rank);
        return new long[] {a, Math.min(size, a + part)};
    }

    private WeightmapException invalid(String name, String message) {
        return new WeightmapException(WeightmapException.Common.INVALID_ARGUMENT, displayName, name, displayName
                + ": tensor `" + name + "`: " + message, null);
    }

    /**
     * Every tensor by name, in {@link #tensorNames()} order; each value is fetched on access (as
     * {@link #tensor(String)}).
     *
     * @return a read-only lazy map
     */
    @Override
    public Map<String, Tensor> tensors() {
        memory.ensureOpen();
        return LazyMap.keyed(names, entries::containsKey, this::tensor);
    }

    @Override
    public boolean contains(String name) {
        return entries.containsKey(name);
    }

    @Override
    public Map<String, ?> metadata() {
        return metadata;
    }

    /**
     * {@inheritDoc} Remote headers are validated when opened; safetensors and GGUF record no checksums, so nothing
     * is fetched.
     *
     * @return the structural checks made on open
     */
    @Override
    public VerifyReport verify() {
        memory.ensureOpen();
        long bytes = 0;
        for (Entry e : entries.values()) {
            bytes += e.length();
        }
        return new VerifyReport(format, entries.size(), sources.size(), bytes, 0,
                List.of("header valid", "tensor ranges cover the data section without gaps or overlaps"));
    }

    @Override
    public List<TensorLocation> locations() {
        List<TensorLocation> out = new ArrayList<>(entries.size());
        for (Entry e : entries.values()) {
            Map<String, Object> extras = new LinkedHashMap<>(e.extras());
            extras.put("url", e.source().displayName());
            out.add(new TensorLocation(e.name(), e.dtype(), e.shape(), null, e.offset(), e.length(),
                    TensorLocation.alignmentOf(e.offset()), extras));
        }
        return List.copyOf(out);
    }

    @Override
    public List<String> warnings() {
        return warnings;
    }

    @Override
    public Lease retain() {
        return memory.retain();
    }

    @Override
    public boolean isOpen() {
        return memory.isOpen();
    }

    /** Closes the HTTP clients now, and frees the fetched tensors once no lease is held. Idempotent. */
    @Override
    public void close() {
        if (memory.isOpen()) {
            for (HttpRangeSource s : sources) {
                s.close();
            }
        }
        memory.close();
    }

    @Override
    public String toString() {
        return "RemoteWeights[" + displayName + ", " + format + ", " + entries.size() + " tensors]";
    }
}
