// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import java.time.Duration;
import java.util.Objects;

/**
 * Choices for reading remote weights: credentials, timeouts, retries, concurrency. Immutable; start from
 * {@link #defaults()} and change with the {@code with…} methods.
 *
 * <p>The bearer token defaults to the {@code HF_TOKEN} environment variable. It is sent only to the scheme, host
 * and port of the URL the caller named: a redirect elsewhere (the Hub's CDN, another bucket) is followed without
 * it. It appears in no message and in no {@link #toString()}.
 */
public final class RemoteOptions {
    private static final RemoteOptions DEFAULTS = new RemoteOptions(System.getenv("HF_TOKEN"),
            Duration.ofSeconds(10), Duration.ofSeconds(60), 3, Duration.ofMillis(200), 8, 10, 100 * 1024,
            64L << 20);

    private final String token;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final int maxConcurrency;
    private final int maxRedirects;
    private final int speculativeBytes;
    private final long maxIndexBytes;

    private RemoteOptions(String token, Duration connectTimeout, Duration requestTimeout, int maxRetries,
                          Duration initialBackoff, int maxConcurrency, int maxRedirects, int speculativeBytes,
                          long maxIndexBytes) {
        this.token = token == null || token.isBlank() ? null : token.strip();
        this.connectTimeout = connectTimeout;
        this.requestTimeout = requestTimeout;
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.maxConcurrency = maxConcurrency;
        this.maxRedirects = maxRedirects;
        this.speculativeBytes = speculativeBytes;
        this.maxIndexBytes = maxIndexBytes;
    }

    /**
     * The defaults: token from {@code HF_TOKEN}, connect timeout 10 s, 60 s without progress per request, 3
     * retries starting at 200 ms and doubling, 8 concurrent requests, 10 redirects, a first request of 100 KiB for
     * a header, indexes up to 64 MiB.
     *
     * @return the defaults
     */
    public static RemoteOptions defaults() {
        return DEFAULTS;
    }

    /**
     * With a bearer token (replacing {@code HF_TOKEN}); null or blank for none.
     *
     * @param token the token
     * @return new options
     */
    public RemoteOptions withToken(String token) {
        return new RemoteOptions(token, connectTimeout, requestTimeout, maxRetries, initialBackoff, maxConcurrency,
                maxRedirects, speculativeBytes, maxIndexBytes);
    }

    /**
     * With timeouts.
     *
     * @param connect to establish a connection
     * @param request for the response headers, and for each read of the body to make progress
     * @return new options
     * @throws IllegalArgumentException when a duration is not positive
     */
    public RemoteOptions withTimeouts(Duration connect, Duration request) {
        if (connect.isNegative() || connect.isZero() || request.isNegative() || request.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive");
        }
        return new RemoteOptions(token, connect, request, maxRetries, initialBackoff, maxConcurrency,
                maxRedirects, speculativeBytes, maxIndexBytes);
    }

    /**
     * With a retry policy for connection failures, timeouts, truncated bodies, 5xx and 429 answers.
     *
     * @param maxRetries     retries after the first attempt (0 for none)
     * @param initialBackoff the wait before the first retry; it doubles with each further one
     * @return new options
     * @throws IllegalArgumentException when a value is negative
     */
    public RemoteOptions withRetries(int maxRetries, Duration initialBackoff) {
        if (maxRetries < 0 || initialBackoff.isNegative()) {
            throw new IllegalArgumentException("retries and backoff must not be negative");
        }
        return new RemoteOptions(token, connectTimeout, requestTimeout, maxRetries, Objects.requireNonNull(
                initialBackoff), maxConcurrency, maxRedirects, speculativeBytes, maxIndexBytes);
    }

    /**
     * With a bound on concurrent requests (shard headers, slice runs).
     *
     * @param maxConcurrency at least 1
     * @return new options
     * @throws IllegalArgumentException when below 1
     */
    public RemoteOptions withMaxConcurrency(int maxConcurrency) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency must be at least 1");
        }
        return new RemoteOptions(token, connectTimeout, requestTimeout, maxRetries, initialBackoff, maxConcurrency,
                maxRedirects, speculativeBytes, maxIndexBytes);
    }

    /**
     * With the size of the first, speculative request for a header.
     *
     * @param bytes at least 16
     * @return new options
     * @throws IllegalArgumentException when below 16
     */
    public RemoteOptions withSpeculativeBytes(int bytes) {
        if (bytes < 16) {
            throw new IllegalArgumentException("speculativeBytes must be at least 16");
        }
        return new RemoteOptions(token, connectTimeout, requestTimeout, maxRetries, initialBackoff, maxConcurrency,
                maxRedirects, bytes, maxIndexBytes);
    }

    /**
     * Whether a token is set (the token itself is not readable from outside the package).
     *
     * @return true when requests to the named host carry {@code Authorization: Bearer …}
     */
    public boolean hasToken() {
        return token != null;
    }

    String token() {
        return token;
    }

    /**
     * The connect timeout.
     *
     * @return the timeout
     */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /**
     * The timeout for response headers and for each read of a body.
     *
     * @return the timeout
     */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * Retries after the first attempt.
     *
     * @return the count
     */
    public int maxRetries() {
        return maxRetries;
    }

    /**
     * The wait before the first retry.
     *
     * @return the backoff
     */
    public Duration initialBackoff() {
        return initialBackoff;
    }

    /**
     * The bound on concurrent requests.
     *
     * @return at least 1
     */
    public int maxConcurrency() {
        return maxConcurrency;
    }

    /**
     * Redirects followed per request.
     *
     * @return the count
     */
    public int maxRedirects() {
        return maxRedirects;
    }

    /**
     * The size of the first request for a header.
     *
     * @return bytes
     */
    public int speculativeBytes() {
        return speculativeBytes;
    }

    /**
     * The largest index JSON read.
     *
     * @return bytes
     */
    public long maxIndexBytes() {
        return maxIndexBytes;
    }

    @Override
    public String toString() {
        return "RemoteOptions[token=" + (token == null ? "none" : "set") + ", connectTimeout=" + connectTimeout
                + ", requestTimeout=" + requestTimeout + ", maxRetries=" + maxRetries + ", maxConcurrency="
                + maxConcurrency + "]";
    }
}
