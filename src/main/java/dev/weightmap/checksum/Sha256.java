// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.io.FileStreamer;
import java.lang.foreign.MemorySegment;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 through the JDK provider (SHA-NI intrinsic where available) over any segment. */
final class Sha256 implements Hasher {
    private static final int CHUNK = 1 << 16;
    private final MessageDigest md;
    private byte[] tmp;

    Sha256() {
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    @Override
    public ChecksumAlgorithm algorithm() {
        return ChecksumAlgorithm.SHA256;
    }

    @Override
    public void update(MemorySegment s) {
        if (FileStreamer.isMapped(s)) { // a fault becomes FILE_CHANGED: see FileStreamer
            FileStreamer.readSegment(s, this::update);
            return;
        }
        long len = s.byteSize();
        if (len == 0) {
            return;
        }
        if (tmp == null) {
            tmp = new byte[CHUNK];
        }
        MemorySegment dst = MemorySegment.ofArray(tmp);
        for (long off = 0; off < len; off += CHUNK) {
            int n = (int) Math.min(CHUNK, len - off);
            MemorySegment.copy(s, off, dst, 0, n);
            md.update(tmp, 0, n);
        }
    }

    @Override
    public void update(byte[] b, int off, int len) {
        md.update(b, off, len);
    }

    @Override
    public byte[] digest() {
        try {
            return ((MessageDigest) md.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 digest not cloneable", e);
        }
    }
}
