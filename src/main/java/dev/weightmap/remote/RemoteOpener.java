// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.TensorLocation;
import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufPrefix;
import dev.weightmap.gguf.GgufTensorInfo;
import dev.weightmap.remote.RemoteException.Reason;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.SafetensorsHeader;
import dev.weightmap.safetensors.TensorInfo;
import dev.weightmap.shard.CheckpointException;
import dev.weightmap.tensor.DType;
import dev.weightmap.torch.TorchCheckpoint;

import java.lang.foreign.MemorySegment;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;

/**
 * Opens a URL: the first request (a prefix of {@link RemoteOptions#speculativeBytes()}) tells the format by
 * content. A remote format plugs in here: it gets the source and the prefix, and returns the entries (name,
 * dtype, shape, offset and length in the file) that {@link RemoteWeights} fetches from.
 */
final class RemoteOpener {
    /** The reference limit on a safetensors header length. */
    private static final long MAX_HEADER = 100_000_000L;
    /** The largest GGUF header (metadata and tensor infos) read; vocabularies of large models take tens of MiB. */
    static final long MAX_GGUF_HEADER = 512L << 20;

    private RemoteOpener() {
    }

    static RemoteWeights open(URI uri, RemoteOptions options) {
        HttpRangeSource src = HttpRangeSource.open(uri, options);
        try {
            byte[] prefix = src.readPrefix(options.speculativeBytes());
            if (looksLikeSafetensors(prefix, src)) {
                SafetensorsHeader h = header(src, prefix);
                return new RemoteWeights(Weights.SAFETENSORS, src.displayName(), entries(h, src), h.metadata(),
                        List.of(src), List.of(), options, h);
            }
            int first = firstNonSpace(prefix);
            if (first >= 0 && prefix[first] == '{') {
                return sharded(src, prefix, options);
            }
            if (prefix.length >= 4 && prefix[0] == 'P' && prefix[1] == 'K' && src.uri().getPath() != null
                    && src.uri().getPath().endsWith(".dduf")) {
                return RemoteZip.dduf(src, prefix, options);
            }
            if (prefix.length >= 4 && prefix[0] == 'G' && prefix[1] == 'G' && prefix[2] == 'U' && prefix[3] == 'F') {
                return gguf(src, prefix, options);
            }
            if (prefix.length >= 4 && prefix[0] == 'P' && prefix[1] == 'K') {
                return RemoteZip.torch(src, prefix, options);
            }
            String what = TorchCheckpoint.looksLegacy(prefix)
                    ? "a legacy (pre-1.6, non-zip) torch checkpoint, whose storages follow the pickle with no directory"
                    : "not safetensors, GGUF, a ZIP archive or an index JSON";
            throw new RemoteException(Reason.REMOTE_UNSUPPORTED, src.displayName(), what
                    + ": only safetensors files, sharded safetensors indexes, GGUF files, .dduf archives and torch"
                    + " zip checkpoints are read remotely", null);
        } catch (RuntimeException | Error e) {
            src.close();
            throw e;
        }
    }

    /**
     * Safetensors when byte 8 opens the header's JSON object and byte 0 cannot start a JSON document; when both
     * could, the announced length decides (it must fit the file), then the name ({@code .json} is an index).
     */
    private static boolean looksLikeSafetensors(byte[] p, HttpRangeSource src) {
        if (p.length < 9 || p[8] != '{') {
            return p.length >= 8 && src.uri().getPath() != null && src.uri().getPath().endsWith(".safetensors");
        }
        int first = firstNonSpace(p);
        if (first < 0 || p[first] != '{') {
            return true;
        }
        String path = src.uri().getPath() == null ? "" : src.uri().getPath();
        if (path.endsWith(".json")) {
            return false;
        }
        long n = ByteBuffer.wrap(p, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return n >= 2 && n <= src.size() - 8;
    }

    private static int firstNonSpace(byte[] p) {
        int i = p.length >= 3 && (p[0] & 0xFF) == 0xEF && (p[1] & 0xFF) == 0xBB && (p[2] & 0xFF) == 0xBF ? 3 : 0;
        for (; i < p.length; i++) {
            if (p[i] != ' ' && p[i] != '\t' && p[i] != '\n' && p[i] != '\r') {
                return i;
            }
        }
        return -1;
    }

    /**
     * The first {@code length} bytes: those after {@code prefix} in one range request; from a server that ignores
     * {@code Range} (it answers 200 with the whole file), the longer prefix again from the start of the body.
     */
    static byte[] grow(HttpRangeSource src, byte[] prefix, int length) {
        byte[] more = Arrays.copyOf(prefix, length);
        try {
            src.read(prefix.length, MemorySegment.ofArray(more).asSlice(prefix.length));
            return more;
        } catch (RemoteException e) {
            if (e.reason() != Reason.REMOTE_RANGE_IGNORED) {
                throw e;
            }
            byte[] again = src.readPrefix(length);
            if (again.length != length) {
                throw new RemoteException(Reason.REMOTE_TRUNCATED, src.displayName(), "the body ended after "
                        + again.length + " of " + length + " bytes", null);
            }
            return again;
        }
    }

    /** The header from the speculative prefix, with a second request only when it is longer. */
    static SafetensorsHeader header(HttpRangeSource src, byte[] prefix) {
        long size = src.size();
        if (prefix.length >= 8) {
            long n = ByteBuffer.wrap(prefix, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            if (n >= 0 && n <= MAX_HEADER && n <= size - 8 && 8 + n > prefix.length) {
                prefix = grow(src, prefix, (int) (8 + n));
            }
        }
        // an invalid length (negative, 2^60, past the end) is reported by the parser before anything is fetched
        return SafetensorsFile.parseHeader(MemorySegment.ofArray(prefix), size, src.displayName(), MAX_HEADER);
    }

    private static List<RemoteWeights.Entry> entries(SafetensorsHeader h, HttpRangeSource src) {
        List<RemoteWeights.Entry> out = new ArrayList<>(h.infos().size());
        for (TensorInfo t : h.infos()) {
            out.add(new RemoteWeights.Entry(t.name(), t.dtype(), t.shape(), src, h.dataStart() + t.begin(),
                    t.length(), Map.of()));
        }
        return out;
    }

    private static RemoteWeights sharded(HttpRangeSource index, byte[] prefix, RemoteOptions options) {
        String name = index.displayName();
        long size = index.size();
        if (size > options.maxIndexBytes()) {
            throw new RemoteException(Reason.REMOTE_UNSUPPORTED, name, "an index of " + size + " bytes is more than "
                    + "the limit of " + options.maxIndexBytes(), null);
        }
        byte[] bytes = prefix;
        if (prefix.length < size) {
            bytes = grow(index, prefix, (int) size);
        }
        ShardedHeader.Index idx = ShardedHeader.parseIndex(bytes, name);
        List<String> shards = idx.shardFiles();
        List<URI> uris = new ArrayList<>();
        for (String shard : shards) {
            uris.add(shardUri(index.uri(), shard, name));
        }
        List<HttpRangeSource> sources = new ArrayList<>();
        sources.add(index);
        List<SafetensorsHeader> headers = new ArrayList<>();
        Semaphore permits = new Semaphore(options.maxConcurrency());
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<SafetensorsHeader>> fs = new ArrayList<>();
            for (URI u : uris) {
                HttpRangeSource s = index.sibling(u);
                sources.add(s);
                fs.add(ex.submit(() -> {
                    permits.acquire();
                    try {
                        return header(s, s.readPrefix(options.speculativeBytes()));
                    } finally {
                        permits.release();
                    }
                }));
            }
            for (Future<SafetensorsHeader> f : fs) {
                headers.add(join(f, name));
            }
        }
        ShardedHeader sh = ShardedHeader.of(idx, headers);
        List<RemoteWeights.Entry> entries = new ArrayList<>(sh.locations().size());
        for (TensorLocation l : sh.locations()) {
            HttpRangeSource src = sources.get(1 + shards.indexOf((String) l.extras().get("file")));
            entries.add(new RemoteWeights.Entry(l.name(), l.dtype(), l.shape(), src, l.offset(), l.length(),
                    Map.of()));
        }
        return new RemoteWeights(Weights.SHARDED, name, entries, sh.metadata(), sources, sh.warnings(), options, sh);
    }

    /** The GGUF header: the prefix grows (at least doubling) until the metadata and tensor infos are in. */
    static GgufPrefix ggufHeader(HttpRangeSource src, byte[] prefix) {
        long size = src.size();
        while (true) {
            GgufPrefix p = GgufPrefix.parse(MemorySegment.ofArray(prefix), size, src.displayName());
            if (p.complete()) {
                return p;
            }
            long want = Math.min(size, Math.max(p.bytesNeeded(), 2L * prefix.length));
            if (want > MAX_GGUF_HEADER) {
                throw new RemoteException(Reason.REMOTE_UNSUPPORTED, src.displayName(), "a GGUF header of more than "
                        + MAX_GGUF_HEADER + " bytes (at least " + p.bytesNeeded() + " needed)", null);
            }
            prefix = grow(src, prefix, (int) want);
        }
    }

    private static RemoteWeights gguf(HttpRangeSource src, byte[] prefix, RemoteOptions options) {
        GgufPrefix h = ggufHeader(src, prefix);
        List<RemoteWeights.Entry> entries = new ArrayList<>(h.infos().size());
        for (GgufTensorInfo t : h.infos()) {
            DType dtype = t.type().isQuantized() ? DType.U8 : t.type().dtype();
            long[] shape = t.shape();
            if (t.type().isQuantized()) {
                shape[shape.length - 1] = t.rowBytes(); // the stored bytes of each row, as GgufFile.tensor views them
            }
            Map<String, Object> extras = new LinkedHashMap<>();
            extras.put("ggml_type", t.type().name());
            extras.put("ne", t.ne());
            entries.add(new RemoteWeights.Entry(t.name(), dtype, shape, src, t.offset(), t.length(),
                    Collections.unmodifiableMap(extras)));
        }
        return new RemoteWeights(Weights.GGUF, src.displayName(), entries, h.metadata(), List.of(src), List.of(),
                options, h);
    }

    private static SafetensorsHeader join(Future<SafetensorsHeader> f, String name) {
        try {
            return f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error r) {
                throw r;
            }
            throw new RemoteException(Reason.REMOTE_IO, name, String.valueOf(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteException(Reason.REMOTE_IO, name, "interrupted", e);
        }
    }

    /** The shard's URL next to the index; names that would leave the index's folder are refused. */
    static URI shardUri(URI index, String shard, String name) {
        if (shard.isEmpty() || shard.startsWith("/") || shard.contains("\\") || shard.contains(":")
                || shard.contains("?") || shard.contains("#")
                || Arrays.asList(shard.split("/", -1)).stream().anyMatch(s -> s.isEmpty() || s.equals("..") || s.equals("."))) {
            throw invalidIndex(name, "unsafe shard file name '" + shard + "'");
        }
        try {
            return index.resolve(new URI(null, null, shard, null));
        } catch (URISyntaxException e) {
            throw invalidIndex(name, "invalid shard file name '" + shard + "'");
        }
    }

    private static CheckpointException invalidIndex(String name, String message) {
        return ShardedHeader.invalidIndex(name, message);
    }
}
