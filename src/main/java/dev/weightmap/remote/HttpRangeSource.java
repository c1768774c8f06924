// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.remote.RemoteException.Reason;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One remote file read with HTTP range requests, with the rules a careful client follows:
 * <ul>
 *   <li>every read is a {@code GET} with {@code Range: bytes=a-b}; a {@code 206} answer must carry a
 *       {@code Content-Range} of exactly that range (clamped only at the end of the file) and of the file's
 *       size, else {@code REMOTE_BAD_CONTENT_RANGE};</li>
 *   <li>a server that ignores {@code Range} and answers {@code 200} with the whole file: for a read that starts at
 *       byte 0 the bytes needed are read from the start of the body and the connection is closed (the rest is
 *       never downloaded); for any other read the answer is refused with {@code REMOTE_RANGE_IGNORED}, since
 *       honouring it would mean downloading everything before the range;</li>
 *   <li>{@code 416} is {@code REMOTE_RANGE_NOT_SATISFIABLE}; redirects are followed (at most
 *       {@link RemoteOptions#maxRedirects()}), and the final location is reused by later reads (asked again
 *       from the named URL when it answers 401, 403, 404 or 410, as an expired signed URL does);</li>
 *   <li>the first answer's {@code ETag} and size are remembered: later reads send {@code If-Match} (for a strong
 *       ETag), and a {@code 412}, another ETag or another size is {@code REMOTE_CHANGED}: the bytes of one reader
 *       always come from one version of the file;</li>
 *   <li>connection failures, timeouts, truncated bodies, {@code 5xx} and {@code 429} are retried
 *       ({@link RemoteOptions#maxRetries()}, exponential backoff; a truncated body resumes where it stopped);</li>
 *   <li>the bearer token goes only to the scheme, host and port the caller named, never to a redirect target
 *       elsewhere; messages name the URL without its query string and user info.</li>
 * </ul>
 * Safe for concurrent use. {@link #close()} releases the HTTP client when this source created it.
 */
public final class HttpRangeSource implements RangeSource, AutoCloseable {
    private static final Pattern CONTENT_RANGE = Pattern.compile("\\s*bytes\\s+(\\d{1,18})-(\\d{1,18})/(\\d{1,18}|\\*)\\s*",
            Pattern.CASE_INSENSITIVE);
    private static final int CHUNK = 64 << 10;

    private final URI origin;
    private final String display;
    private final RemoteOptions options;
    private final HttpClient client;
    private final boolean ownsClient;
    private final ScheduledExecutorService watchdog;
    private final boolean ownsWatchdog;
    private volatile URI resolved;
    private volatile long size = -1;
    private volatile String etag;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong received = new AtomicLong();

    private HttpRangeSource(URI uri, RemoteOptions options, HttpClient client, ScheduledExecutorService watchdog) {
        this.origin = checkUri(uri);
        this.display = display(uri);
        this.options = options;
        this.ownsClient = client == null;
        this.client = client != null ? client : newClient(uri, options);
        this.ownsWatchdog = watchdog == null;
        this.watchdog = watchdog != null ? watchdog : newWatchdog();
    }

    /**
     * A source for {@code uri}; nothing is requested yet.
     *
     * @param uri     an absolute {@code http} or {@code https} URL
     * @param options token, timeouts, retries
     * @return the source; close it
     * @throws RemoteException {@code REMOTE_BAD_URL} for anything but an absolute http(s) URL with a host
     */
    public static HttpRangeSource open(URI uri, RemoteOptions options) {
        return new HttpRangeSource(uri, options, null, null);
    }

    /** A source sharing another's client and watchdog (the shards of one checkpoint); closing it frees nothing. */
    HttpRangeSource sibling(URI uri) {
        return new HttpRangeSource(uri, options, client, watchdog);
    }

    static HttpClient newClient(URI uri, RemoteOptions options) {
        return HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER) // followed here, so the token never leaves its host
                .connectTimeout(options.connectTimeout())
                .version("https".equalsIgnoreCase(uri.getScheme()) ? HttpClient.Version.HTTP_2
                        : HttpClient.Version.HTTP_1_1)
                .build();
    }

    private static ScheduledExecutorService newWatchdog() {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "weightmap-remote-watchdog");
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    private static URI checkUri(URI uri) {
        String scheme = uri.getScheme();
        if (!uri.isAbsolute() || scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null) {
            throw new RemoteException(Reason.REMOTE_BAD_URL, display(uri),
                    "not an absolute http or https URL with a host", null);
        }
        return uri;
    }

    /**
     * A URL as messages show it: scheme, host, port and path, without user info, query or fragment (where
     * signatures and keys travel).
     *
     * @param uri any URI
     * @return the display form
     */
    public static String display(URI uri) {
        if (uri.getHost() == null) {
            String s = uri.toString();
            int cut = s.indexOf('?');
            s = cut < 0 ? s : s.substring(0, cut);
            int at = s.lastIndexOf('@');
            return at < 0 ? s : s.substring(at + 1);
        }
        StringBuilder b = new StringBuilder();
        b.append(uri.getScheme()).append("://").append(uri.getHost());
        if (uri.getPort() >= 0) {
            b.append(':').append(uri.getPort());
        }
        b.append(uri.getRawPath() == null ? "" : uri.getRawPath());
        return b.toString();
    }

    /**
     * The URL as named, for display.
     *
     * @return the URL without query or user info
     */
    @Override
    public String displayName() {
        return display;
    }

    /**
     * The URL the caller named.
     *
     * @return the URI
     */
    public URI uri() {
        return origin;
    }

    /**
     * HTTP requests sent so far (redirect hops and retries included).
     *
     * @return the count
     */
    public long requestCount() {
        return requests.get();
    }

    /**
     * Body bytes received so far.
     *
     * @return the count
     */
    public long bytesReceived() {
        return received.get();
    }

    /**
     * The ETag of the file, once known.
     *
     * @return the ETag as the server sent it, or empty
     */
    public Optional<String> etag() {
        return Optional.ofNullable(etag);
    }

    @Override
    public long size() {
        long s = size;
        if (s < 0) {
            readPrefix(1);
            s = size;
        }
        return s;
    }

    @Override
    public byte[] readPrefix(int length) {
        if (length <= 0) {
            throw new IllegalArgumentException("length must be positive");
        }
        byte[] buf = new byte[length];
        long got = fetch(0, MemorySegment.ofArray(buf), true);
        return got == length ? buf : java.util.Arrays.copyOf(buf, (int) got);
    }

    /**
     * The last {@code length} bytes of the file (or all of it when shorter), with a suffix range request:
     * where a ZIP archive keeps its end of central directory.
     *
     * @param length the most bytes wanted
     * @return the bytes
     * @throws RemoteException when they cannot be read
     */
    public byte[] readSuffix(int length) {
        long s = size();
        int n = (int) Math.min(length, s);
        byte[] buf = new byte[n];
        if (n > 0) {
            read(s - n, MemorySegment.ofArray(buf));
        }
        return buf;
    }

    @Override
    public void read(long offset, MemorySegment dst) {
        long len = dst.byteSize();
        if (offset < 0) {
            throw new IllegalArgumentException("negative offset");
        }
        if (len == 0) {
            return;
        }
        long s = size;
        if (s >= 0 && (offset > s || len > s - offset)) {
            throw new RemoteException(Reason.REMOTE_RANGE_NOT_SATISFIABLE, display, "bytes " + offset + "-"
                    + (offset + len - 1) + " lie beyond the end of the file (" + s + " bytes)", null);
        }
        long got = fetch(offset, dst, false);
        if (got != len) {
            throw new RemoteException(Reason.REMOTE_RANGE_NOT_SATISFIABLE, display, "bytes " + offset + "-"
                    + (offset + len - 1) + " lie beyond the end of the file (" + size + " bytes)", null);
        }
    }

    /** A failure worth another attempt. */
    private static final class Transient extends Exception {
        private static final long serialVersionUID = 1L;
        final Reason reason;

        Transient(Reason reason, String message, Throwable cause) {
            super(message, cause, false, false);
            this.reason = reason;
        }
    }

    /**
     * Fills dst from offset; returns how many bytes were filled (fewer only when the file ends first, which only
     * a prefix read allows).
     */
    private long fetch(long offset, MemorySegment dst, boolean prefix) {
        long done = 0;
        Transient last = null;
        for (int attempt = 0; attempt <= options.maxRetries(); attempt++) {
            if (attempt > 0) {
                backoff(attempt);
            }
            try {
                long[] progress = {done};
                try {
                    return attempt(offset, dst, progress);
                } finally {
                    done = progress[0];
                }
            } catch (Transient t) {
                last = t;
            }
        }
        throw new RemoteException(last.reason, display, last.getMessage() + " (after " + (options.maxRetries() + 1)
                + " attempts)", last.getCause());
    }

    private void backoff(int attempt) {
        long ms = options.initialBackoff().toMillis() << Math.min(attempt - 1, 16);
        try {
            Thread.sleep(Math.min(ms, 30_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteException(Reason.REMOTE_IO, display, "interrupted", e);
        }
    }

    /** One attempt, resuming at progress[0] bytes into dst; updates progress[0] as bytes arrive. */
    private long attempt(long offset, MemorySegment dst, long[] progress) throws Transient {
        long from = offset + progress[0];
        long to = offset + dst.byteSize() - 1;
        URI target = resolved != null ? resolved : origin;
        for (int hop = 0; ; hop++) {
            HttpRequest.Builder rb = HttpRequest.newBuilder(target).GET()
                    .timeout(options.requestTimeout())
                    .header("Range", "bytes=" + from + "-" + to)
                    .header("Accept-Encoding", "identity");
            String tag = etag;
            if (tag != null && !tag.startsWith("W/")) {
                rb.header("If-Match", tag);
            }
            if (options.token() != null && sameOrigin(target, origin)) {
                rb.header("Authorization", "Bearer " + options.token());
            }
            HttpResponse<InputStream> r = send(rb.build());
            int status = r.statusCode();
            URI cached = resolved;
            if (hop == 0 && cached != null && !cached.equals(origin)
                    && (status == 401 || status == 403 || status == 404 || status == 410)) {
                // a remembered redirect target that expired (a signed CDN URL): ask the named URL again
                closeQuietly(r.body());
                resolved = null;
                target = origin;
                continue;
            }
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                closeQuietly(r.body());
                Optional<String> loc = r.headers().firstValue("Location");
                if (loc.isEmpty() || hop >= options.maxRedirects()) {
                    throw new RemoteException(Reason.REMOTE_REDIRECT, display, loc.isEmpty()
                            ? "redirect " + status + " without a Location header"
                            : "more than " + options.maxRedirects() + " redirects", null);
                }
                try {
                    target = target.resolve(loc.get().strip());
                } catch (IllegalArgumentException e) {
                    throw new RemoteException(Reason.REMOTE_REDIRECT, display, "redirect to an invalid Location", e);
                }
                if (!"http".equalsIgnoreCase(target.getScheme()) && !"https".equalsIgnoreCase(target.getScheme())) {
                    throw new RemoteException(Reason.REMOTE_REDIRECT, display, "redirect to a non-HTTP URL", null);
                }
                continue;
            }
            try {
                return body(r, status, target, offset, from, to, dst, progress);
            } finally {
                closeQuietly(r.body());
            }
        }
    }

    private long body(HttpResponse<InputStream> r, int status, URI target, long offset, long from, long to,
                      MemorySegment dst, long[] progress) throws Transient {
        switch (status) {
            case 206 -> {
                String cr = r.headers().firstValue("Content-Range").orElse(null);
                Matcher m = cr == null ? null : CONTENT_RANGE.matcher(cr);
                if (m == null || !m.matches() || m.group(3).equals("*")) {
                    throw badRange("206 answer with " + (cr == null ? "no Content-Range" : "Content-Range `" + cr + "`")
                            + " to a request for bytes " + from + "-" + to);
                }
                long a = Long.parseLong(m.group(1));
                long b = Long.parseLong(m.group(2));
                long total = Long.parseLong(m.group(3));
                if (a != from || b < a || b >= total || (b != to && !(b < to && b == total - 1))) {
                    throw badRange("Content-Range `" + cr.strip() + "` answers a request for bytes " + from + "-" + to);
                }
                checkVersion(r, total);
                resolved = target;
                long want = progress[0] + (b - a + 1); // progress: bytes of dst already filled by an earlier attempt
                readInto(r.body(), dst, progress, want);
                return progress[0];
            }
            case 200 -> {
                if (offset != 0 || progress[0] != 0) {
                    throw new RemoteException(Reason.REMOTE_RANGE_IGNORED, display, "the server ignored the Range "
                            + "header and answered 200 with the whole file; refusing to download "
                            + from + " bytes to reach the range", null);
                }
                long total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
                if (total < 0) {
                    throw new RemoteException(Reason.REMOTE_RANGE_IGNORED, display, "the server ignored the Range "
                            + "header and answered 200 without a Content-Length", null);
                }
                checkVersion(r, total);
                resolved = target;
                long want = Math.min(total, dst.byteSize());
                readInto(r.body(), dst, progress, want);
                return progress[0];
            }
            case 412 -> throw new RemoteException(Reason.REMOTE_CHANGED, display,
                    "the file changed while it was being read (412 to If-Match " + etag + ")", null);
            case 416 -> {
                String cr = r.headers().firstValue("Content-Range").orElse("");
                throw new RemoteException(Reason.REMOTE_RANGE_NOT_SATISFIABLE, display, "416: bytes " + from + "-"
                        + to + " are not in the file" + (cr.isEmpty() ? "" : " (Content-Range `" + cr.strip() + "`)"), null);
            }
            case 401, 403 -> throw new RemoteException(Reason.REMOTE_UNAUTHORIZED, display, status
                    + (options.token() == null ? ": access denied (no token set: set HF_TOKEN or pass a token)"
                    : ": access denied (the token was not accepted)"), null);
            case 404, 410 -> throw new RemoteException(Reason.REMOTE_NOT_FOUND, display, status + ": not found", null);
            default -> {
                if (status >= 500 || status == 429) {
                    throw new Transient(Reason.REMOTE_HTTP_STATUS, "HTTP " + status, null);
                }
                throw new RemoteException(Reason.REMOTE_HTTP_STATUS, display, "unexpected HTTP " + status, null);
            }
        }
    }

    private RemoteException badRange(String message) {
        return new RemoteException(Reason.REMOTE_BAD_CONTENT_RANGE, display, message, null);
    }

    /** Remembers the first answer's version, or checks a later one against it. */
    private synchronized void checkVersion(HttpResponse<?> r, long total) {
        String tag = r.headers().firstValue("ETag").map(String::strip).orElse(null);
        if (size < 0) {
            size = total;
            etag = tag;
            return;
        }
        if (total != size) {
            throw new RemoteException(Reason.REMOTE_CHANGED, display, "the file changed while it was being read: "
                    + size + " bytes, now " + total, null);
        }
        if (etag != null && tag != null && !etag.equals(tag)) {
            throw new RemoteException(Reason.REMOTE_CHANGED, display, "the file changed while it was being read: "
                    + "ETag " + etag + ", now " + tag, null);
        }
        if (etag == null && tag != null) {
            etag = tag;
        }
    }

    private HttpResponse<InputStream> send(HttpRequest req) throws Transient {
        requests.incrementAndGet();
        try {
            return client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        } catch (HttpTimeoutException e) {
            throw new Transient(Reason.REMOTE_TIMEOUT, "no answer within " + options.requestTimeout().toMillis()
                    + " ms", e);
        } catch (ConnectException e) {
            throw new Transient(Reason.REMOTE_IO, "cannot connect: " + e.getClass().getSimpleName(), e);
        } catch (IOException e) {
            throw new Transient(Reason.REMOTE_IO, "connection failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + sanitize(e.getMessage())), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RemoteException(Reason.REMOTE_IO, display, "interrupted", e);
        }
    }

    /** Reads the body until progress[0] reaches want, the reads watched by the request timeout. */
    private void readInto(InputStream in, MemorySegment dst, long[] progress, long want) throws Transient {
        byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(1, want - progress[0]))];
        AtomicBoolean timedOut = new AtomicBoolean();
        long timeout = options.requestTimeout().toMillis();
        while (progress[0] < want) {
            int ask = (int) Math.min(buf.length, want - progress[0]);
            ScheduledFuture<?> alarm = watchdog.schedule(() -> {
                timedOut.set(true);
                closeQuietly(in);
            }, timeout, TimeUnit.MILLISECONDS);
            int n;
            try {
                n = in.read(buf, 0, ask);
            } catch (IOException e) {
                if (timedOut.get()) {
                    throw new Transient(Reason.REMOTE_TIMEOUT, "no data for " + timeout + " ms after " + progress[0]
                            + " of " + want + " bytes", e);
                }
                throw new Transient(Reason.REMOTE_TRUNCATED, "the connection dropped after " + progress[0] + " of "
                        + want + " bytes", e);
            } finally {
                alarm.cancel(false);
            }
            if (n < 0) {
                throw new Transient(Reason.REMOTE_TRUNCATED, "the body ended after " + progress[0] + " of " + want
                        + " promised bytes", null);
            }
            MemorySegment.copy(buf, 0, dst, ValueLayout.JAVA_BYTE, progress[0], n);
            progress[0] += n;
            received.addAndGet(n);
        }
    }

    /** Messages from the JDK may quote a URL: keep only what precedes a query. */
    private static String sanitize(String message) {
        int q = message.indexOf('?');
        return q < 0 ? message : message.substring(0, q) + "…";
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        return u.getPort() >= 0 ? u.getPort() : u.getScheme().toLowerCase(Locale.ROOT).equals("https") ? 443 : 80;
    }

    private static void closeQuietly(InputStream in) {
        try {
            in.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Releases the HTTP client and watchdog when this source created them. Idempotent. */
    @Override
    public void close() {
        if (ownsWatchdog) {
            watchdog.shutdownNow();
        }
        if (ownsClient) {
            client.shutdownNow();
        }
    }

    @Override
    public String toString() {
        return "HttpRangeSource[" + display + "]";
    }

}
