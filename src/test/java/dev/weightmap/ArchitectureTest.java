// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Rules of the package floors (docs/ARCHITECTURE.md) that the compiler does not check, read from the main sources:
 * every package refers only to the packages its floor may import.
 */
class ArchitectureTest {
    private static final Path MAIN = Path.of("src", "main", "java", "dev", "weightmap");

    private static List<Path> sources(Path dir) throws IOException {
        assumeTrue(Files.isDirectory(dir), "the main sources are not at " + dir.toAbsolutePath());
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The common pool belongs to the application: parallel work goes through {@code internal.exec.Parallel}. */
    @Test
    void noLibraryCodeUsesTheCommonPool() throws IOException {
        assertThat(sources(MAIN)).allSatisfy(p -> assertThat(read(p)).as(p.toString())
                .doesNotContain("ForkJoinPool").doesNotContain(".parallel()").doesNotContain("parallelStream(")
                .doesNotContain("CompletableFuture.supplyAsync(").doesNotContain("CompletableFuture.runAsync("));
    }

    /** The codecs sit below nothing but the platform: {@code internal.zip} imports no checksum, tensor or format. */
    @Test
    void theZipCodecImportsNothingAboveIt() throws IOException {
        assertThat(sources(MAIN.resolve("internal").resolve("zip"))).allSatisfy(p -> assertThat(read(p))
                .as(p.toString()).doesNotContain("import dev.weightmap.checksum")
                .doesNotContain("import dev.weightmap.safetensors").doesNotContain("import dev.weightmap.dduf")
                .doesNotContain("import dev.weightmap.torch").doesNotContain("import dev.weightmap.shard"));
    }

    private static final Set<String> PLATFORM = Set.of("internal.io", "internal.simd", "internal.exec",
            "internal.collect");
    private static final Set<String> BELOW_FORMATS = Set.of("", "internal.io", "internal.simd", "internal.exec",
            "internal.collect", "internal.json", "internal.zip", "tensor", "internal.tensor", "checksum", "spi");

    /** What each package may refer to ("" is {@code dev.weightmap} itself). */
    private static Set<String> allowed(String pkg) {
        Set<String> a = new TreeSet<>(Set.of(pkg));
        switch (pkg) {
            // Weights.open(URI) returns the remote reader: the one place the vocabulary names a reader package
            // (a cycle with remote, which implements Weights; see docs/ARCHITECTURE.md)
            case "" -> a.addAll(Set.of("spi", "tensor", "internal.io", "internal.tensor", "remote"));
            // internal.io makes pages resident on several threads (Residency): through internal.exec
            case "internal.io" -> a.addAll(Set.of("", "internal.exec"));
            case "internal.zip" -> a.addAll(Set.of("", "internal.io"));
            case "internal.simd", "internal.exec", "internal.collect", "internal.json" -> { }
            // tensor and internal.tensor are one floor: the library's access to a tensor's file region
            case "tensor" -> a.addAll(Set.of("", "internal.io", "internal.simd", "internal.tensor"));
            case "internal.tensor" -> a.addAll(Set.of("", "internal.io", "tensor"));
            case "checksum" -> {
                a.addAll(PLATFORM);
                a.addAll(Set.of("", "internal.json", "tensor", "internal.tensor"));
            }
            case "spi" -> a.add("");
            case "safetensors", "torch", "gguf" -> a.addAll(BELOW_FORMATS);
            case "dduf" -> {
                a.addAll(BELOW_FORMATS);
                a.addAll(Set.of("safetensors", "gguf")); // a DDUF archive holds safetensors and GGUF entries
            }
            case "shard" -> {
                a.addAll(BELOW_FORMATS);
                a.addAll(Set.of("safetensors", "torch", "dduf"));
            }
            case "remote" -> {
                a.addAll(BELOW_FORMATS);
                a.addAll(Set.of("safetensors", "dduf", "gguf", "shard", "torch"));
            }
            case "cli" -> a.addAll(Set.of("", "spi", "tensor", "checksum", "safetensors", "torch", "dduf", "shard",
                    "gguf", "remote",
                    "internal.json", "internal.simd"));
            default -> throw new AssertionError("package dev.weightmap." + pkg
                    + " has no floor: add it to docs/ARCHITECTURE.md and here");
        }
        return a;
    }

    private static final Pattern REF = Pattern.compile("\\bdev\\.weightmap((?:\\.[a-z]\\w*)*)\\.[A-Z]");

    @Test
    void everyPackageRefersOnlyToItsFloorOrBelow() throws IOException {
        Map<String, Set<String>> wrong = new java.util.TreeMap<>();
        for (Path p : sources(MAIN)) {
            String rel = MAIN.relativize(p.getParent()).toString().replace(java.io.File.separatorChar, '.');
            Set<String> ok = allowed(rel);
            // a class named in a string (Opener's built-in formats, loaded by name) is not a reference
            Matcher m = REF.matcher(read(p).replaceFirst("(?m)^package [^;]+;", "")
                    .replaceAll("'(?:[^'\\\\\n]|\\\\.)'", "''").replaceAll("\"(?:[^\"\\\\\n]|\\\\.)*\"", "\"\""));
            while (m.find()) {
                String target = m.group(1).isEmpty() ? "" : m.group(1).substring(1);
                if (!ok.contains(target)) {
                    wrong.computeIfAbsent(MAIN.relativize(p).toString(), k -> new TreeSet<>()).add(target);
                }
            }
        }
        assertThat(wrong).as("files referring to a package above their floor").isEmpty();
    }
}
