// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.zip.ZipSource;
import dev.weightmap.torch.PickleMachine.StorageRef;
import dev.weightmap.torch.TorchCheckpoint.Record;
import dev.weightmap.torch.TorchCheckpoint.Storage;
import dev.weightmap.torch.TorchCheckpointException.Reason;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The zip container of a checkpoint ({@code torch.save} since 1.6): the records under one folder, the format
 * version, the byte order, {@code data.pkl} run by the restricted machine, and the storages it names, each a
 * record of exactly its size.
 */
final class TorchZipContainer {
    private final MemorySegment image;
    /** How the small records are read when there is no image (null when there is one). */
    private final Function<TorchZip.Entry, MemorySegment> reader;
    private final String displayName;

    TorchZipContainer(MemorySegment image, String displayName) {
        this.image = image;
        this.reader = null;
        this.displayName = displayName;
    }

    /** A container whose small records (version, byte order, pickle) are read by {@code bytes}. */
    TorchZipContainer(Function<TorchZip.Entry, MemorySegment> bytes, String displayName) {
        this.image = null;
        this.reader = bytes;
        this.displayName = displayName;
    }

    /** A record's bytes: a slice of the image, or what the reader fetches. */
    private MemorySegment bytes(TorchZip.Entry e) {
        return image != null ? image.asSlice(e.dataOffset(), e.size()) : reader.apply(e);
    }

    record Zip(String prefix, int version, List<Record> records, Map<String, TorchZip.Entry> recordMap,
                       PickleMachine.Result result) {
    }

    Zip readZip(FileChannel headers) throws IOException {
        return readZip(headers == null ? ZipSource.of(image) : ZipSource.of(headers));
    }

    Zip readZip(ZipSource source) throws IOException {
        Map<String, TorchZip.Entry> map = TorchZip.read(source, displayName);
        if (map.isEmpty()) {
            throw new TorchCheckpointException(Reason.MISSING_RECORD, displayName + ": empty zip archive, no data.pkl");
        }
        String first = map.keySet().iterator().next();
        int slash = first.indexOf('/');
        if (slash <= 0) {
            throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": record '" + first
                    + "' is not in a subdirectory");
        }
        String pre = first.substring(0, slash);
        List<Record> recs = new ArrayList<>();
        for (TorchZip.Entry e : map.values()) {
            if (!e.name().startsWith(pre + "/")) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": record '" + e.name()
                        + "' is not under the archive folder '" + pre + "/'");
            }
            recs.add(new Record(e.name(), e.dataOffset(), e.size(), e.crc()));
        }
        if (map.containsKey(pre + "/constants.pkl")) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName
                    + ": a TorchScript archive (constants.pkl), not a torch.save checkpoint");
        }
        TorchZip.Entry versionRec = map.getOrDefault(pre + "/version", map.get(pre + "/.data/version"));
        if (versionRec == null) {
            throw new TorchCheckpointException(Reason.MISSING_RECORD, displayName + ": record '" + pre
                    + "/version' is missing");
        }
        String vText = text(versionRec, 32).strip();
        int v;
        try {
            v = Integer.parseInt(vText);
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v < 1 || v > 10) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName + ": record '" + versionRec.name()
                    + "': file format version '" + vText + "' is not in the supported range 1..10");
        }
        TorchZip.Entry bo = map.get(pre + "/byteorder");
        if (bo != null) {
            String order = text(bo, 16);
            if (order.equals("big")) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName
                        + ": byteorder 'big' is not supported (tensors are mapped zero-copy as little-endian;"
                        + " re-save the checkpoint on a little-endian machine)");
            }
            if (!order.equals("little")) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": record '" + bo.name()
                        + "': unknown endianness type '" + order + "'");
            }
        }
        TorchZip.Entry pkl = map.get(pre + "/data.pkl");
        if (pkl == null) {
            throw new TorchCheckpointException(Reason.MISSING_RECORD, displayName + ": record '" + pre
                    + "/data.pkl' is missing");
        }
        MemorySegment p = bytes(pkl);
        PickleMachine.Result r = PickleMachine.run(p, displayName + ": " + pkl.name());
        return new Zip(pre, v, List.copyOf(recs), map, r);
    }

    private String text(TorchZip.Entry e, int max) {
        if (e.size() > max) {
            throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": record '" + e.name()
                    + "' is longer than " + max + " bytes");
        }
        byte[] b = bytes(e).toArray(ValueLayout.JAVA_BYTE);
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    /**
     * The storages {@code r} names, each checked against its record; with no image (a remote archive) the
     * storages have no segment.
     */
    Map<String, Storage> resolveStorages(PickleMachine.Result r, Map<String, TorchZip.Entry> map, String prefix) {
        Map<String, Storage> out = new LinkedHashMap<>();
        for (StorageRef s : r.storages().values()) {
            String name = prefix + "/data/" + s.key;
            TorchZip.Entry e = map.get(name);
            if (e == null) {
                throw new TorchCheckpointException(Reason.MISSING_RECORD, displayName + ": storage record '" + name
                        + "' is missing");
            }
            long expected = TorchViews.storageBytes(s, name, displayName);
            if (e.size() != expected) {
                throw new TorchCheckpointException(Reason.STORAGE_SIZE_MISMATCH, displayName + ": storage record '"
                        + name + "' holds " + e.size() + " bytes but " + s.type.qualifiedName() + " of " + s.numel
                        + " elements needs " + expected + " bytes");
            }
            out.put(s.key, new Storage(s.key, s.type.qualifiedName(), s.location, s.numel,
                    s.type.dtype().elementSize(), name, e.dataOffset(),
                    image == null ? null : image.asSlice(e.dataOffset(), e.size())));
        }
        return Collections.unmodifiableMap(out);
    }


}
