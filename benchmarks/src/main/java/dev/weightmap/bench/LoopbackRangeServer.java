// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A loopback HTTP/1.1 server of files with {@code Range} support (206 with {@code Content-Range}, a strong ETag),
 * read by positional reads: what the remote benchmarks fetch from. Counts requests and body bytes sent.
 */
final class LoopbackRangeServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, Path> files = new ConcurrentHashMap<>();
    final AtomicLong requests = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();

    LoopbackRangeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Serves {@code file} at {@code path}; returns its URL. */
    URI serve(String path, Path file) {
        files.put(path, file);
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            requests.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            Path f = files.get(ex.getRequestURI().getPath());
            if (f == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                long size = ch.size();
                ex.getResponseHeaders().set("ETag", "\"" + Long.toHexString(size) + "\"");
                ex.getResponseHeaders().set("Accept-Ranges", "bytes");
                String range = ex.getRequestHeaders().getFirst("Range");
                Matcher m = range == null ? null : RANGE.matcher(range);
                if (m == null || !m.matches()) {
                    send(ex, ch, 200, 0, size);
                    return;
                }
                long a;
                long b;
                if (m.group(1).isEmpty()) {
                    a = Math.max(0, size - Long.parseLong(m.group(2)));
                    b = size - 1;
                } else {
                    a = Long.parseLong(m.group(1));
                    b = m.group(2).isEmpty() ? size - 1 : Math.min(Long.parseLong(m.group(2)), size - 1);
                }
                if (a >= size || b < a) {
                    ex.getResponseHeaders().set("Content-Range", "bytes */" + size);
                    ex.sendResponseHeaders(416, -1);
                    return;
                }
                ex.getResponseHeaders().set("Content-Range", "bytes " + a + "-" + b + "/" + size);
                send(ex, ch, 206, a, b - a + 1);
            }
        }
    }

    private void send(HttpExchange ex, FileChannel ch, int status, long from, long len) throws IOException {
        ex.sendResponseHeaders(status, len == 0 ? -1 : len);
        OutputStream out = ex.getResponseBody();
        byte[] buf = new byte[256 << 10];
        ByteBuffer bb = ByteBuffer.wrap(buf);
        try {
            for (long at = 0; at < len; ) {
                bb.clear().limit((int) Math.min(buf.length, len - at));
                int n = ch.read(bb, from + at);
                if (n <= 0) {
                    break;
                }
                out.write(buf, 0, n);
                bytesSent.addAndGet(n);
                at += n;
            }
        } catch (IOException e) {
            // the client closed early
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
