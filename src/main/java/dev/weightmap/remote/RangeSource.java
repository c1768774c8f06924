// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import java.lang.foreign.MemorySegment;

/**
 * Random access to the bytes of one remote file: what a format reads its header and tensors through. A format
 * that reads remotely needs nothing else: it asks for a prefix (or a suffix, for a ZIP's end of central
 * directory), parses it, and lists where each tensor's bytes are; {@link RemoteWeights} fetches them. Safe for
 * concurrent use.
 */
public interface RangeSource {
    /**
     * The name used in messages: the URL without its query string.
     *
     * @return the display name
     */
    String displayName();

    /**
     * The file's size: known after the first read.
     *
     * @return the size in bytes
     * @throws RemoteException when it cannot be learned
     */
    long size();

    /**
     * Reads {@code dst.byteSize()} bytes starting at {@code offset} into {@code dst}, all or nothing.
     *
     * @param offset the first byte
     * @param dst    where the bytes go; its size is the number read
     * @throws RemoteException when the range cannot be read whole, or the file changed
     */
    void read(long offset, MemorySegment dst);

    /**
     * Reads a prefix of the file: the first {@code length} bytes, or the whole file when it is shorter. The first
     * read may learn the size from it.
     *
     * @param length the most bytes wanted
     * @return the bytes, {@code min(length, size)} of them
     * @throws RemoteException when the bytes cannot be read
     */
    byte[] readPrefix(int length);
}
