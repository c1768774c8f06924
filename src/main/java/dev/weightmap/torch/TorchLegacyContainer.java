// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.PickleMachine.StorageRef;
import dev.weightmap.torch.TorchCheckpoint.Storage;
import dev.weightmap.torch.TorchCheckpointException.Reason;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The legacy (pre-1.6) container: magic number, protocol version, sys_info, the object pickle, the storage key
 * list and each storage's element count and bytes, in that order.
 */
final class TorchLegacyContainer {
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

    /** The pickled legacy magic number: LONG1 ({@code 0x8a}), 10 bytes, 0x1950a86a20f9469cfc6c little-endian. */
    private static final byte[] LEGACY_MAGIC_PICKLE = {(byte) 0x8a, 0x0a, 0x6c, (byte) 0xfc, (byte) 0x9c, 0x46,
        (byte) 0xf9, 0x20, 0x6a, (byte) 0xa8, 0x50, 0x19};

    private final MemorySegment image;
    private final String displayName;

    TorchLegacyContainer(MemorySegment image, String displayName) {
        this.image = image;
        this.displayName = displayName;
    }

    /** {@link TorchCheckpoint#looksLegacy}: a pickle protocol opcode, an optional FRAME, the pickled magic. */
    static boolean looksLegacy(byte[] head) {
        if (head.length < 2 || (head[0] & 0xFF) != 0x80 || head[1] < 2 || head[1] > 5) {
            return false;
        }
        int at = 2;
        if (head.length > at && (head[at] & 0xFF) == 0x95) {
            at += 9; // FRAME and its 8-byte length (protocol 4 and later)
        }
        if (head.length < at + LEGACY_MAGIC_PICKLE.length) {
            return false;
        }
        for (int i = 0; i < LEGACY_MAGIC_PICKLE.length; i++) {
            if (head[at + i] != LEGACY_MAGIC_PICKLE[i]) {
                return false;
            }
        }
        return true;
    }

    record Legacy(PickleMachine.Result main, Map<String, Storage> storages) {
    }

    Legacy readLegacy() {
        long size = image.byteSize();
        PickleMachine.Result magic;
        try {
            magic = PickleMachine.run(image, 0, size, displayName + ": legacy magic number", PickleMachine.Limits.DEFAULT);
        } catch (TorchCheckpointException e) {
            throw new TorchCheckpointException(Reason.NOT_A_CHECKPOINT, displayName
                    + ": not a PyTorch checkpoint (" + e.getMessage() + ")", e);
        }
        if (!LEGACY_MAGIC.equals(magic.value())) {
            throw new TorchCheckpointException(Reason.NOT_A_CHECKPOINT, displayName
                    + ": invalid magic number; not a legacy PyTorch checkpoint");
        }
        PickleMachine.Result proto = PickleMachine.run(image, magic.end(), size, displayName
                + ": legacy protocol version", PickleMachine.Limits.DEFAULT);
        if (!Long.valueOf(1001).equals(proto.value())) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName + ": invalid protocol version "
                    + proto.value() + " (expected 1001)");
        }
        PickleMachine.Result sys = PickleMachine.run(image, proto.end(), size, displayName + ": legacy sys_info",
                PickleMachine.Limits.DEFAULT);
        if (sys.value() instanceof Map<?, ?> m && Boolean.FALSE.equals(m.get("little_endian"))) {
            throw new TorchCheckpointException(Reason.UNSUPPORTED, displayName
                    + ": big-endian legacy checkpoint is not supported (tensors are mapped zero-copy as little-endian)");
        }
        PickleMachine.Result main = PickleMachine.run(image, sys.end(), size, displayName + ": legacy object pickle",
                PickleMachine.Limits.DEFAULT);
        PickleMachine.Result keys = PickleMachine.run(image, main.end(), size, displayName + ": legacy storage keys",
                PickleMachine.Limits.DEFAULT);
        if (!(keys.value() instanceof List<?> keyList)) {
            throw new TorchCheckpointException(Reason.INVALID_PICKLE, displayName
                    + ": legacy storage key list is not a list");
        }
        Map<String, long[]> located = new HashMap<>(); // key -> {offset, bytes}
        long pos = keys.end();
        for (Object k : keyList) {
            String key = k instanceof String s ? s : String.valueOf(k);
            StorageRef s = main.storages().get(key);
            if (s == null) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": legacy storage '" + key
                        + "' is listed but never referenced");
            }
            if (size - pos < 8) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": truncated file: legacy storage '"
                        + key + "' has no element count at byte " + pos);
            }
            long count = image.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), pos);
            pos += 8;
            if (count != s.numel) {
                throw new TorchCheckpointException(Reason.STORAGE_SIZE_MISMATCH, displayName + ": legacy storage '"
                        + key + "' holds " + count + " elements but " + s.type.qualifiedName() + " of " + s.numel
                        + " elements is expected");
            }
            long bytes = TorchViews.storageBytes(s, key, displayName);
            if (bytes > size - pos) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": truncated file: legacy storage '"
                        + key + "' needs " + bytes + " bytes at byte " + pos + " but the file has " + size);
            }
            if (located.put(key, new long[] {pos, bytes}) != null) {
                throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, displayName + ": legacy storage '" + key
                        + "' is listed twice");
            }
            pos += bytes;
        }
        Map<String, Storage> out = new LinkedHashMap<>();
        for (StorageRef s : main.storages().values()) {
            long[] loc = located.get(s.key);
            if (loc == null) {
                throw new TorchCheckpointException(Reason.MISSING_RECORD, displayName + ": legacy storage '" + s.key
                        + "' has no data");
            }
            out.put(s.key, new Storage(s.key, s.type.qualifiedName(), s.location, s.numel,
                    s.type.dtype().elementSize(), null, loc[0], image.asSlice(loc[0], loc[1])));
        }
        return new Legacy(main, Collections.unmodifiableMap(out));
    }

}
