// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A loopback HTTP server with range support and switchable faults, for tests. */
public final class RangeServer implements AutoCloseable {
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    /** One request as received. */
    record Request(String path, String range, String authorization, String ifMatch) {
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Map<String, String> etags = new ConcurrentHashMap<>();
    private final AtomicInteger version = new AtomicInteger();
    final List<Request> log = Collections.synchronizedList(new ArrayList<>());
    final AtomicLong bytesSent = new AtomicLong();
    /** Requests received and not yet being answered, and the most at once so far. */
    private final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();

    /** Answer 200 with the whole body, ignoring Range. */
    volatile boolean ignoreRange;
    /** Answer this many requests with 500 first. */
    public final AtomicInteger fail500 = new AtomicInteger();
    /** Cut this many bodies after {@link #dropAfter} bytes (Content-Length promising the whole range). */
    final AtomicInteger drops = new AtomicInteger();
    volatile int dropAfter;
    /** A Content-Range to send instead of the right one. */
    volatile String badContentRange;
    /** Wait this long before answering. */
    volatile long delayMillis;
    /** Redirect every request to this base URI (path appended). */
    volatile URI redirectTo;
    /** Answer this many requests with {@link #status} first. */
    final AtomicInteger statusTimes = new AtomicInteger();
    volatile int status;
    /** Ignore If-Match (a server that does not check preconditions). */
    volatile boolean ignoreIfMatch;

    private RangeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    public static RangeServer start() throws IOException {
        return new RangeServer();
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    public RangeServer put(String path, byte[] bytes) {
        files.put(path, bytes);
        etags.put(path, "\"v" + version.incrementAndGet() + "\"");
        return this;
    }

    public RangeServer putFile(String path, Path file) throws IOException {
        return put(path, Files.readAllBytes(file));
    }

    void removeAll() {
        files.clear();
    }

    public int requests() {
        return log.size();
    }

    private void handle(HttpExchange ex) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        // counted until the answer starts: once its last byte is sent the client may start the next request
        // before this handler returns, which would count one request too many
        boolean counted = true;
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String range = ex.getRequestHeaders().getFirst("Range");
            log.add(new Request(path, range, ex.getRequestHeaders().getFirst("Authorization"),
                    ex.getRequestHeaders().getFirst("If-Match")));
            ex.getRequestBody().readAllBytes();
            if (delayMillis > 0) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
            inFlight.decrementAndGet();
            counted = false;
            if (redirectTo != null) {
                ex.getResponseHeaders().set("Location", redirectTo.resolve(path).toString());
                ex.sendResponseHeaders(302, -1);
                return;
            }
            if (statusTimes.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                ex.sendResponseHeaders(status, -1);
                return;
            }
            if (fail500.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                ex.sendResponseHeaders(500, -1);
                return;
            }
            byte[] body = files.get(path);
            if (body == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            String etag = etags.get(path);
            String ifMatch = ex.getRequestHeaders().getFirst("If-Match");
            if (ifMatch != null && !ignoreIfMatch && !ifMatch.equals(etag)) {
                ex.sendResponseHeaders(412, -1);
                return;
            }
            ex.getResponseHeaders().set("ETag", etag);
            ex.getResponseHeaders().set("Accept-Ranges", "bytes");
            Matcher m = range == null ? null : RANGE.matcher(range);
            if (ignoreRange || m == null || !m.matches()) {
                send(ex, 200, body, 0, body.length);
                return;
            }
            long a;
            long b;
            if (m.group(1).isEmpty()) {
                long n = Long.parseLong(m.group(2));
                a = Math.max(0, body.length - n);
                b = body.length - 1;
            } else {
                a = Long.parseLong(m.group(1));
                b = m.group(2).isEmpty() ? body.length - 1 : Math.min(Long.parseLong(m.group(2)), body.length - 1);
            }
            if (a >= body.length) {
                ex.getResponseHeaders().set("Content-Range", "bytes */" + body.length);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            String cr = badContentRange;
            ex.getResponseHeaders().set("Content-Range", cr != null ? cr : "bytes " + a + "-" + b + "/" + body.length);
            send(ex, 206, body, (int) a, (int) (b - a + 1));
        } finally {
            if (counted) {
                inFlight.decrementAndGet();
            }
        }
    }

    private void send(HttpExchange ex, int status, byte[] body, int from, int len) throws IOException {
        ex.sendResponseHeaders(status, len == 0 ? -1 : len);
        if (len == 0) {
            return;
        }
        OutputStream out = ex.getResponseBody();
        try {
            if (drops.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                int n = Math.min(dropAfter, len);
                out.write(body, from, n);
                out.flush();
                bytesSent.addAndGet(n);
                throw new IOException("dropped");
            }
            for (int at = 0; at < len; at += 16384) {
                int n = Math.min(16384, len - at);
                out.write(body, from + at, n);
                bytesSent.addAndGet(n);
            }
        } catch (IOException e) {
            // the client closed early (a 200 it did not want whole) or the drop above
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
