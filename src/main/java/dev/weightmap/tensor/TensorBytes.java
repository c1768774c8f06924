// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.io.MappedRegion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;

/**
 * The I/O half of {@link Tensor}: moving a view's logical bytes (row-major, little-endian) into a segment or onto a
 * channel. A contiguous view is one run of its storage; a strided one is gathered run by run ({@link Gather}).
 * A view carrying the {@link MappedRegion} of its file is copied from that file (kernel copy, positional reads)
 * and named in messages. Faults of a mapped storage (a truncated file, an unmapped arena) come back typed, through
 * {@link FileStreamer#translate}.
 */
final class TensorBytes {
    /** Largest buffer a strided view is gathered into before it goes to a channel. */
    private static final long GATHER_BUFFER = 1 << 20;
    /** Largest slice handed to one channel write as a {@link ByteBuffer}. */
    private static final long WRITE_CHUNK = 1L << 30;
    /** Buffer for heap segments that have no {@link ByteBuffer} view (arrays other than {@code byte[]}). */
    private static final int HEAP_CHUNK = 1 << 16;

    private TensorBytes() {
    }

    static void copyTo(Tensor t, MemorySegment dst) {
        long len = t.byteLength();
        if (dst.byteSize() < len) {
            throw new IndexOutOfBoundsException("destination of " + dst.byteSize() + " bytes < " + len);
        }
        try {
            if (t.isContiguous()) {
                MemorySegment.copy(t.storage(), t.dataStartByte(), dst, 0, len);
                return;
            }
            new Gather(t).copy(dst, 0);
        } catch (InternalError | IllegalStateException e) {
            throw FileStreamer.translate(e, t.storage(), t.region());
        }
    }

    static void writeTo(Tensor t, WritableByteChannel out) throws IOException {
        if (t.isContiguous()) {
            writeSegment(t.data(), t.region(), out);
            return;
        }
        Gather g = new Gather(t);
        try (Arena arena = Arena.ofConfined()) {
            long chunk = Math.min(t.byteLength(), GATHER_BUFFER);
            MemorySegment buf = arena.allocate(Math.max(chunk, 64), 64);
            g.stream(buf, out);
        } catch (InternalError | IllegalStateException e) {
            throw FileStreamer.translate(e, t.storage(), t.region());
        }
    }

    /**
     * Writes {@code seg}; {@code region} is the mapping it is a slice of (null: none known, read the segment).
     */
    static void writeSegment(MemorySegment seg, MappedRegion region, WritableByteChannel out) throws IOException {
        if (region != null && region.transfer(seg, out)) {
            return; // a large slice of a mapped file written to a file: copied by the kernel
        }
        if (FileStreamer.isMapped(seg)) {
            writeMapped(seg, region, out);
        } else if (seg.heapBase().isPresent() && !(seg.heapBase().get() instanceof byte[])) {
            writeHeapArray(seg, out);
        } else {
            for (long pos = 0, size = seg.byteSize(); pos < size; pos += WRITE_CHUNK) {
                writeFully(seg.asSlice(pos, Math.min(size - pos, WRITE_CHUNK)).asByteBuffer(), out);
            }
        }
    }

    /**
     * Chunks copied out of the mapping (or read from its file): a truncated file fails typed, never in the middle
     * of a channel's write from the mapping.
     */
    private static void writeMapped(MemorySegment seg, MappedRegion region, WritableByteChannel out)
            throws IOException {
        try {
            FileStreamer.readSegment(seg, region, chunk -> {
                try {
                    writeFully(chunk.asByteBuffer(), out);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** {@code asByteBuffer()} only works for native and {@code byte[]} segments: other arrays go through a buffer. */
    private static void writeHeapArray(MemorySegment seg, WritableByteChannel out) throws IOException {
        long size = seg.byteSize();
        byte[] buf = new byte[(int) Math.min(size, HEAP_CHUNK)];
        for (long pos = 0; pos < size; ) {
            int n = (int) Math.min(size - pos, buf.length);
            MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, buf, 0, n);
            writeFully(ByteBuffer.wrap(buf, 0, n), out);
            pos += n;
        }
    }

    private static void writeFully(ByteBuffer bb, WritableByteChannel out) throws IOException {
        while (bb.hasRemaining()) {
            out.write(bb);
        }
    }

    /** Copies a strided tensor's elements in row-major order, one innermost run at a time. */
    private static final class Gather {
        private final MemorySegment storage;
        private final long[] shape;
        private final long[] strides;
        private final long numel;
        private final long start;
        private final int es;
        private final long runElems;   // elements per innermost run copied with one MemorySegment.copy
        private final int outerDims;   // dims iterated by the odometer

        Gather(Tensor t) {
            this.storage = t.storage();
            this.shape = t.shape();
            this.strides = t.strides();
            this.numel = t.numel();
            this.start = t.dataStartByte();
            this.es = t.dtype().byteSize();
            int r = shape.length;
            if (r > 0 && strides[r - 1] == 1) {
                runElems = shape[r - 1];
                outerDims = r - 1;
            } else {
                runElems = 1;
                outerDims = r;
            }
        }

        void copy(MemorySegment dst, long dstOff) {
            if (numel == 0) {
                return;
            }
            long runBytes = runElems * es;
            long[] idx = new long[outerDims];
            long src = start;
            long pos = dstOff;
            long runs = numel / runElems;
            for (long k = 0; k < runs; k++) {
                MemorySegment.copy(storage, src, dst, pos, runBytes);
                pos += runBytes;
                src = advance(idx, src);
            }
        }

        void stream(MemorySegment buf, WritableByteChannel out) throws IOException {
            if (numel == 0) {
                return;
            }
            long runBytes = runElems * es;
            long[] idx = new long[outerDims];
            long src = start;
            long runs = numel / runElems;
            long fill = 0;
            for (long k = 0; k < runs; k++) {
                long remaining = runBytes;
                long s = src;
                while (remaining > 0) {
                    long n = Math.min(remaining, buf.byteSize() - fill);
                    MemorySegment.copy(storage, s, buf, fill, n);
                    fill += n;
                    s += n;
                    remaining -= n;
                    if (fill == buf.byteSize()) {
                        writeSegment(buf, null, out);
                        fill = 0;
                    }
                }
                src = advance(idx, src);
            }
            if (fill > 0) {
                writeSegment(buf.asSlice(0, fill), null, out);
            }
        }

        private long advance(long[] idx, long src) {
            for (int d = outerDims - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    return src + strides[d] * es;
                }
                src -= (idx[d] - 1) * strides[d] * es;
                idx[d] = 0;
            }
            return src;
        }
    }
}
