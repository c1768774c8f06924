// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes safetensors files byte-identical to the Rust reference writer: tensors laid out by dtype (U64 first,
 * BOOL last) then by name bytes; compact JSON header with {@code __metadata__} first (keys sorted, unlike the
 * reference's random order); header padded with spaces to a multiple of 8. Tensor bytes stream from their
 * segments; strided tensors are written contiguous.
 */
public final class Safetensors {
    /** Largest header the format allows: 100,000,000 bytes. */
    public static final long MAX_HEADER_LENGTH = HeaderParser.DEFAULT_MAX_HEADER;

    private Safetensors() {
    }

    /** A prepared file: the header bytes and the tensors in layout order. */
    record Plan(byte[] header, List<Tensor> ordered, long totalLength) {
    }

    /**
     * Saves tensors (and optional metadata) to {@code file} atomically: a temporary file in the same folder is
     * written, forced and renamed over the target. After a failure the target is untouched and no temporary file
     * remains. Overwriting a file that is currently mapped is safe.
     *
     * @param tensors  the tensors by name
     * @param metadata {@code __metadata__} strings, or null/empty for none
     * @param file     the target file
     * @throws SafetensorsException for tensors that cannot be saved (SHARED_STORAGE, INVALID_TENSOR,
     *                              HEADER_TOO_LARGE, …)
     * @throws IOException when the file cannot be written; the target is then unchanged
     */
    public static void save(Map<String, Tensor> tensors, Map<String, String> metadata, Path file) throws IOException {
        save(tensors, metadata, file, true);
    }

    /**
     * Like {@link #save(Map, Map, Path)}; with {@code durable} false the file is not forced to disk before this
     * returns, for scratch files that need not survive a power loss or an OS crash (benchmark harnesses): the file
     * still appears atomically under its final name.
     *
     * @param tensors  the tensors, by name
     * @param metadata {@code __metadata__} strings, or null/empty for none
     * @param file     the file to create or replace
     * @param durable  whether to force the file and its folder to disk ({@link #save(Map, Map, Path)} does)
     * @throws SafetensorsException for tensors that cannot be saved
     * @throws IOException          when writing fails
     */
    public static void save(Map<String, Tensor> tensors, Map<String, String> metadata, Path file, boolean durable)
            throws IOException {
        Plan plan = plan(tensors, metadata);
        AtomicFile.write(file, durable, ch -> write(plan, ch));
    }

    /**
     * Writes the safetensors bytes to a channel.
     *
     * @param tensors the tensors by name
     * @param metadata {@code __metadata__} strings, or null/empty for none
     * @param out the channel to write to (left open)
     * @return the number of bytes written
     * @throws SafetensorsException for tensors that cannot be saved
     * @throws IOException when writing to the channel fails
     */
    public static long write(Map<String, Tensor> tensors, Map<String, String> metadata, WritableByteChannel out)
            throws IOException {
        return write(plan(tensors, metadata), out);
    }

    /**
     * The exact length in bytes of the file {@link #write} would produce.
     *
     * @param tensors the tensors by name
     * @param metadata {@code __metadata__} strings, or null/empty for none
     * @return the file length in bytes
     */
    public static long serializedLength(Map<String, Tensor> tensors, Map<String, String> metadata) {
        return plan(tensors, metadata).totalLength();
    }

    /**
     * The header JSON text (padding included) the writer would produce.
     *
     * @param tensors the tensors by name
     * @param metadata {@code __metadata__} strings, or null/empty for none
     * @return the JSON header, space padding included
     */
    public static String headerText(Map<String, Tensor> tensors, Map<String, String> metadata) {
        return new String(plan(tensors, metadata).header(), StandardCharsets.UTF_8);
    }

    static long write(Plan plan, WritableByteChannel out) throws IOException {
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(plan.header().length).flip();
        writeFully(out, len);
        writeFully(out, ByteBuffer.wrap(plan.header()));
        for (Tensor t : plan.ordered()) {
            t.writeTo(out);
        }
        return plan.totalLength();
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    static Plan plan(Map<String, Tensor> tensors, Map<String, String> metadata) {
        int n = tensors.size();
        String[] names = new String[n];
        byte[][] nameBytes = new byte[n][];
        Tensor[] ts = new Tensor[n];
        int k = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            checkTensor(name, t);
            names[k] = name;
            nameBytes[k] = name.getBytes(StandardCharsets.UTF_8);
            ts[k] = t;
            k++;
        }
        checkNoSharing(tensors);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Integer.compare(ts[a].dtype().writeRank(), ts[b].dtype().writeRank());
            return c != 0 ? c : Arrays.compareUnsigned(nameBytes[a], nameBytes[b]);
        });
        JsonWriter json = JsonWriter.compact();
        StringBuilder sb = new StringBuilder(64 + n * 64);
        sb.append('{');
        boolean first = true;
        if (metadata != null && !metadata.isEmpty()) {
            checkMetadata(metadata);
            sb.append("\"__metadata__\":");
            json.write(sb, new TreeMap<>(metadata));
            first = false;
        }
        long offset = 0;
        List<Tensor> ordered = new ArrayList<>(n);
        for (int i : order) {
            Tensor t = ts[i];
            long nbytes = t.byteLength();
            if (!first) {
                sb.append(',');
            }
            first = false;
            appendEntry(sb, json, names[i], t, offset);
            offset += nbytes;
            ordered.add(t);
        }
        sb.append('}');
        byte[] header = padded(sb.toString().getBytes(StandardCharsets.UTF_8));
        return new Plan(header, ordered, 8L + header.length + offset);
    }

    /** Rejects a tensor the format cannot store under {@code name}. */
    private static void checkTensor(String name, Tensor t) {
        if (name == null || t == null) {
            throw new SafetensorsException(Reason.INVALID_TENSOR, "null tensor name or tensor");
        }
        if (name.equals("__metadata__")) {
            throw new SafetensorsException(Reason.INVALID_TENSOR,
                    "`__metadata__` is reserved and cannot name a tensor");
        }
        if (!t.dtype().isSafetensors()) {
            throw new SafetensorsException(Reason.INVALID_TENSOR, "tensor `" + name + "` has dtype " + t.dtype()
                    + ", which safetensors cannot store");
        }
        if (!wellFormed(name)) {
            throw new SafetensorsException(Reason.INVALID_TENSOR, "tensor name `" + name
                    + "` has an unpaired surrogate and no UTF-8 form");
        }
    }

    /** Rejects null or unencodable {@code __metadata__} keys and values. */
    private static void checkMetadata(Map<String, String> metadata) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null || e.getValue() == null) {
                throw new SafetensorsException(Reason.INVALID_METADATA, "null key or value in metadata");
            }
            if (!wellFormed(e.getKey()) || !wellFormed(e.getValue())) {
                throw new SafetensorsException(Reason.INVALID_METADATA, "metadata key `" + e.getKey()
                        + "` (or its value) has an unpaired surrogate and no UTF-8 form");
            }
        }
    }

    /** Appends the header entry {@code "name":{dtype, shape, data_offsets}} of a tensor stored at {@code offset}. */
    private static void appendEntry(StringBuilder sb, JsonWriter json, String name, Tensor t, long offset) {
        json.string(sb, name);
        sb.append(":{\"dtype\":\"").append(t.dtype().headerName()).append("\",\"shape\":[");
        long[] shape = t.shape();
        for (int d = 0; d < shape.length; d++) {
            if (d > 0) {
                sb.append(',');
            }
            sb.append(shape[d]);
        }
        sb.append("],\"data_offsets\":[").append(offset).append(',').append(offset + t.byteLength()).append("]}");
    }

    /** The header text padded with spaces to a multiple of 8 bytes, within {@link #MAX_HEADER_LENGTH}. */
    private static byte[] padded(byte[] raw) {
        int padded = (raw.length + 7) & ~7;
        if (padded > MAX_HEADER_LENGTH || padded < raw.length) {
            throw new SafetensorsException(Reason.HEADER_TOO_LARGE, "header too large: " + raw.length
                    + " bytes (limit " + MAX_HEADER_LENGTH + ")");
        }
        byte[] header = Arrays.copyOf(raw, padded);
        Arrays.fill(header, raw.length, padded, (byte) ' ');
        return header;
    }

    /** Whether every surrogate of {@code s} is paired, so that it has a UTF-8 form (getBytes would write '?'). */
    private static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    private static void checkNoSharing(Map<String, Tensor> tensors) {
        for (StorageAliasing.Cluster c : StorageAliasing.clusters(tensors)) {
            if (c.isShared()) {
                throw new SafetensorsException(Reason.SHARED_STORAGE, "tensors `" + c.names().get(0) + "` and `"
                        + c.names().get(1) + "` share memory (" + c.storage() + "); save one of them, or use "
                        + "StateDicts.save, which de-duplicates shared tensors");
            }
        }
    }
}
