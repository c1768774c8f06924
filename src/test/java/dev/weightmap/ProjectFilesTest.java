// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checks the files a published artifact needs: license, SPDX headers, pom metadata, one version source. */
class ProjectFilesTest {

    static final String SPDX_LINE = "// SPDX-License-Identifier: Apache-2.0";

    /** The project root: surefire runs the tests with the module directory as working directory. */
    static final Path ROOT = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));

    /** Every {@code .java} file under {@code dirs} whose first line is not {@link #SPDX_LINE}. */
    static List<Path> filesWithoutSpdx(Path... dirs) throws IOException {
        List<Path> missing = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java") && Files.isRegularFile(p)).toList()) {
                    String text = Files.readString(f, StandardCharsets.UTF_8);
                    int eol = text.indexOf('\n');
                    String first = (eol < 0 ? text : text.substring(0, eol)).stripTrailing();
                    if (!first.equals(SPDX_LINE)) {
                        missing.add(dir.relativize(f));
                    }
                }
            }
        }
        return missing;
    }

    @Test
    void everyJavaFileStartsWithTheSpdxLine() throws IOException {
        assertThat(Files.isDirectory(ROOT.resolve("src/main/java"))).as("run from the project root").isTrue();
        assertThat(filesWithoutSpdx(ROOT.resolve("src"), ROOT.resolve("benchmarks/src")))
                .as("files whose first line is not '%s'", SPDX_LINE)
                .isEmpty();
    }

    @Test
    void theCheckFindsAFileWithoutTheLine(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("a/b"));
        Files.writeString(dir.resolve("a/Good.java"), SPDX_LINE + "\npackage a;\n");
        Files.writeString(dir.resolve("a/b/Bad.java"), "package a.b;\n" + SPDX_LINE + "\n");
        Files.writeString(dir.resolve("a/b/Empty.java"), "");
        Files.writeString(dir.resolve("a/b/notes.txt"), "no header needed\n");
        assertThat(filesWithoutSpdx(dir))
                .containsExactlyInAnyOrder(Path.of("a/b/Bad.java"), Path.of("a/b/Empty.java"));
    }

    @Test
    void licenseFileIsTheApacheLicense() throws IOException {
        Path license = ROOT.resolve("LICENSE");
        assertThat(license).isRegularFile();
        assertThat(Files.readString(license)).contains("Apache License").contains("Version 2.0");
    }

    @Test
    void changelogFollowsKeepAChangelog() throws IOException {
        Path changelog = ROOT.resolve("CHANGELOG.md");
        assertThat(changelog).isRegularFile();
        assertThat(Files.readString(changelog))
                .startsWith("# Changelog\n")
                .contains("https://keepachangelog.com/")
                .contains("## [Unreleased]");
    }

    @Test
    void bothPomsDeclareTheLicense() throws IOException {
        for (String pom : List.of("pom.xml", "benchmarks/pom.xml")) {
            assertThat(Files.readString(ROOT.resolve(pom)))
                    .as(pom)
                    .contains("<name>Apache-2.0</name>")
                    .contains("https://www.apache.org/licenses/LICENSE-2.0");
        }
    }

    @Test
    void pomHasPublishingMetadata() throws IOException {
        String pom = Files.readString(ROOT.resolve("pom.xml"));
        for (String element : List.of("<name>", "<description>", "<url>", "<licenses>", "<scm>", "<developers>",
                "<issueManagement>", "<project.build.outputTimestamp>")) {
            assertThat(pom).as("pom.xml has %s", element).contains(element);
        }
    }

    @Test
    void benchmarksDependOnThePomVersion() throws IOException {
        String version = projectVersion(Files.readString(ROOT.resolve("pom.xml")));
        String bench = Files.readString(ROOT.resolve("benchmarks/pom.xml"));
        Matcher dep = Pattern.compile(
                        "<artifactId>weightmap</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(bench);
        assertThat(dep.find()).as("benchmarks/pom.xml depends on weightmap").isTrue();
        assertThat(dep.group(1)).isEqualTo(version);
    }

    /** The project's own version: the first {@code <version>} after the top-level {@code <artifactId>}. */
    static String projectVersion(String pom) {
        Matcher m = Pattern.compile("<artifactId>weightmap</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(m.find()).as("pom.xml names its version after its artifactId").isTrue();
        return m.group(1);
    }
}
