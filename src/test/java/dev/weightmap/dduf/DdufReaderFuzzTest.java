// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.weightmap.safetensors.SafetensorsException;

import java.lang.foreign.MemorySegment;

/**
 * Jazzer fuzz test over the DDUF reader: any bytes either open or raise a {@link DdufException}; nothing else
 * escapes (no IndexOutOfBounds, NullPointer, OOM). In {@code mvn test} it runs in regression mode over the seeds in
 * {@code src/test/resources/dev/weightmap/dduf/DdufReaderFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 */
class DdufReaderFuzzTest {
    @FuzzTest(maxDuration = "60s")
    void fuzzReader(byte[] data) {
        exercise(data);
    }

    /** Opens, reads and verifies {@code data}, tolerating only the DDUF exception family. */
    static void exercise(byte[] data) {
        DdufFile d;
        try {
            d = DdufFile.parse(MemorySegment.ofArray(data), "fuzz.dduf");
        } catch (DdufException expected) {
            return;
        }
        for (DdufEntry e : d.entries().values()) {
            try {
                e.readText();
            } catch (DdufException expected) {
                // not UTF-8
            }
            if (e.name().endsWith(".safetensors")) {
                try {
                    e.openSafetensors().tensors().forEach((n, t) -> t.data());
                } catch (SafetensorsException expected) {
                    // the safetensors format's own exception
                }
            }
        }
        try {
            d.verify();
        } catch (DdufException expected) {
            // CRC or safetensors header
        }
    }
}
