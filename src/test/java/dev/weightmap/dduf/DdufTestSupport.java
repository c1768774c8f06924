// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.json.JsonReader;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;

/** Shared helpers for the DDUF tests. */
final class DdufTestSupport {
    private DdufTestSupport() {
    }

    static Path fixtures(String area) {
        try {
            return Path.of(DdufTestSupport.class.getResource("/fixtures/" + area + "/expected.json").toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> expected(String area) throws Exception {
        return (Map<String, Object>) JsonReader.parse(Files.readAllBytes(fixtures(area).resolve("expected.json")));
    }

    static String sha256(MemorySegment seg) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        final long chunk = 1 << 20;
        for (long off = 0; off < seg.byteSize(); off += chunk) {
            md.update(seg.asSlice(off, Math.min(chunk, seg.byteSize() - off)).asByteBuffer());
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(byte[] b) throws Exception {
        return sha256(MemorySegment.ofArray(b));
    }

    static byte[] bytes(MemorySegment seg) {
        return seg.toArray(ValueLayout.JAVA_BYTE);
    }
}
