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
 *
 * <p>First each piece of a mapped segment is checked with {@link MemorySegment#isLoaded()} (the JDK's own
 * {@code mincore}): a piece whose pages are all in the page cache already needs no reading and is left alone, and
 * when every piece is, {@code madvise} is never linked. Linking a downcall is the costly part of a fresh process's
 * first prefetch of a cached checkpoint (class generation for the call's stub), while populating the page tables
 * of cached pages saves a later pass nothing measurable: the pages are mapped on first read by the kernel's
 * fault-around without any disk wait.
 */
public final class Residency {
    /** The piece of a range one thread works on at a time. */
    public static final long PIECE = 32L << 20;

    /** {@code MADV_POPULATE_READ} of Linux's {@code <linux/mman.h>}. */
    static final int MADV_POPULATE_READ = 22;

    private static final long PAGE = 4096;

    private Residency() {
    }

    /** The {@code madvise} downcall, linked on the first piece that is not resident yet. */
    private static final class Kernel {
        static final MethodHandle MADVISE = madvise();

        private Kernel() {
        }
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
        return Kernel.MADVISE != null;
    }

    /**
     * Makes the bytes of {@code segments} resident, on up to {@code threads} threads (the caller included).
     *
     * @param segments segments of mappings (or of memory: they are then only touched); all must stay open until
     *                 this returns
     * @param threads  the most threads to use; 1 or less works on the caller only
     * @return the number of bytes made resident: the pieces found in the page cache, plus the merged page ranges
     *         of the others when the kernel populated them, else their own bytes
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
     * @return the number of bytes made resident, as {@link #prefetch(List, int)}
     */
    public static long prefetch(List<MemorySegment> segments, List<MappedRegion> regions, int threads) {
        List<MemorySegment> slices = new ArrayList<>();
        List<MappedRegion> sliceRegions = new ArrayList<>();
        boolean shared = true;
        for (int k = 0; k < segments.size(); k++) {
            MemorySegment s = segments.get(k);
            MappedRegion r = regions == null ? null : regions.get(k);
            shared &= Parallel.shareable(s);
            for (long off = 0; off < s.byteSize(); off += PIECE) {
                slices.add(s.asSlice(off, Math.min(PIECE, s.byteSize() - off)));
                sliceRegions.add(r);
            }
        }
        boolean[] cached = new boolean[slices.size()];
        int readers = shared ? threads : 1; // a confined arena's segments are read on the caller only
        Parallel.forEach(slices.size(), readers, i -> cached[i] = cached(slices.get(i)));
        List<MemorySegment> rest = new ArrayList<>();
        List<MappedRegion> restRegions = new ArrayList<>();
        long done = 0;
        for (int i = 0; i < cached.length; i++) {
            if (cached[i]) {
                done += slices.get(i).byteSize();
            } else {
                rest.add(slices.get(i));
                restRegions.add(sliceRegions.get(i));
            }
        }
        return rest.isEmpty() ? done : done + populate(rest, restRegions, threads, readers);
    }

    /** Whether every page of {@code s} is in the page cache already: false when unknown (not a mapping). */
    private static boolean cached(MemorySegment s) {
        if (!s.isMapped() || s.byteSize() == 0) {
            return false;
        }
        try {
            return s.isLoaded();
        } catch (Exception e) { // mincore refused (its IOException is not declared): read the piece instead
            return false;
        }
    }

    /**
     * Makes {@code segments} resident by the kernel where it can (on {@code threads}), else by touching every page
     * (on {@code readers}).
     */
    private static long populate(List<MemorySegment> segments, List<MappedRegion> regions, int threads,
                                 int readers) {
        if (Kernel.MADVISE != null) {
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
        long total = 0;
        for (MemorySegment s : segments) {
            total += s.byteSize(); // each at most PIECE bytes already
        }
        Parallel.forEach(segments.size(), readers, i -> touch(segments.get(i), regions.get(i)));
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
            return (int) Kernel.MADVISE.invokeExact(MemorySegment.ofAddress(address), length, MADV_POPULATE_READ) == 0;
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
