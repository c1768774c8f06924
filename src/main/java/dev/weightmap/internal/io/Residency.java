// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.internal.exec.Parallel;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Making mapped bytes resident before they are read: the page ranges under a set of segments, merged where they
 * touch, cut into pieces of {@link #PIECE} bytes and worked on by several threads at once. On Linux 5.14 or newer,
 * with native access granted to weightmap, each piece is one {@code madvise(MADV_POPULATE_READ)} call: the kernel
 * reads the file in and fills the page tables without a page fault per page. Elsewhere (another OS, an older kernel
 * refusing the advice, no native access, a segment that is not mapped) every page of the piece is touched by a
 * one-byte read instead, which faults it in: the same result at a higher cost. Either way the bytes are then in the
 * page cache and mapped; they may still be evicted later under memory pressure, like any file page.
 */
public final class Residency {
    /** The piece of a range one thread works on at a time. */
    public static final long PIECE = 32L << 20;

    /** {@code MADV_POPULATE_READ} of Linux's {@code <linux/mman.h>}. */
    static final int MADV_POPULATE_READ = 22;

    private static final long PAGE = 4096;
    private static final MethodHandle MADVISE = madvise();

    private Residency() {
    }

    private static MethodHandle madvise() {
        try {
            if (!Residency.class.getModule().isNativeAccessEnabled()
                    || !System.getProperty("os.name", "").startsWith("Linux")) {
                return null; // without native access the JDK would warn on the first restricted call
            }
            Linker linker = Linker.nativeLinker();
            Optional<MemorySegment> f = linker.defaultLookup().find("madvise");
            return f.isEmpty() ? null : linker.downcallHandle(f.get(), FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
        } catch (RuntimeException | LinkageError e) { // IllegalCallerException and the like: touch pages instead
            return null;
        }
    }

    /**
     * Whether this process can ask the kernel to populate pages.
     *
     * @return true when {@code madvise} is linked (Linux, native access granted); else pages are touched
     */
    public static boolean kernelPopulate() {
        return MADVISE != null;
    }

    /**
     * Makes the bytes of {@code segments} resident, on up to {@code threads} threads (the caller included).
     *
     * @param segments segments of mappings (or of memory: they are then only touched); all must stay open until
     *                 this returns
     * @param threads  the most threads to use; 1 or less works on the caller only
     * @return the number of bytes asked for: the merged page ranges when the kernel populated them, else the
     *         segments' own bytes
     */
    public static long prefetch(List<MemorySegment> segments, int threads) {
        return prefetch(segments, null, threads);
    }

    /**
     * {@link #prefetch(List, int)}, naming the file of a segment cut short in the {@code FILE_CHANGED} failure.
     *
     * @param segments segments of mappings (or of memory), all open until this returns
     * @param regions  the region of each segment's mapping (entries may be null), or null
     * @param threads  the most threads to use
     * @return the number of bytes asked for, as {@link #prefetch(List, int)}
     */
    public static long prefetch(List<MemorySegment> segments, List<MappedRegion> regions, int threads) {
        if (MADVISE != null) {
            List<long[]> pieces = pieces(segments);
            boolean[] ok = new boolean[pieces.size()];
            Parallel.forEach(pieces.size(), threads, i -> ok[i] = populate(pieces.get(i)[0], pieces.get(i)[1]));
            boolean all = true;
            long total = 0;
            for (int i = 0; i < ok.length; i++) {
                all &= ok[i];
                total += pieces.get(i)[1];
            }
            if (all) {
                return total;
            }
        }
        record Piece(MemorySegment slice, MappedRegion region) {
        }
        List<Piece> pieces = new ArrayList<>();
        long total = 0;
        for (int k = 0; k < segments.size(); k++) {
            MemorySegment s = segments.get(k);
            MappedRegion r = regions == null ? null : regions.get(k);
            for (long off = 0; off < s.byteSize(); off += PIECE) {
                pieces.add(new Piece(s.asSlice(off, Math.min(PIECE, s.byteSize() - off)), r));
            }
            total += s.byteSize();
        }
        Parallel.forEach(pieces.size(), threads, i -> touch(pieces.get(i).slice(), pieces.get(i).region()));
        return total;
    }

    /**
     * The page ranges under the native {@code segments}, merged where they overlap or touch and cut into pieces of
     * at most {@link #PIECE} bytes: {address, length} pairs in address order, page-aligned.
     */
    static List<long[]> pieces(List<MemorySegment> segments) {
        List<long[]> ranges = new ArrayList<>();
        for (MemorySegment s : segments) {
            if (s.byteSize() == 0 || !s.isNative()) {
                continue;
            }
            long start = s.address() & -PAGE;
            long end = (s.address() + s.byteSize() + PAGE - 1) & -PAGE;
            ranges.add(new long[] {start, end});
        }
        ranges.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> merged = new ArrayList<>();
        for (long[] r : ranges) {
            long[] last = merged.isEmpty() ? null : merged.getLast();
            if (last != null && r[0] <= last[1]) {
                last[1] = Math.max(last[1], r[1]);
            } else {
                merged.add(r);
            }
        }
        List<long[]> pieces = new ArrayList<>();
        for (long[] r : merged) {
            for (long a = r[0]; a < r[1]; a += PIECE) {
                pieces.add(new long[] {a, Math.min(PIECE, r[1] - a)});
            }
        }
        return pieces;
    }

    private static boolean populate(long address, long length) {
        try {
            return (int) MADVISE.invokeExact(MemorySegment.ofAddress(address), length, MADV_POPULATE_READ) == 0;
        } catch (Throwable t) { // a downcall's own failure: the pages are touched instead
            return false;
        }
    }

    /**
     * Reads one byte of every page of {@code s} (a volatile sink keeps the reads); a page past the end of a file cut
     * short after it was mapped gives {@code FILE_CHANGED}, not the JDK's {@link InternalError}.
     */
    private static void touch(MemorySegment s, MappedRegion region) {
        long n = s.byteSize();
        if (n == 0) {
            return;
        }
        byte x = 0;
        long first = (PAGE - (s.address() & (PAGE - 1))) & (PAGE - 1);
        try {
            x ^= s.get(ValueLayout.JAVA_BYTE, 0);
            for (long o = first; o < n; o += PAGE) {
                x ^= s.get(ValueLayout.JAVA_BYTE, o);
            }
        } catch (InternalError | IllegalStateException e) { // a mapped file cut short: FILE_CHANGED naming it
            throw FileStreamer.translate(e, s, region);
        }
        sink = x;
    }

    @SuppressWarnings("unused")
    private static volatile byte sink;
}
