// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Checksums;
import dev.weightmap.checksum.Hasher;
import dev.weightmap.checksum.Manifest;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.remote.HttpRangeSource;
import dev.weightmap.remote.RemoteWeights;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiConsumer;

/**
 * {@code hash} of a URL: the bytes stream from range requests through the hasher (the next chunk is fetched while
 * the current one is hashed); nothing is written to disk and at most two chunks are held in memory.
 */
final class RemoteHash {
    /** Bytes per range request while hashing. */
    static final int CHUNK = 8 << 20;

    private RemoteHash() {
    }

    static int run(Cli cli, String url, ChecksumAlgorithm algo, boolean perTensor, boolean json) {
        try (RemoteWeights w = Input.openRemote(url)) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("algo", algo.cliName());
            Map<String, String> hashes;
            if (perTensor) {
                hashes = tensors(cli, w, algo);
            } else {
                hashes = new LinkedHashMap<>();
                List<HttpRangeSource> sources = w.sources();
                List<String> hex = files(cli, w, algo);
                for (int i = 0; i < hex.size(); i++) {
                    hashes.put(sources.get(i).displayName(), hex.get(i));
                }
            }
            if (json) {
                m.put(perTensor ? "tensors" : "files", hashes);
                cli.out().println(JsonWriter.compact().write(m));
            } else {
                hashes.forEach((k, v) -> cli.out().println(v + "  " + k));
            }
        }
        return 0;
    }

    /**
     * {@code hash --manifest OUT URL}: every tensor and every remote file streamed through the hasher once each,
     * files named as {@code verify --manifest} and {@code convert} name them (relative to the URL's folder).
     */
    static int manifest(Cli cli, String url, String out, ChecksumAlgorithm algo) throws java.io.IOException {
        Manifest m;
        try (RemoteWeights w = Input.openRemote(url)) {
            Map<String, String> tensors = tensors(cli, w, algo);
            List<String> names = RemoteDownload.relativeNames(w);
            List<String> hex = files(cli, w, algo);
            Map<String, String> files = new LinkedHashMap<>();
            for (int i = 0; i < hex.size(); i++) {
                files.put(names.get(i), hex.get(i));
            }
            m = Manifest.of(algo, w.format(), tensors, files);
        }
        m.write(Path.of(out));
        cli.out().println("wrote " + out + ": " + m.tensors().size() + " tensors, " + m.files().size()
                + " files (" + algo.cliName() + ")");
        return 0;
    }

    /** Every tensor's digest by name, streamed from its byte range. */
    private static Map<String, String> tensors(Cli cli, RemoteWeights w, ChecksumAlgorithm algo) {
        Map<String, String> hashes = new LinkedHashMap<>();
        long total = 0;
        for (var l : w.locations()) {
            total += l.length();
        }
        Cli.Progress p = cli.progress("hashing " + w.displayName(), total);
        try {
            for (var l : w.locations()) {
                String name = l.name();
                hashes.put(name, stream(algo, l.length(), (from, dst) -> w.read(name, from, dst), p));
            }
        } finally {
            p.done();
        }
        return hashes;
    }

    /** Every remote file's digest, in {@link RemoteWeights#sources()} order. */
    private static List<String> files(Cli cli, RemoteWeights w, ChecksumAlgorithm algo) {
        List<String> hashes = new java.util.ArrayList<>();
        List<HttpRangeSource> sources = w.sources();
        long total = 0;
        for (HttpRangeSource s : sources) {
            total += s.size();
        }
        Cli.Progress p = cli.progress("hashing files of " + w.displayName(), total);
        try {
            for (int i = 0; i < sources.size(); i++) {
                HttpRangeSource s = sources.get(i);
                hashes.add(stream(algo, s.size(), s::read, p));
            }
        } finally {
            p.done();
        }
        return hashes;
    }

    /** Where streamed chunks go. */
    interface Sink {
        /** Takes the next {@code chunk}. */
        void accept(byte[] chunk) throws java.io.IOException;
    }

    /** Hashes {@code length} bytes read by {@code reader(from, dst)}, fetching ahead by one chunk. */
    static String stream(ChecksumAlgorithm algo, long length, BiConsumer<Long, MemorySegment> reader,
                         Cli.Progress progress) {
        Hasher h = Checksums.newHasher(algo);
        try {
            stream(length, reader, c -> h.update(c, 0, c.length), progress);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e); // a hasher never fails
        }
        return h.hex();
    }

    /** Streams {@code length} bytes read by {@code reader(from, dst)} into {@code sink}, fetching ahead by one chunk. */
    static void stream(long length, BiConsumer<Long, MemorySegment> reader, Sink sink, Cli.Progress progress)
            throws java.io.IOException {
        CompletableFuture<byte[]> next = fetch(reader, 0, length);
        for (long at = 0; at < length; ) {
            byte[] chunk;
            try {
                chunk = next.join();
            } catch (CompletionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : e;
            }
            long after = at + chunk.length;
            next = after < length ? fetch(reader, after, length) : null;
            sink.accept(chunk);
            progress.add(chunk.length);
            at = after;
        }
    }

    private static CompletableFuture<byte[]> fetch(BiConsumer<Long, MemorySegment> reader, long from, long length) {
        int n = (int) Math.min(CHUNK, length - from);
        CompletableFuture<byte[]> f = new CompletableFuture<>();
        Thread.ofVirtual().name("weightmap-fetch").start(() -> { // its own thread: never the common pool
            try {
                byte[] b = new byte[n];
                reader.accept(from, MemorySegment.ofArray(b));
                f.complete(b);
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        return f;
    }
}
