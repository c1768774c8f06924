// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.io.FileStreamer;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;

/** XXH64 (xxHash 0.8 format): one-shot over a segment and an incremental {@link Hasher}. */
final class Xxh64 {
    private static final long P1 = 0x9E3779B185EBCA87L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    private static final long P3 = 0x165667B19E3779F9L;
    private static final long P4 = 0x85EBCA77C2B2AE63L;
    private static final long P5 = 0x27D4EB2F165667C5L;
    private static final ValueLayout.OfLong LE64 = Xxh3.LE64;
    private static final ValueLayout.OfInt LE32 = Xxh3.LE32;

    private Xxh64() {
    }

    private static long round(long acc, long input) {
        return Long.rotateLeft(acc + input * P2, 31) * P1;
    }

    private static long mergeRound(long h, long v) {
        return (h ^ round(0, v)) * P1 + P4;
    }

    /** XXH64 of the whole segment. */
    static long hash(MemorySegment s, long seed) {
        if (FileStreamer.isMapped(s)) { // a fault becomes FILE_CHANGED: see FileStreamer
            State st = new State(seed);
            st.update(s);
            return st.value();
        }
        long len = s.byteSize();
        long off = 0;
        long h;
        if (len >= 32) {
            long v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
            long limit = len - 32;
            for (; off <= limit; off += 32) {
                v1 = round(v1, s.get(LE64, off));
                v2 = round(v2, s.get(LE64, off + 8));
                v3 = round(v3, s.get(LE64, off + 16));
                v4 = round(v4, s.get(LE64, off + 24));
            }
            h = converge(v1, v2, v3, v4);
        } else {
            h = seed + P5;
        }
        h += len;
        return tail(h, s, off, len);
    }

    private static long converge(long v1, long v2, long v3, long v4) {
        long h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
        h = mergeRound(h, v1);
        h = mergeRound(h, v2);
        h = mergeRound(h, v3);
        return mergeRound(h, v4);
    }

    private static long tail(long h, MemorySegment s, long off, long end) {
        for (; off + 8 <= end; off += 8) {
            h ^= round(0, s.get(LE64, off));
            h = Long.rotateLeft(h, 27) * P1 + P4;
        }
        if (off + 4 <= end) {
            h ^= (s.get(LE32, off) & 0xFFFFFFFFL) * P1;
            h = Long.rotateLeft(h, 23) * P2 + P3;
            off += 4;
        }
        for (; off < end; off++) {
            h ^= (s.get(ValueLayout.JAVA_BYTE, off) & 0xFFL) * P5;
            h = Long.rotateLeft(h, 11) * P1;
        }
        return Xxh3.xxh64Avalanche(h);
    }

    /** Incremental XXH64: four lanes over 32-byte stripes plus a 32-byte buffer. */
    static final class State implements Hasher {
        private final long seed;
        private long v1, v2, v3, v4;
        private final byte[] buf = new byte[32];
        private final MemorySegment bufSeg = MemorySegment.ofArray(buf);
        private int buffered;
        private long total;

        State(long seed) {
            this.seed = seed;
            v1 = seed + P1 + P2;
            v2 = seed + P2;
            v3 = seed;
            v4 = seed - P1;
        }

        @Override
        public ChecksumAlgorithm algorithm() {
            return ChecksumAlgorithm.XXH64;
        }

        private void stripes(MemorySegment s, long off, long end) {
            long a = v1, b = v2, c = v3, d = v4;
            for (; off + 32 <= end; off += 32) {
                a = round(a, s.get(LE64, off));
                b = round(b, s.get(LE64, off + 8));
                c = round(c, s.get(LE64, off + 16));
                d = round(d, s.get(LE64, off + 24));
            }
            v1 = a; v2 = b; v3 = c; v4 = d;
        }

        @Override
        public void update(MemorySegment s) {
            if (FileStreamer.isMapped(s)) {
                FileStreamer.readSegment(s, this::update);
                return;
            }
            long len = s.byteSize();
            total += len;
            long off = 0;
            if (buffered > 0) {
                int fill = (int) Math.min(32 - buffered, len);
                MemorySegment.copy(s, 0, bufSeg, buffered, fill);
                buffered += fill;
                off = fill;
                if (buffered < 32) {
                    return;
                }
                stripes(bufSeg, 0, 32);
                buffered = 0;
            }
            long whole = off + (len - off) / 32 * 32;
            stripes(s, off, whole);
            if (whole < len) {
                MemorySegment.copy(s, whole, bufSeg, 0, len - whole);
                buffered = (int) (len - whole);
            }
        }

        long value() {
            long h = total >= 32 ? converge(v1, v2, v3, v4) : seed + P5;
            h += total;
            return tail(h, bufSeg, 0, buffered);
        }

        @Override
        public byte[] digest() {
            return ByteBuffer.allocate(8).putLong(value()).array();
        }
    }
}
