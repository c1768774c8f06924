// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.internal.zip.ZipFormatException;
import dev.weightmap.internal.zip.ZipSource;

import java.io.IOException;

/**
 * DDUF's rules over the structure {@link ZipArchive} reads: one disk, an end record whose comment fits, every
 * local header and its data before the central directory, a central directory holding exactly its records, no
 * overlapping entries. (Entry-level rules, stored and unencrypted entries and their names, are
 * {@link DdufFile}'s.)
 */
final class DdufZip {
    private DdufZip() {
    }

    /**
     * Reads and checks the archive in {@code source}.
     *
     * @throws ZipFormatException naming the broken rule
     */
    static ZipArchive read(ZipSource source) throws IOException {
        ZipArchive z = ZipArchive.read(source);
        check(z);
        return z;
    }

    static void check(ZipArchive z) {
        if (!z.endCommentFits()) {
            throw new ZipFormatException("not a zip archive: no end of central directory record in the last "
                    + Math.min(z.size(), ZipArchive.END_LEN + ZipArchive.U16) + " bytes");
        }
        ZipArchive.Disks d = z.disks();
        if (z.isZip64()) {
            if (d.locatorDisk() != 0 || d.locatorDisks() > 1) {
                throw new ZipFormatException("multi-disk archives are not supported (ZIP64 locator names disk "
                        + d.locatorDisk() + " of " + d.locatorDisks() + ")");
            }
            if (d.endDisk() != 0 || d.endCentralDirectoryDisk() != 0) {
                throw new ZipFormatException("multi-disk archives are not supported (ZIP64 end record disk "
                        + d.endDisk() + ", central directory disk " + d.endCentralDirectoryDisk() + ")");
            }
        } else if (d.endDisk() != 0 || d.endCentralDirectoryDisk() != 0) {
            throw new ZipFormatException("multi-disk archives are not supported (end record disk " + d.endDisk()
                    + ", central directory disk " + d.endCentralDirectoryDisk() + ")");
        }
        int count = z.entries().size();
        if (d.entriesOnThisDisk() != count) {
            throw new ZipFormatException("multi-disk archives are not supported (" + d.entriesOnThisDisk()
                    + " entries on this disk, " + count + " in total)");
        }
        long cd = z.centralDirectoryOffset();
        for (ZipEntry e : z.entries()) {
            String name = e.name();
            if (e.diskStart() != 0) {
                throw new ZipFormatException(name, "multi-disk archives are not supported (entry starts on disk "
                        + e.diskStart() + ")");
            }
            long lho = e.localHeaderOffset();
            if (lho > cd || cd - lho < ZipArchive.LOC_LEN) {
                throw new ZipFormatException(name, "local header at offset " + lho
                        + " does not lie before the central directory at " + cd);
            }
            if (e.dataOffset() > cd) {
                throw new ZipFormatException(name, "local header at offset " + lho
                        + " runs into the central directory at " + cd);
            }
            if (!e.endsBefore(cd)) {
                throw new ZipFormatException(name, "data of " + e.compressedSize() + " bytes at offset "
                        + e.dataOffset() + " runs past the start of the central directory at " + cd);
            }
        }
        if (z.trailingCentralDirectoryBytes() != 0) {
            throw new ZipFormatException("central directory has " + z.trailingCentralDirectoryBytes()
                    + " bytes after its last record: the end record's count of " + count + " entries is wrong");
        }
        ZipArchive.Overlap o = z.overlap();
        if (o != null) {
            throw new ZipFormatException(o.later().name(), "overlaps entry '" + o.earlier().name()
                    + "' (its data ends at " + o.earlier().dataEnd() + ", this local header starts at "
                    + o.later().localHeaderOffset() + ")");
        }
    }
}
