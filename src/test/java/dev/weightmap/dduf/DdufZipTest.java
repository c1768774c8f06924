// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.BrokenZips;
import dev.weightmap.internal.zip.RawZip;
import dev.weightmap.internal.zip.ZipFormatException;
import dev.weightmap.internal.zip.ZipSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DDUF's structural rules over the ZIP facts, each broken on purpose. */
class DdufZipTest {
    private static void read(byte[] b) throws Exception {
        DdufZip.read(ZipSource.of(MemorySegment.ofArray(b)));
    }

    private static void refused(byte[] b, String message) {
        assertThatThrownBy(() -> read(b)).isInstanceOf(ZipFormatException.class).hasMessageStartingWith(message);
    }

    @Test
    void aWellFormedArchivePasses() {
        assertThatCode(() -> read(new RawZip().add("a.txt", "x").add("b.txt", "y").build())).doesNotThrowAnyException();
    }

    @Test
    void rules() {
        refused(BrokenZips.endRecordOnDisk1(),
                "multi-disk archives are not supported (end record disk 1, central directory disk 0)");
        refused(BrokenZips.entryOnDisk2(),
                "entry 'a.txt': multi-disk archives are not supported (entry starts on disk 2)");
        refused(BrokenZips.countBelowTheRecords(),
                "central directory has 51 bytes after its last record: the end record's count of 1 entries is wrong");
        refused(BrokenZips.overlapping(), "entry 'a.txt': overlaps entry 'a.txt'");
        refused(BrokenZips.dataIntoTheCentralDirectory(),
                "entry 'a.txt': data of 500 bytes at offset 35 runs past the start of the central directory at 36");
        byte[] b = BrokenZips.commentPastTheEnd();
        refused(b, "not a zip archive: no end of central directory record in the last " + b.length + " bytes");
    }
}
