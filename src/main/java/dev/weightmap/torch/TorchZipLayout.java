// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.zip.ZipSource;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.PickleMachine.StorageRef;
import dev.weightmap.torch.PickleMachine.TensorRef;
import dev.weightmap.torch.TorchCheckpoint.Storage;
import dev.weightmap.torch.TorchCheckpointException.Reason;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the tensors of a torch zip checkpoint lie, read through a channel without mapping the file: the central
 * directory and local headers, the {@code version} and {@code byteorder} records and {@code data.pkl} are read
 * (the pickle by the same restricted machine as {@link TorchCheckpoint#open}, which never executes code), every
 * rule of the local open is checked, and no storage byte is read. This is the entry point of readers that fetch
 * tensor bytes from elsewhere (over HTTP range requests).
 */
public final class TorchZipLayout {
    /** The largest {@code data.pkl} read. */
    public static final long MAX_PICKLE_BYTES = 256L << 20;

    /**
     * One tensor: names, dtypes, shapes, offsets and lengths are those {@link TorchCheckpoint#locations()} gives
     * for the same file.
     *
     * @param name       the flattened name ({@link TorchCheckpoint#entries()})
     * @param dtype      the element type ({@code F4} for {@code float4_e2m1fn_x2}, whose last dimension doubles)
     * @param shape      the shape
     * @param offset     the absolute file offset of the first element
     * @param length     the bytes of a contiguous tensor ({@code numel × item size}); for a non-contiguous view,
     *                   the same count, though its elements are not one run of the file
     * @param contiguous whether the view's elements are exactly {@code [offset, offset + length)}
     * @param extras     {@code torch_dtype}, {@code stride}, {@code storage_offset}, {@code storage},
     *                   {@code contiguous}, and {@code parameter} when true, as the local locations carry
     */
    public record Located(String name, DType dtype, long[] shape, long offset, long length, boolean contiguous,
                          Map<String, Object> extras) {
    }

    /**
     * The layout of a checkpoint.
     *
     * @param tensors  the tensors in pickle order
     * @param metadata the root dict's attributes, keys as strings, as {@link TorchCheckpoint#metadata()} gives
     */
    public record Layout(List<Located> tensors, Map<String, Object> metadata) {
    }

    private TorchZipLayout() {
    }

    /**
     * Reads the layout of the torch zip checkpoint behind {@code archive}.
     *
     * @param archive     the checkpoint's bytes (read at absolute positions; only its structure is read)
     * @param firstTail   how many bytes at the end to read first when looking for the end records
     * @param displayName the name used in messages
     * @return the tensors and metadata
     * @throws TorchCheckpointException when the archive is not a valid, supported torch zip checkpoint
     * @throws IOException              when the channel fails
     */
    public static Layout read(SeekableByteChannel archive, int firstTail, String displayName)
            throws IOException {
        ZipSource source = ZipSource.of(archive, firstTail, displayName);
        TorchZipContainer c = new TorchZipContainer(e -> {
            if (e.size() > MAX_PICKLE_BYTES) {
                throw new TorchCheckpointException(Reason.LIMIT_EXCEEDED, displayName + ": record '" + e.name()
                        + "' of " + e.size() + " bytes is more than the limit of " + MAX_PICKLE_BYTES);
            }
            byte[] b = new byte[(int) e.size()];
            try {
                source.read(e.dataOffset(), ByteBuffer.wrap(b));
            } catch (IOException x) {
                throw new UncheckedIOException(x);
            }
            return MemorySegment.ofArray(b);
        }, displayName);
        TorchZipContainer.Zip z;
        try {
            z = c.readZip(source);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Map<String, Storage> storages = c.resolveStorages(z.result(), z.recordMap(), z.prefix());
        List<Map.Entry<String, TensorRef>> paths = TorchViews.walk(z.result().value(), displayName);
        Map<TensorRef, String> first = new java.util.IdentityHashMap<>();
        for (Map.Entry<String, TensorRef> e : paths) {
            first.putIfAbsent(e.getValue(), e.getKey());
        }
        List<Located> out = new ArrayList<>(paths.size());
        Set<String> seen = new HashSet<>();
        for (Map.Entry<String, TensorRef> e : paths) {
            if (!seen.add(e.getKey())) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName + ": two tensors flatten to the name '"
                        + e.getKey() + "'");
            }
            out.add(locate(e.getKey(), e.getValue(), first.get(e.getValue()), storages, displayName));
        }
        Map<String, Object> metadata = new LinkedHashMap<>();
        Object a = z.result().attributes().get(z.result().value());
        if (a instanceof Map<?, ?> m) {
            ((Map<?, ?>) TorchViews.convert(m, new java.util.IdentityHashMap<>(), 0, displayName))
                    .forEach((k, v) -> metadata.put(String.valueOf(k), v));
        }
        return new Layout(Collections.unmodifiableList(out), Collections.unmodifiableMap(metadata));
    }

    private static Located locate(String name, TensorRef t, String firstName, Map<String, Storage> storages,
                                  String displayName) {
        String where = displayName + ": tensor '" + firstName + "'";
        StorageRef s = t.storage;
        Storage st = storages.get(s.key);
        long storageBytes = st.numel() * st.elementSize(); // checked against the record by resolveStorages
        if (t.dtype.dtype() == null) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED_DTYPE, where + ": dtype torch." + t.dtype.name()
                    + " is not supported");
        }
        long numel = TorchViews.checkView(t, storageBytes / t.dtype.elementSize(), where);
        DType dtype = t.dtype.dtype();
        long[] shape = t.size.clone();
        long[] stride = t.stride.clone();
        boolean contiguous = Tensor.isContiguous(shape, stride);
        if (t.dtype.fp4x2()) {
            if (numel > 0 && !Arrays.equals(stride, Tensor.contiguousStrides(shape))) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, where
                        + ": non-contiguous float4_e2m1fn_x2 tensors are not supported");
            }
            dtype = DType.F4;
            shape = shape.length == 0 ? new long[] {2} : shape;
            if (t.size.length > 0) {
                shape[shape.length - 1] = Math.multiplyExact(shape[shape.length - 1], 2L);
            }
            stride = Tensor.contiguousStrides(shape);
            contiguous = true;
        }
        long start;
        try {
            start = Math.multiplyExact(t.storageOffset, (long) t.dtype.elementSize());
        } catch (ArithmeticException e) {
            start = -1;
        }
        if (numel == 0 && (start < 0 || start > storageBytes)) {
            start = storageBytes; // an empty view touches no byte: any offset is valid
        }
        long length;
        try {
            length = Math.multiplyExact(numel, (long) t.dtype.elementSize()); // an expanded view may overflow
        } catch (ArithmeticException e) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": shape " + Arrays.toString(t.size)
                    + " has " + numel + " elements, more bytes than a 64-bit count holds");
        }
        if (start < 0) {
            throw new TorchCheckpointException(Reason.INVALID_VIEW, where + ": storage offset " + t.storageOffset
                    + " overflows a 64-bit byte offset");
        }
        Map<String, Object> extras = new LinkedHashMap<>();
        extras.put("torch_dtype", "torch." + t.dtype.name());
        extras.put("stride", stride);
        extras.put("storage_offset", t.dtype.fp4x2() ? Math.multiplyExact(t.storageOffset, 2L) : t.storageOffset);
        extras.put("storage", s.key);
        extras.put("contiguous", contiguous);
        if (t.parameter) {
            extras.put("parameter", true);
        }
        return new Located(name, dtype, shape, st.dataOffset() + start, length, contiguous,
                Collections.unmodifiableMap(extras));
    }
}
