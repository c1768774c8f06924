// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.RawZip;
import dev.weightmap.internal.zip.ZipFormatException;
import dev.weightmap.internal.zip.ZipSource;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** DDUF's structural rules over the ZIP facts, each broken on purpose. */
class DdufZipTest {
    private static void read(byte[] b) throws Exception {
        DdufZip.read(ZipSource.of(MemorySegment.ofArray(b)));
    }

    @Test
    void aWellFormedArchivePasses() {
        assertThatCode(() -> read(new RawZip().add("a.txt", "x").add("b.txt", "y").build())).doesNotThrowAnyException();
    }

    @Test
    void multiDisk() {
        RawZip r = new RawZip().add("a.txt", "x");
        r.disk = 1;
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessage("multi-disk archives are not supported (end record disk 1, central directory disk 0)");
        RawZip r2 = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", new byte[0]);
        e.diskStart = 2;
        r2.add(e);
        assertThatThrownBy(() -> read(r2.build())).isInstanceOf(ZipFormatException.class)
                .hasMessage("entry 'a.txt': multi-disk archives are not supported (entry starts on disk 2)");
    }

    @Test
    void countBelowTheRecords() {
        RawZip r = new RawZip().add("a.txt", "x").add("b.txt", "y");
        r.countOverride = 1;
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageContaining("the end record's count of 1 entries is wrong");
    }

    @Test
    void overlappingEntries() {
        RawZip r = new RawZip().add("a.txt", "x");
        RawZip.E twin = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        twin.lhoOverride = 0;
        r.add(twin);
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageStartingWith("entry 'a.txt': overlaps entry 'a.txt'");
    }

    @Test
    void dataRunningIntoTheCentralDirectory() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        e.csize = 500;
        r.add(e);
        assertThatThrownBy(() -> read(r.build())).isInstanceOf(ZipFormatException.class)
                .hasMessage("entry 'a.txt': data of 500 bytes at offset 35 runs past the start of the central directory at 36");
    }

    @Test
    void localHeaderPastTheEnd() {
        RawZip far = new RawZip();
        RawZip.E f = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        f.lhoOverride = 5000;
        far.add(f);
        assertThatThrownBy(() -> read(far.build())).isInstanceOf(ZipFormatException.class)
                .hasMessageStartingWith("entry 'a.txt': Incomplete local file header.");
    }

    @Test
    void anEndRecordWhoseCommentRunsPastTheEnd() {
        byte[] b = new RawZip().add("a.txt", "x").build();
        b[b.length - 2] = 5;
        assertThatThrownBy(() -> read(b)).isInstanceOf(ZipFormatException.class)
                .hasMessage("not a zip archive: no end of central directory record in the last " + b.length + " bytes");
    }
}
