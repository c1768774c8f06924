// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import java.nio.charset.StandardCharsets;

/** Archives the reader reads but formats may refuse, each with one fact out of the ordinary. */
public final class BrokenZips {
    private BrokenZips() {
    }

    /** The end record names disk 1. */
    public static byte[] endRecordOnDisk1() {
        RawZip r = new RawZip().add("a.txt", "x");
        r.disk = 1;
        return r.build();
    }

    /** Entry 'a.txt' starts on disk 2. */
    public static byte[] entryOnDisk2() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", new byte[0]);
        e.diskStart = 2;
        return r.add(e).build();
    }

    /** Two records, an end record counting one: 51 bytes are left after the first record. */
    public static byte[] countBelowTheRecords() {
        RawZip r = new RawZip().add("a.txt", "x").add("b.txt", "y");
        r.countOverride = 1;
        return r.build();
    }

    /** A second record 'a.txt' pointing at the first one's local header. */
    public static byte[] overlapping() {
        RawZip r = new RawZip().add("a.txt", "x");
        RawZip.E twin = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        twin.lhoOverride = 0;
        return r.add(twin).build();
    }

    /** 'a.txt' claims 500 bytes at offset 35; the central directory starts at 36. */
    public static byte[] dataIntoTheCentralDirectory() {
        RawZip r = new RawZip();
        RawZip.E e = new RawZip.E("a.txt", "x".getBytes(StandardCharsets.UTF_8));
        e.csize = 500;
        return r.add(e).build();
    }

    /** The end record announces a 5-byte comment that is not there. */
    public static byte[] commentPastTheEnd() {
        byte[] b = new RawZip().add("a.txt", "x").build();
        b[b.length - 2] = 5;
        return b;
    }
}
