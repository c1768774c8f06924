// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import java.lang.foreign.MemorySegment;

/** What the CLI tests use from this package. */
public final class GgufCliSupport {
    private GgufCliSupport() {
    }

    /**
     * The SHA-256 of some bytes, as lower-case hex.
     *
     * @param seg the bytes
     * @return the hex digest
     * @throws Exception when SHA-256 is unavailable
     */
    public static String sha256(MemorySegment seg) throws Exception {
        return GgufTestSupport.sha256(seg);
    }
}
