// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.WeightmapException;

/**
 * A failure reading remote weights: the {@link Reason} says which, the message names the URL (without its query
 * string, which may hold a signature) and never a credential.
 */
public final class RemoteException extends WeightmapException {
    private static final long serialVersionUID = 1L;

    /** Why a remote read failed. */
    public enum Reason implements WeightmapException.Reason {
        /** The URL is not an absolute {@code http} or {@code https} URL. */
        REMOTE_BAD_URL,
        /** The server answered 404 or 410. */
        REMOTE_NOT_FOUND,
        /** The server answered 401 or 403: a token is missing or not accepted. */
        REMOTE_UNAUTHORIZED,
        /** Any other unexpected status (also 5xx and 429 once the retries are spent). */
        REMOTE_HTTP_STATUS,
        /** The server answered 416: the range lies beyond the end of the file. */
        REMOTE_RANGE_NOT_SATISFIABLE,
        /** The server answered 200 with the whole file to a request for a range that does not start at 0. */
        REMOTE_RANGE_IGNORED,
        /** A 206 answer whose {@code Content-Range} is missing, malformed or not the range asked for. */
        REMOTE_BAD_CONTENT_RANGE,
        /** The file changed between two requests (another ETag, another size, or 412 to {@code If-Match}). */
        REMOTE_CHANGED,
        /** The body ended (or the connection dropped) before every promised byte arrived, retries spent. */
        REMOTE_TRUNCATED,
        /** No answer within the timeout, retries spent. */
        REMOTE_TIMEOUT,
        /** A connection failure (refused, reset), retries spent. */
        REMOTE_IO,
        /** More redirects than allowed, or a redirect without a usable {@code Location}. */
        REMOTE_REDIRECT,
        /** The remote content is not something weightmap reads remotely, or is larger than a limit. */
        REMOTE_UNSUPPORTED
    }

    /**
     * A failure.
     *
     * @param reason  why
     * @param url     the URL, already stripped of its query
     * @param message what happened (the URL is prefixed)
     * @param cause   the underlying failure, or null
     */
    public RemoteException(Reason reason, String url, String message, Throwable cause) {
        super(reason, url, null, url + ": " + message, cause);
    }

    /**
     * The reason.
     *
     * @return the reason
     */
    @Override
    public Reason reason() {
        return (Reason) super.reason();
    }
}
