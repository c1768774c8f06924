// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.HexFormat;
import java.util.Objects;

/**
 * An incremental checksum or hash: feed bytes in any chunking, read the digest at any time. The digest equals
 * the one-shot {@link Checksums#digest(ChecksumAlgorithm, MemorySegment)} of the concatenated input. Not
 * thread-safe. Obtain one from {@link Checksums#newHasher(ChecksumAlgorithm)}.
 *
 * <pre>{@code
 * Hasher h = Checksums.newHasher(ChecksumAlgorithm.XXH3_64);
 * tensor.writeTo(h.asChannel());   // streams the tensor's logical bytes
 * String hex = h.hex();
 * }</pre>
 */
public interface Hasher {
    /**
     * The algorithm this hasher computes.
     *
     * @return the algorithm
     */
    ChecksumAlgorithm algorithm();

    /**
     * Adds all bytes of {@code s} (any kind of segment, any size).
     *
     * @param s the bytes to add
     */
    void update(MemorySegment s);

    /**
     * Adds {@code len} bytes of {@code b} from {@code off}.
     *
     * @param b the array holding the bytes
     * @param off the index of the first byte to add
     * @param len the number of bytes to add
     */
    default void update(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        update(MemorySegment.ofArray(b).asSlice(off, len));
    }

    /**
     * The canonical big-endian digest of everything added so far (4 bytes for CRCs, 8 for XXH64/XXH3-64, 16
     * for XXH3-128 with the high half first, 32 for SHA-256). Does not reset or change the state.
     *
     * @return the digest in canonical byte order
     */
    byte[] digest();

    /**
     * {@link #digest()} as lower-case hex, the way xxhsum, sha256sum and zlib users print it.
     *
     * @return the digest in lower-case hex
     */
    default String hex() {
        return HexFormat.of().formatHex(digest());
    }

    /**
     * A channel whose writes feed this hasher (each write consumes the whole buffer). Closing the channel does
     * not finish the hasher; later writes to a closed channel throw {@link ClosedChannelException}.
     *
     * @return a writable channel that feeds this hasher
     */
    default WritableByteChannel asChannel() {
        Hasher self = this;
        return new WritableByteChannel() {
            private boolean open = true;

            @Override
            public int write(ByteBuffer src) throws ClosedChannelException {
                if (!open) {
                    throw new ClosedChannelException();
                }
                int n = src.remaining();
                self.update(MemorySegment.ofBuffer(src));
                src.position(src.limit());
                return n;
            }

            @Override
            public boolean isOpen() {
                return open;
            }

            @Override
            public void close() {
                open = false;
            }
        };
    }
}
