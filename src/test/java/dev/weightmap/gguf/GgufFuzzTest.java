// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Jazzer fuzz test over the GGUF reader: any bytes either open or raise a {@link GgufException}; nothing else
 * escapes (no IndexOutOfBounds, NullPointer, OOM, StackOverflow). In {@code mvn test} it runs in regression mode
 * over the seeds in {@code src/test/resources/dev/weightmap/gguf/GgufFuzzTestInputs/}; {@code JAZZER_FUZZ=1}
 * ({@code mvn test -Pfuzz}) fuzzes.
 */
class GgufFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void fuzzReader(byte[] data) {
        exercise(data);
    }

    /** Opens, reads every value and tensor of, and verifies {@code data}, tolerating only GGUF exceptions. */
    static void exercise(byte[] data) {
        GgufFile g;
        try {
            g = GgufFile.parse(MemorySegment.ofArray(data), "fuzz.gguf");
        } catch (GgufException expected) {
            return;
        }
        for (Object v : g.metadata().values()) {
            if (v instanceof GgufArray a) {
                walk(a);
            }
        }
        for (Tensor t : g.tensors().values()) {
            t.data();
        }
        g.locations();
        try {
            g.verify();
        } catch (GgufException expected) {
            // an array string that is not UTF-8, a BOOL that is not 0 or 1
        }
    }

    private static void walk(GgufArray a) {
        long n = Math.min(a.size(), 64);
        for (long i = 0; i < n; i++) {
            try {
                Object v = a.get(i);
                if (v instanceof GgufArray inner) {
                    walk(inner);
                }
            } catch (GgufException expected) {
                // element not UTF-8 or not a valid BOOL
            }
        }
    }
}
