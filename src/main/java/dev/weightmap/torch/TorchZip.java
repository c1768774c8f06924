// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.internal.zip.ZipFormatException;
import dev.weightmap.internal.zip.ZipLayout;
import dev.weightmap.internal.zip.ZipSource;
import dev.weightmap.torch.TorchCheckpointException.Reason;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * torch's rules over the structure {@link ZipArchive} reads. Sizes come from the central directory (torch writes
 * data descriptors and zeros in local headers); CRCs are not checked here (torch may write zeros). Record names
 * are UTF-8 whatever flag bit 11 says; only STORED, unencrypted records are accepted, so every record is a
 * zero-copy slice; every record lies inside the file; names are unique. Disk numbers of ZIP64 records and
 * entries, per-disk counts, overlaps and bytes after the last central record are not looked at, as torch's own
 * reader does not. Structural errors are {@link Reason#CORRUPT_ARCHIVE}; compression and encryption
 * {@link Reason#UNSUPPORTED}.
 */
final class TorchZip {
    /** One record. */
    record Entry(String name, long localHeaderOffset, long dataOffset, long size, int flags, int crc) {
    }

    /** Extra field id of torch's alignment padding ("FB"), whose body is {@code 'Z'} bytes. */
    static final int PADDING_EXTRA_ID = 0x4246;

    private TorchZip() {
    }

    /**
     * The layout of {@code torch.save} (PyTorch's {@code PyTorchStreamWriter}): local headers hold the sizes
     * (version 2.0 needed, flag bit 11 set on every entry), with a ZIP64 extra field only for entries of 4 GiB or
     * more (version 4.5); every local header ends with a padding extra field {@link #PADDING_EXTRA_ID} of
     * {@code 'Z'} bytes, present even when empty; central records are made by MS-DOS with the version they need
     * and zero external attributes; the ZIP64 end record and locator are always written.
     *
     * @param alignment  the data alignment
     * @param forceZip64 ZIP64 fields in every local and central header, as if every size and offset were beyond
     *                   4 GiB (tests of that path without writing 4 GiB)
     */
    static ZipLayout layout(int alignment, boolean forceZip64) {
        return new ZipLayout(alignment, ZipLayout.LocalSizes.UP_FRONT, PADDING_EXTRA_ID, ZipLayout.Padding.ALWAYS_Z,
                ZipLayout.HOST_MS_DOS, true, 0, forceZip64 ? ZipLayout.Zip64.EVERYWHERE : ZipLayout.Zip64.END_RECORD_ALWAYS);
    }

    private static TorchCheckpointException corrupt(String file, String msg) {
        return new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, file + ": " + msg);
    }

    /**
     * Reads the central directory and every local header through {@code source}; records in central-directory
     * order.
     */
    static Map<String, Entry> read(ZipSource source, String file) throws IOException {
        ZipArchive z;
        try {
            z = ZipArchive.read(source);
        } catch (ZipFormatException e) {
            throw new TorchCheckpointException(Reason.CORRUPT_ARCHIVE, file + ": " + e.getMessage(), e);
        }
        ZipArchive.Disks d = z.disks();
        if (d.plainEndDisk() != 0 || d.plainEndCentralDirectoryDisk() != 0) {
            throw corrupt(file, "multi-disk zip archives are not supported");
        }
        long size = z.size();
        Map<String, Entry> out = LinkedHashMap.newLinkedHashMap(z.entries().size());
        for (ZipEntry e : z.entries()) {
            String name = ZipArchive.strictUtf8(e.rawName());
            if (name == null) {
                throw corrupt(file, "record name is not valid UTF-8");
            }
            if ((e.flags() & ZipEntry.FLAG_ENCRYPTED) != 0) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, file + ": record '" + name + "' is encrypted");
            }
            if (e.method() != ZipEntry.STORED) {
                throw new TorchCheckpointException(Reason.UNSUPPORTED, file + ": record '" + name
                        + "' is compressed (method " + e.method() + "); only stored records can be mapped");
            }
            if (e.compressedSize() != e.size()) {
                throw corrupt(file, "record '" + name + "': stored size " + e.compressedSize() + " differs from size "
                        + e.size());
            }
            if (!e.endsBefore(size)) {
                throw corrupt(file, "record '" + name + "' [" + e.dataOffset() + ", +" + e.size()
                        + ") lies outside the file of " + size + " bytes (truncated?)");
            }
            if (out.put(name, new Entry(name, e.localHeaderOffset(), e.dataOffset(), e.size(), e.flags(),
                    (int) e.crc32())) != null) {
                throw corrupt(file, "duplicate record '" + name + "'");
            }
        }
        return out;
    }
}
