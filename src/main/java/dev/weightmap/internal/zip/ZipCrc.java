package dev.weightmap.internal.zip;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.zip.CRC32;

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
        CRC32 crc = new CRC32();
        final long chunk = 1L << 30;
        long size = seg.byteSize();
        for (long off = 0; off < size; off += chunk) {
            crc.update(seg.asSlice(off, Math.min(chunk, size - off)).asByteBuffer());
        }
        return crc.getValue();
    }

    /** The CRC-32 of {@code A || B} from {@code crc(A)}, {@code crc(B)} and {@code len(B)}. */
    public static long combine(long crcA, long crcB, long lengthB) {
        if (lengthB <= 0) {
            return crcA;
        }
        long[] even = new long[32];
        long[] odd = new long[32];
        odd[0] = 0xEDB88320L; // the CRC-32 polynomial: the operator for one zero bit
        long row = 1;
        for (int n = 1; n < 32; n++) {
            odd[n] = row;
            row <<= 1;
        }
        square(even, odd); // two zero bits
        square(odd, even); // four zero bits
        long crc = crcA;
        long len = lengthB;
        do {
            square(even, odd); // apply len2 zero bytes to crc1 (first square puts the operator for one zero byte in even)
            if ((len & 1) != 0) {
                crc = times(even, crc);
            }
            len >>>= 1;
            if (len == 0) {
                break;
            }
            square(odd, even);
            if ((len & 1) != 0) {
                crc = times(odd, crc);
            }
            len >>>= 1;
        } while (len != 0);
        return (crc ^ crcB) & 0xFFFFFFFFL;
    }

    private static long times(long[] mat, long vec) {
        long sum = 0;
        int i = 0;
        while (vec != 0) {
            if ((vec & 1) != 0) {
                sum ^= mat[i];
            }
            vec >>>= 1;
            i++;
        }
        return sum;
    }

    private static void square(long[] square, long[] mat) {
        for (int n = 0; n < 32; n++) {
            square[n] = times(mat, mat[n]);
        }
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
