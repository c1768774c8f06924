// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Deterministic test bytes shared with gen-xxhsum-lengths.c, and resource loading. */
final class TestData {
    private TestData() {
    }

    static long splitmix64(long k) {
        long z = (k + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** byte i = (byte) (splitmix64(i >>> 3) >>> 8 * (i & 7)). */
    static byte[] bytes(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (splitmix64(i >>> 3) >>> (8 * (i & 7)));
        }
        return b;
    }

    static byte[] resource(String name) {
        try (InputStream in = TestData.class.getResourceAsStream("/fixtures/checksums/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(String name) {
        return new String(resource(name), StandardCharsets.UTF_8);
    }
}
