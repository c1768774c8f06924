// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code --version} prints the pom's version: the pom is its one source. */
class VersionTest {

    static String pomVersion() throws IOException {
        Path root = Path.of(System.getProperty("basedir", System.getProperty("user.dir")));
        String pom = Files.readString(root.resolve("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>weightmap</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        assertThat(m.find()).as("pom.xml names its version after its artifactId").isTrue();
        return m.group(1);
    }

    @Test
    void versionIsThePomVersion() throws IOException {
        assertThat(Main.VERSION).isEqualTo(pomVersion());
    }

    @Test
    void versionFlagPrintsIt() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"--version"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("weightmap " + pomVersion() + "\n");
        assertThat(err.size()).isZero();
    }
}
