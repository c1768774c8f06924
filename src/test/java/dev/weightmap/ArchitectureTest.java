// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Rules of the package floors that the compiler does not check, read from the main sources. */
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
}
