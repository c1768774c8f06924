// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.MemorySegment;

/**
 * Jazzer fuzz test over the GGUF reader: any bytes either open or raise a {@link GgufException}; nothing else
 * escapes (no IndexOutOfBounds, NullPointer, OOM, StackOverflow). Whatever opens also dequantizes and rewrites
 * (with {@link GgufWriter}) to a file that reads back the same. In {@code mvn test} it runs in regression mode
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
        for (GgufTensorInfo t : g.infos()) { // any block bytes decode (the grids' indexes are masked)
            if (t.elements() <= 1 << 16 && Dequantize.SUPPORTED.contains(t.type())) {
                g.dequantize(t.name());
            }
        }
        rewrite(g);
        try {
            g.verify();
        } catch (GgufException expected) {
            // an array string that is not UTF-8, a BOOL that is not 0 or 1
        }
    }

    /** Every valid file can be rewritten, and the rewrite reads back with the same keys and tensor infos. */
    private static void rewrite(GgufFile g) {
        GgufWriter w = new GgufWriter().putAll(g);
        for (GgufTensorInfo t : g.infos()) {
            w.tensor(t.name(), t.type(), t.ne(), g.raw(t.name()));
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try {
            w.write(java.nio.channels.Channels.newChannel(out));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        GgufFile again = GgufFile.parse(MemorySegment.ofArray(out.toByteArray()), "rewritten.gguf");
        if (!again.metadata().keySet().equals(g.metadata().keySet())
                || again.infos().size() != g.infos().size()) {
            throw new AssertionError("the rewrite differs");
        }
        for (int i = 0; i < g.infos().size(); i++) {
            GgufTensorInfo a = g.infos().get(i);
            GgufTensorInfo b = again.infos().get(i);
            if (!a.name().equals(b.name()) || a.type() != b.type() || !java.util.Arrays.equals(a.ne(), b.ne())) {
                throw new AssertionError("tensor " + i + " differs: " + a + " / " + b);
            }
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
