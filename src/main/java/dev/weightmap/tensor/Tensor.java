// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import dev.weightmap.internal.io.FileStreamer;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.tensor.MappedTensors;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.util.Arrays;

/**
 * An immutable tensor view: a storage segment, a dtype, a shape, strides (in elements) and a storage offset
 * (in elements).
 *
 * <p>A tensor never owns memory: it is a view over its {@linkplain #storage() storage}, which is typically a
 * slice of a memory-mapped file. All reads are little-endian and unaligned-safe. Views created with
 * {@link #view}, {@link #select}, {@link #narrow}, {@link #slice} and {@link #transpose} share the storage.
 *
 * <p>Sub-byte dtypes (F4, F6_*) are supported only as contiguous tensors whose offset lies on a byte
 * boundary; their elements are opaque packed bits.
 */
public final class Tensor {
    static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final MemorySegment storage;
    private final DType dtype;
    private final long[] shape;
    private final long[] strides;
    private final long storageOffset;
    private final long numel;
    private final long startByte;
    /** The mapped file the storage is a slice of, set by the format that mapped it (null: none known). */
    private final MappedRegion region;

    static {
        MappedTensors.install(new MappedTensors.Access() {
            @Override
            public Tensor withRegion(Tensor t, MappedRegion r) {
                return new Tensor(t.storage, t.dtype, t.shape, t.strides, t.storageOffset, r);
            }

            @Override
            public MappedRegion regionOf(Tensor t) {
                return t.region;
            }
        });
    }

    private Tensor(MemorySegment storage, DType dtype, long[] shape, long[] strides, long storageOffset) {
        this(storage, dtype, shape, strides, storageOffset, null);
    }

    private Tensor(MemorySegment storage, DType dtype, long[] shape, long[] strides, long storageOffset,
                   MappedRegion region) {
        if (storage == null || dtype == null || shape == null || strides == null) {
            throw new IllegalArgumentException("storage, dtype, shape and strides are required");
        }
        if (shape.length != strides.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " and strides "
                    + Arrays.toString(strides) + " differ in rank");
        }
        if (storageOffset < 0) {
            throw new IllegalArgumentException("negative storage offset " + storageOffset);
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            if (strides[i] < 0) {
                throw new IllegalArgumentException("negative stride in " + Arrays.toString(strides));
            }
        }
        this.storage = storage;
        this.region = region;
        this.dtype = dtype;
        this.shape = shape;
        this.strides = strides;
        this.storageOffset = storageOffset;
        this.numel = DType.numel(shape);
        if (dtype.isSubByte()) {
            if (!Arrays.equals(strides, contiguousStrides(shape))) {
                throw new IllegalArgumentException(dtype + " tensors must be contiguous");
            }
            dtype.byteLength(storageOffset); // offset on a byte boundary
        }
        try {
            dtype.byteLength(numel); // every later byteLength() is then exact
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " of " + dtype + " has " + numel
                    + " elements, more bytes than a 64-bit count holds");
        }
        long start;
        try {
            start = dtype.isSubByte() ? dtype.byteLength(storageOffset)
                    : Math.multiplyExact(storageOffset, (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            start = -1;
        }
        if (numel == 0) {
            // an empty view touches no byte: any offset is valid (torch accepts 2^63 - 1), its data is empty
            start = start < 0 || start > storage.byteSize() ? storage.byteSize() : start;
        } else if (start < 0) {
            throw new IllegalArgumentException("storage offset " + storageOffset + " of " + dtype
                    + " overflows a 64-bit byte offset");
        }
        this.startByte = start;
        long end = Math.addExact(start, spanBytes());
        if (end > storage.byteSize()) {
            throw new IllegalArgumentException("view of " + end + " bytes (shape " + Arrays.toString(shape)
                    + ", strides " + Arrays.toString(strides) + ", offset " + storageOffset + ", " + dtype
                    + ") exceeds its storage of " + storage.byteSize() + " bytes");
        }
    }

    /**
     * A contiguous (row-major) tensor over a whole storage segment, starting at its first byte.
     *
     * @param storage the bytes, at least as many as the tensor needs
     * @param dtype the element type
     * @param shape the dimensions, outermost first
     * @return the tensor
     * @throws IllegalArgumentException when the storage is smaller than the tensor
     */
    public static Tensor of(MemorySegment storage, DType dtype, long... shape) {
        return new Tensor(storage, dtype, shape.clone(), contiguousStrides(shape), 0);
    }

    /**
     * A strided view over a storage segment.
     *
     * @param storage       the bytes the view reads
     * @param dtype         the element type
     * @param shape         the dimensions, outermost first
     * @param strides       in elements, non-negative
     * @param storageOffset in elements, non-negative
     * @return the view
     * @throws IllegalArgumentException when ranks differ, values are negative or the view leaves its storage
     */
    public static Tensor of(MemorySegment storage, DType dtype, long[] shape, long[] strides, long storageOffset) {
        return new Tensor(storage, dtype, shape.clone(), strides.clone(), storageOffset);
    }

    /**
     * An F32 tensor over a heap copy of {@code values} (convenient for small tensors and tests).
     *
     * @param values the elements in row-major order
     * @param shape the dimensions, outermost first; their product must equal the number of values
     * @return the tensor
     */
    public static Tensor ofFloats(float[] values, long... shape) {
        return of(MemorySegment.ofArray(values.clone()), DType.F32, shape);
    }

    /**
     * Row-major strides (in elements) of a shape. An empty shape (a zero dimension) addresses no element: where
     * the products of its other dimensions would overflow a long, the outer strides are 0.
     *
     * @param shape the dimensions, outermost first
     * @return the strides in elements, outermost first
     * @throws ArithmeticException when a non-empty shape has more than {@code Long.MAX_VALUE} elements
     */
    public static long[] contiguousStrides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            long d = Math.max(shape[i], 1);
            long next = acc * d;
            if (Math.multiplyHigh(acc, d) != 0 || next < 0) {
                if (Arrays.stream(shape).noneMatch(x -> x == 0)) {
                    throw new ArithmeticException("long overflow: shape " + Arrays.toString(shape) + " has too many elements");
                }
                next = 0; // empty: outer strides are never used
            }
            acc = next;
        }
        return s;
    }

    /**
     * The storage segment this tensor views (for a safetensors tensor: its own byte range).
     *
     * @return the storage segment
     */
    public MemorySegment storage() {
        return storage;
    }

    /**
     * The element type.
     *
     * @return the dtype
     */
    public DType dtype() {
        return dtype;
    }

    /**
     * The shape (a copy).
     *
     * @return the dimensions, outermost first
     */
    public long[] shape() {
        return shape.clone();
    }

    /**
     * Size of dimension {@code dim}.
     *
     * @param dim the dimension, from 0 to {@code rank() - 1}
     * @return the number of elements along it
     */
    public long size(int dim) {
        return shape[dim];
    }

    /**
     * The strides in elements (a copy).
     *
     * @return the strides, outermost first
     */
    public long[] strides() {
        return strides.clone();
    }

    /**
     * The storage offset in elements.
     *
     * @return the offset of the first element, counted in elements
     */
    public long storageOffset() {
        return storageOffset;
    }

    /**
     * Number of dimensions.
     *
     * @return the rank (0 for a scalar)
     */
    public int rank() {
        return shape.length;
    }

    /**
     * Number of elements (1 for a 0-dim tensor).
     *
     * @return the element count
     */
    public long numel() {
        return numel;
    }

    /**
     * Logical byte length: {@code numel * bits / 8}, what {@link #data()} of the contiguous form holds.
     *
     * @return the logical length in bytes
     */
    public long byteLength() {
        return dtype.byteLength(numel);
    }

    /**
     * Whether elements are laid out row-major without gaps (dimensions of size 1 are ignored).
     *
     * @return true for a row-major, gap-free layout
     */
    public boolean isContiguous() {
        return numel == 0 || isContiguous(shape, strides);
    }

    /**
     * Whether a view of {@code shape} and {@code strides} (in elements) is row-major without gaps, as
     * {@link #isContiguous()} tells it of a tensor: dimensions of size 1 are ignored, an empty view is contiguous.
     *
     * @param shape   the shape
     * @param strides the strides, as many as dimensions
     * @return true for a row-major, gap-free layout
     */
    public static boolean isContiguous(long[] shape, long[] strides) {
        for (long d : shape) {
            if (d == 0) {
                return true;
            }
        }
        long expected = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1) {
                if (strides[i] != expected) {
                    return false;
                }
                expected *= shape[i];
            }
        }
        return true;
    }

    /**
     * Byte offset of the first element within the storage. An empty tensor whose storage offset lies beyond its
     * storage (valid: it touches no byte) reports the storage's end.
     *
     * @return the byte offset of the first element
     */
    public long dataStartByte() {
        return startByte;
    }

    /** Number of storage bytes between the first and one past the last element this view can touch. */
    long spanBytes() {
        if (numel == 0) {
            return 0;
        }
        if (dtype.isSubByte()) {
            return byteLength();
        }
        long last = 0;
        for (int i = 0; i < shape.length; i++) {
            last = Math.addExact(last, Math.multiplyExact(shape[i] - 1, strides[i]));
        }
        return Math.multiplyExact(last + 1, (long) dtype.byteSize());
    }

    /**
     * The byte range {@code [start, end)} of the storage this view touches (strides included); empty tensors
     * have {@code start == end}.
     *
     * @return {@code {start, end}} in bytes
     */
    public long[] byteExtent() {
        long start = dataStartByte();
        return new long[] {start, start + spanBytes()};
    }

    /**
     * The zero-copy slice of the storage holding this contiguous tensor's bytes.
     *
     * <p><b>Lifetime.</b> For a tensor of an opened file the slice is valid while its reader
     * ({@link dev.weightmap.Weights}) is open or holds a {@linkplain dev.weightmap.Weights#retain() lease}. Java
     * access after the unmap throws the JDK's {@link IllegalStateException} (never a crash). Native code is not
     * protected that way: code that receives {@code data().address()} (or this memory through
     * {@link #asByteBuffer()}) and may still read it after the reader is closed must hold a lease for as long as
     * it does (take it before handing the memory over, release it when the native side is done); closing the
     * reader then marks it closed at once and unmaps only at the last release.
     *
     * <p><b>A mapped file must not shrink while it is read.</b> For a tensor of a memory-mapped file this segment
     * is the mapping itself. If another program truncates the file meanwhile, the pages past the new end vanish:
     * plain reads of the segment (and {@link MemorySegment#copy}) then throw the JDK's {@link InternalError} ("a
     * fault occurred in an unsafe memory access operation"), and code the JIT turns into intrinsics or vector
     * instructions ({@code CRC32.update(ByteBuffer)} over {@code data().asByteBuffer()}, Vector API loads) can
     * crash the JVM with SIGBUS instead. The library methods of this class ({@link #copyTo}, {@link #writeTo},
     * {@link #toFloatArray}, {@link #copyAsF32}, the element getters) and the checksum methods never crash: they
     * throw a {@link dev.weightmap.WeightmapException} of reason {@code FILE_CHANGED} naming the file (the tensor
     * knows it; given this bare segment instead, they say "a memory-mapped file"). Code that
     * reads {@code data()} directly should either make sure the file is not modified while it is open (replace
     * files by renaming a new one over them, which keeps the mapped one intact), copy the bytes out first with
     * {@link #copyTo}, or catch {@link InternalError} around its own plain reads; it should not run intrinsics
     * or vector kernels over a mapping that can be truncated.
     *
     * @return the bytes (for a mapped file: a slice of the mapping)
     * @throws IllegalStateException when the tensor is not contiguous (see {@link #contiguous(SegmentAllocator)})
     */
    public MemorySegment data() {
        if (!isContiguous()) {
            throw new IllegalStateException("tensor is not contiguous (shape " + Arrays.toString(shape)
                    + ", strides " + Arrays.toString(strides) + "): use contiguous(allocator)");
        }
        return storage.asSlice(dataStartByte(), byteLength());
    }

    /**
     * This tensor if it is contiguous, else a contiguous copy allocated from {@code allocator}.
     *
     * @param allocator where a copy is allocated
     * @return a contiguous tensor with the same elements
     */
    public Tensor contiguous(SegmentAllocator allocator) {
        if (isContiguous()) {
            return this;
        }
        MemorySegment dst = allocator.allocate(byteLength(), 64);
        copyTo(dst);
        return of(dst, dtype, shape);
    }

    /**
     * Copies the logical (row-major, contiguous) bytes of this tensor into {@code dst} starting at its first byte.
     *
     * @param dst the segment to write into
     * @throws IndexOutOfBoundsException when {@code dst} is smaller than {@link #byteLength()}
     */
    public void copyTo(MemorySegment dst) {
        TensorBytes.copyTo(this, dst);
    }

    /**
     * Streams the logical bytes (row-major, little-endian) to a channel, without copying the tensor to the heap:
     * a contiguous tensor is written straight from its segment, a strided one through a small buffer.
     *
     * @param out the channel to write to (left open)
     * @throws IOException when writing fails
     */
    public void writeTo(WritableByteChannel out) throws IOException {
        TensorBytes.writeTo(this, out);
    }

    /**
     * Writes all bytes of a segment to a channel, in chunks of at most 1 GiB. A mapped segment is read through its
     * mapping chunk by chunk (a truncated file fails with {@code FILE_CHANGED}); a bare segment carries no file,
     * so to have a large slice of a file this library mapped copied by the kernel from that file, write the
     * {@link Tensor} ({@link #writeTo}), which carries it.
     *
     * @param seg the bytes to write
     * @param out the channel to write to (left open)
     * @throws IOException when writing fails
     */
    public static void writeSegment(MemorySegment seg, WritableByteChannel out) throws IOException {
        TensorBytes.writeSegment(seg, null, out);
    }

    /**
     * A read-only little-endian {@link ByteBuffer} over this contiguous tensor's bytes (zero-copy). For a tensor of
     * a mapped file it is a view of the mapping, with the hazard described at {@link #data()}.
     *
     * <p><b>Lifetime.</b> The buffer is a view of the mapping, valid as {@link #data()} is: a direct buffer
     * handed to native code (an inference runtime's tensor-from-buffer call, for example) is read by that code
     * without any check, so the caller must hold the reader's {@link dev.weightmap.Weights#retain() lease} until
     * the native side no longer uses it; otherwise closing the reader unmaps the memory under it and the process
     * crashes. Java reads through the buffer after the unmap throw the JDK's {@link IllegalStateException}.
     *
     * @return the buffer
     * @throws IllegalStateException when the tensor is not contiguous or larger than 2 GB
     */
    public ByteBuffer asByteBuffer() {
        MemorySegment d = data();
        if (d.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalStateException("tensor of " + d.byteSize() + " bytes does not fit a ByteBuffer");
        }
        if (!d.isNative() && !(d.heapBase().orElse(null) instanceof byte[])) {
            throw new IllegalStateException("a tensor over a " + d.heapBase().orElseThrow().getClass().getSimpleName()
                    + " heap array has no ByteBuffer view: use data() or copyTo()");
        }
        return d.asByteBuffer().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    // ---------------------------------------------------------------- storage identity and alignment

    /**
     * Identity of the underlying storage (hub's {@code get_torch_storage_id}).
     *
     * @return the storage identity
     */
    public StorageId storageId() {
        return StorageId.of(storage);
    }

    /**
     * Size of the underlying storage in bytes (hub's {@code get_torch_storage_size}).
     *
     * @return the storage size in bytes
     */
    public long storageSize() {
        return storage.byteSize();
    }

    /**
     * Whether this view covers every byte of its storage.
     *
     * @return true when the view touches the whole storage
     */
    public boolean coversStorage() {
        // hub's _is_complete: starts at the storage's first byte and holds exactly as many bytes as the storage
        // (with non-negative strides this means every byte once: a full transpose covers its storage too)
        long[] e = byteExtent();
        return e[0] == 0 && e[1] == storage.byteSize() && byteLength() == storage.byteSize();
    }

    /**
     * The largest power of two, at most 4096, that divides the address of the first data byte.
     *
     * @return the alignment in bytes, a power of two from 1 to 4096
     */
    public int alignment() {
        long addr = storage.address() + dataStartByte();
        if (addr == 0) {
            return 4096;
        }
        return (int) Math.min(4096, Long.lowestOneBit(addr));
    }

    /** The region of the mapped file the storage is a slice of, or null (see {@link MappedTensors}). */
    MappedRegion region() {
        return region;
    }

    // ---------------------------------------------------------------- views

    /**
     * A view with another shape, strides and storage offset over the same storage.
     *
     * @param newShape the dimensions, outermost first
     * @param newStrides the strides in elements, one per dimension
     * @param newStorageOffset the offset of the first element, in elements
     * @return the view
     * @throws IllegalArgumentException when the view would leave the storage
     */
    public Tensor view(long[] newShape, long[] newStrides, long newStorageOffset) {
        return new Tensor(storage, dtype, newShape.clone(), newStrides.clone(), newStorageOffset, region);
    }

    /**
     * A view with a new row-major shape of the same number of elements (contiguous tensors only).
     *
     * @param newShape the dimensions, outermost first
     * @return the view
     */
    public Tensor reshape(long... newShape) {
        if (DType.numel(newShape) != numel) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to "
                    + Arrays.toString(newShape));
        }
        if (!isContiguous()) {
            throw new IllegalStateException("reshape needs a contiguous tensor");
        }
        return new Tensor(storage, dtype, newShape.clone(), contiguousStrides(newShape), storageOffset, region);
    }

    /**
     * Swaps two dimensions (a zero-copy transpose).
     *
     * @param d0 one dimension
     * @param d1 the other dimension
     * @return the view
     */
    public Tensor transpose(int d0, int d1) {
        requireFullBytes("transpose");
        long[] s = shape.clone();
        long[] st = strides.clone();
        long t = s[d0];
        s[d0] = s[d1];
        s[d1] = t;
        t = st[d0];
        st[d0] = st[d1];
        st[d1] = t;
        return new Tensor(storage, dtype, s, st, storageOffset, region);
    }

    /**
     * Removes dimension {@code dim} by fixing it at {@code index} (negative indexes count from the end).
     *
     * @param dim the dimension to remove
     * @param index the position kept along it
     * @return the view, one rank lower
     */
    public Tensor select(int dim, long index) {
        requireFullBytes("select");
        long n = shape[dim];
        long i = index < 0 ? index + n : index;
        if (i < 0 || i >= n) {
            throw new IndexOutOfBoundsException("index " + index + " out of range for dimension " + dim
                    + " of size " + n);
        }
        long[] s = new long[shape.length - 1];
        long[] st = new long[shape.length - 1];
        for (int k = 0, j = 0; k < shape.length; k++) {
            if (k != dim) {
                s[j] = shape[k];
                st[j++] = strides[k];
            }
        }
        return new Tensor(storage, dtype, s, st, numel == 0 ? storageOffset : storageOffset + i * strides[dim],
                region);
    }

    /**
     * Keeps {@code length} elements of dimension {@code dim} starting at {@code start}.
     *
     * @param dim the dimension
     * @param start the first position kept
     * @param length the number of positions kept
     * @return the view
     */
    public Tensor narrow(int dim, long start, long length) {
        return slice(dim, start, start + length, 1);
    }

    /**
     * Keeps elements {@code start, start+step, …} below {@code stop} of dimension {@code dim}; the bounds must
     * already be within {@code [0, size]} and step positive.
     *
     * @param dim the dimension
     * @param start the first position kept
     * @param stop the end position (excluded)
     * @param step the distance between kept positions
     * @return the view
     */
    public Tensor slice(int dim, long start, long stop, long step) {
        long n = shape[dim];
        if (start < 0 || stop > n || step <= 0) {
            throw new IndexOutOfBoundsException("slice [" + start + ":" + stop + ":" + step + "] of dimension "
                    + dim + " of size " + n);
        }
        long len = stop <= start ? 0 : (stop - start - 1) / step + 1;
        if (dtype.isSubByte()) {
            if (dim != 0 && !(start == 0 && stop == n && step == 1)) {
                throw new IllegalArgumentException("sub-byte " + dtype + " tensors can only be sliced along dimension 0");
            }
            if (step != 1) {
                throw new IllegalArgumentException("sub-byte " + dtype + " tensors cannot be sliced with a step");
            }
        }
        long[] s = shape.clone();
        long[] st = strides.clone();
        s[dim] = len;
        st[dim] = len > 1 ? strides[dim] * step : strides[dim]; // a step beyond the end must not overflow the stride
        if (dtype.isSubByte()) {
            st = contiguousStrides(s);
        }
        long off = len == 0 || numel == 0 ? storageOffset : storageOffset + start * strides[dim];
        return new Tensor(storage, dtype, s, st, off, region);
    }

    private void requireFullBytes(String op) {
        if (dtype.isSubByte()) {
            throw new UnsupportedOperationException(op + " is not supported for sub-byte dtype " + dtype);
        }
    }

    // ---------------------------------------------------------------- element access

    /**
     * Byte offset in the storage of the element at {@code index} (one index per dimension).
     *
     * @param index the position along each dimension
     * @return the byte offset from the start of the storage
     */
    public long byteOffsetOf(long... index) {
        requireFullBytes("element access");
        if (index.length != shape.length) {
            throw new IllegalArgumentException("expected " + shape.length + " indexes, got " + index.length);
        }
        long e = storageOffset;
        for (int i = 0; i < index.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + index[i] + " out of range for dimension " + i
                        + " of size " + shape[i]);
            }
            e += index[i] * strides[i];
        }
        return e * dtype.byteSize();
    }

    /**
     * The element at {@code index} as a float (integers converted, narrow floats decoded, BOOL as 0/1).
     *
     * @param index the position along each dimension
     * @return the element
     */
    public float getFloat(long... index) {
        return (float) getDouble(index);
    }

    /**
     * The element at {@code index} as a double.
     *
     * @param index the position along each dimension
     * @return the element
     */
    public double getDouble(long... index) {
        long off = byteOffsetOf(index);
        try {
            return Elements.readDouble(storage, dtype, off);
        } catch (InternalError | IllegalStateException e) {
            throw FileStreamer.translate(e, storage, region);
        }
    }

    /**
     * The element at {@code index} of an integer or BOOL tensor as a long (U64 values above
     * {@code Long.MAX_VALUE} come back as their two's-complement bits: use {@link Long#toUnsignedString}).
     *
     * @param index the position along each dimension
     * @return the element
     */
    public long getLong(long... index) {
        long off = byteOffsetOf(index);
        try {
            return Elements.readLong(storage, dtype, off);
        } catch (InternalError | IllegalStateException e) {
            throw FileStreamer.translate(e, storage, region);
        }
    }

    /**
     * The element at {@code index} of a complex tensor as {@code {real, imaginary}}.
     *
     * @param index the position along each dimension
     * @return the element as a two-element array
     */
    public double[] getComplex(long... index) {
        long off = byteOffsetOf(index);
        return Elements.guarded(this, () -> Elements.readComplex(storage, dtype, off));
    }

    /**
     * All elements in row-major order as floats (F16/BF16/FP8 decoded, integers converted).
     *
     * @return a new array of {@link #numel()} floats
     * @throws IllegalStateException when there are more than {@code Integer.MAX_VALUE - 8} elements
     * @throws UnsupportedOperationException for complex and sub-byte dtypes
     */
    public float[] toFloatArray() {
        return Elements.toFloatArray(this);
    }

    /**
     * Converts this contiguous F32, F16 or BF16 tensor to F32 little-endian values in {@code dst}
     * ({@code numel * 4} bytes).
     *
     * @param dst the segment to write into, at least {@code numel * 4} bytes
     */
    public void copyAsF32(MemorySegment dst) {
        Elements.copyAsF32(this, dst);
    }

    @Override
    public String toString() {
        return "Tensor[" + dtype + " " + Arrays.toString(shape) + (isContiguous() ? "" : " strides "
                + Arrays.toString(strides)) + (storageOffset != 0 ? " offset " + storageOffset : "") + "]";
    }
}
