// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernel choice in fresh JVMs: without the incubator module (the vector class must never load) and with
 * {@code -Dweightmap.vectorization=false}; both give the same hashes as this (vector) JVM.
 */
class ScalarFallbackTest {
    /** Prints the chosen kernel, two hashes and whether the vector kernel class was loaded. */
    public static void main(String[] args) {
        MemorySegment s = Arena.ofAuto().allocate(100_000).copyFrom(MemorySegment.ofArray(TestData.bytes(100_000)));
        System.out.println("RESULT " + Xxh3.implementation() + " " + Xxh3.hex64(Xxh3.hash64(s)) + " "
                + Xxh3.hex128(Xxh3.hash128(s, 7)));
    }

    private static String probe(String... jvmArgs) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of(jvmArgs));
        cmd.addAll(List.of("-verbose:class", "-cp", System.getProperty("java.class.path"),
                ScalarFallbackTest.class.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }

    private static String result(String out) {
        return out.lines().filter(l -> l.startsWith("RESULT ")).map(l -> l.substring(7).strip()).findFirst()
                .orElseThrow(() -> new AssertionError("no RESULT line in: " + out));
    }

    @Test
    void scalarWithoutModuleOrWhenForced() throws Exception {
        MemorySegment s = MemorySegment.ofArray(TestData.bytes(100_000));
        String expected = Xxh3.hex64(Xxh3.hash64(s)) + " " + Xxh3.hex128(Xxh3.hash128(s, 7));

        String noModule = probe();
        assertThat(result(noModule)).isEqualTo("scalar " + expected);
        assertThat(noModule).doesNotContain("Xxh3VectorKernel").doesNotContain("jdk.incubator.vector.LongVector");

        String forced = probe("--add-modules", "jdk.incubator.vector", "-Dweightmap.vectorization=false");
        assertThat(result(forced)).isEqualTo("scalar " + expected);
        assertThat(forced).doesNotContain("Xxh3VectorKernel");

        String vector = probe("--add-modules", "jdk.incubator.vector");
        assertThat(result(vector)).endsWith(" " + expected);
    }
}
