// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import dev.weightmap.checksum.Crc;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * CRC-32 (zlib) helpers: over a segment of any size, combination of the CRCs of adjacent pieces (zlib's
 * {@code crc32_combine}), and CRCs of many segments computed in parallel pieces so that one huge entry uses every
 * core.
 */
public final class ZipCrc {
    /** Pieces of at most this many bytes are checksummed independently and then combined. */
    static final long PIECE = 64L << 20;

    private ZipCrc() {
    }

    /** CRC-32 of the whole segment, on the calling thread. */
    public static long crc32(MemorySegment seg) {
        return Integer.toUnsignedLong(Crc.crc32(seg));
    }

    /** The CRC-32 of {@code A || B} from {@code crc(A)}, {@code crc(B)} and {@code len(B)} (zlib's crc32_combine). */
    public static long combine(long crcA, long crcB, long lengthB) {
        return Integer.toUnsignedLong(Crc.combineCrc32((int) crcA, (int) crcB, lengthB));
    }

    /**
     * The CRC-32 of every segment, computed in parallel over pieces of at most 64 MiB (so a single large segment
     * is spread over all cores) and combined in order.
     */
    public static long[] crc32Parallel(List<MemorySegment> segments) {
        record Piece(int seg, long off, long len) {
        }
        List<Piece> pieces = new ArrayList<>();
        for (int i = 0; i < segments.size(); i++) {
            long size = segments.get(i).byteSize();
            if (size == 0) {
                pieces.add(new Piece(i, 0, 0));
            }
            for (long off = 0; off < size; off += PIECE) {
                pieces.add(new Piece(i, off, Math.min(PIECE, size - off)));
            }
        }
        long[] crcs = new long[pieces.size()];
        Thread other = Thread.ofPlatform().unstarted(() -> { });
        boolean shared = segments.stream().allMatch(s -> s.isAccessibleBy(other));
        IntStream range = IntStream.range(0, pieces.size());
        if (shared && pieces.size() > 1) {
            range = range.parallel(); // confined segments (and single pieces) stay on the calling thread
        }
        range.forEach(k -> {
            Piece p = pieces.get(k);
            crcs[k] = crc32(segments.get(p.seg()).asSlice(p.off(), p.len()));
        });
        long[] out = new long[segments.size()];
        boolean[] started = new boolean[segments.size()];
        for (int k = 0; k < pieces.size(); k++) {
            Piece p = pieces.get(k);
            out[p.seg()] = started[p.seg()] ? combine(out[p.seg()], crcs[k], p.len()) : crcs[k];
            started[p.seg()] = true;
        }
        return out;
    }
}
