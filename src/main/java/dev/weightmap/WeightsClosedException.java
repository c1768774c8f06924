// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

/**
 * A reader ({@link Weights}) was used after {@link Weights#close()}. It is an {@link IllegalStateException}, so
 * callers that caught the JDK's exception keep working; its message names the file.
 *
 * <p>Library methods of a closed reader throw this exception. A raw {@link java.lang.foreign.MemorySegment} (for
 * example {@code tensor.data()}) obtained before the close throws the JDK's plain {@link IllegalStateException}
 * once the mapping is gone.
 */
public final class WeightsClosedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /** The path or display name of the closed reader. */
    private final String file;

    /**
     * An exception for a closed reader.
     *
     * @param file the reader's path or display name
     */
    public WeightsClosedException(String file) {
        super(file + ": already closed");
        this.file = file;
    }

    /**
     * An exception for a closed reader with the JDK's failure as cause.
     *
     * @param file  the reader's path or display name
     * @param cause the JDK's exception
     */
    public WeightsClosedException(String file, Throwable cause) {
        super(file + ": already closed", cause);
        this.file = file;
    }

    /**
     * The reader's file.
     *
     * @return its path or display name
     */
    public String file() {
        return file;
    }

    /**
     * Always {@link WeightmapException.Common#CLOSED}.
     *
     * @return the reason
     */
    public WeightmapException.Reason reason() {
        return WeightmapException.Common.CLOSED;
    }
}
