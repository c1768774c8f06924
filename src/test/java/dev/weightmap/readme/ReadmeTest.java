// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.readme;

import dev.weightmap.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Keeps {@code README.md} true: its {@code --help} transcripts are the CLI's real output, its Java snippets are
 * compiled code, its dependency coordinates are the pom's, and it names nothing a user of the repository lacks.
 *
 * <p><b>Help transcripts.</b> A fenced block whose first line is {@code $ bin/weightmap [COMMAND] --help} is a
 * transcript: the rest of the block must equal what {@code Main.run} prints for those arguments (the version in
 * {@code weightmap X.Y.Z} is not compared, so a version bump needs no README change). A {@code --help} command
 * line anywhere else in a block fails: each transcript stands alone in its block, so none can go stale unseen.
 * To refresh one, paste the output of the command.
 *
 * <p><b>Java snippets.</b> Every {@code ```java} block of the README must also exist, verbatim between the lines
 * {@code // README snippet begin} and {@code // README snippet end}, in a Java file of this folder
 * ({@code src/test/java/dev/weightmap/readme/}), which the build compiles. Whitespace is compared loosely (runs
 * of spaces and newlines count as one space), so the copy may be indented. To add a snippet to the README:
 * <ol>
 *   <li>put it in a method of the section's {@code <Section>Snippets} class (or a new one: a package-private
 *       final class with a private constructor), declaring the variables the snippet uses but does not
 *       define as the method's parameters, and the method {@code throws Exception};</li>
 *   <li>surround it with the two marker comments;</li>
 *   <li>run this test: it names every README snippet without a compiled copy, and every marked copy that is no
 *       longer in the README.</li>
 * </ol>
 * A snippet that is a whole program (imports and a class, like {@link FirstLook}) is its own file, the markers
 * around everything after the {@code package} line.
 */
class ReadmeTest {
    static final Path README = Path.of("README.md");
    static final Path SNIPPETS = Path.of("src/test/java/dev/weightmap/readme");
    static final String BEGIN = "// README snippet begin";
    static final String END = "// README snippet end";
    static final Pattern HELP_LINE = Pattern.compile("^\\$ (?:bin/)?weightmap((?: \\S+)*) --help$");
    static final Pattern VERSION = Pattern.compile("(weightmap )\\d+\\.\\d+\\.\\d+(?:-[0-9A-Za-z.]+)?");

    /** A fenced code block: its info string (after the backticks), its lines, and its first line's number. */
    record Block(String info, List<String> lines, int line) {
        String text() {
            return String.join("\n", lines);
        }
    }

    static List<Block> blocks(String markdown) {
        List<Block> out = new ArrayList<>();
        String[] lines = markdown.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].startsWith("```")) {
                String info = lines[i].substring(3).strip();
                int start = i + 1;
                int end = start;
                while (end < lines.length && !lines[end].startsWith("```")) {
                    end++;
                }
                out.add(new Block(info, List.of(Arrays.copyOfRange(lines, start, end)), start + 1));
                i = end;
            }
        }
        return out;
    }

    static String readme() throws IOException {
        return Files.readString(README);
    }

    static String normalised(String code) {
        return code.strip().replaceAll("\\s+", " ");
    }

    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8), false);
        assertThat(code).as("exit code of weightmap %s", String.join(" ", args)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void everyHelpTranscriptIsTheRealOutput() throws IOException {
        int transcripts = 0;
        for (Block b : blocks(readme())) {
            for (int i = 0; i < b.lines().size(); i++) {
                Matcher m = HELP_LINE.matcher(b.lines().get(i));
                if (!m.matches()) {
                    continue;
                }
                assertThat(i).as("README line %d: a --help transcript must be the first line of its own block",
                        b.line() + i).isZero();
                List<String> args = new ArrayList<>(List.of(m.group(1).strip().split(" ")));
                args.removeIf(String::isEmpty);
                args.add("--help");
                String expected = String.join("\n", b.lines().subList(1, b.lines().size()));
                String actual = run(args.toArray(String[]::new)).stripTrailing();
                assertThat(VERSION.matcher(expected).replaceAll("$1VERSION"))
                        .as("README line %d: output of weightmap %s (paste the real output to refresh it)", b.line(),
                                String.join(" ", args))
                        .isEqualTo(VERSION.matcher(actual).replaceAll("$1VERSION"));
                transcripts++;
            }
        }
        assertThat(transcripts).as("the README shows at least the main --help").isPositive();
    }

    /** Each marked region of the snippet files, normalised, with where it is. */
    static Map<String, String> compiledSnippets() throws IOException {
        Map<String, String> regions = new LinkedHashMap<>();
        List<Path> files;
        try (Stream<Path> s = Files.list(SNIPPETS)) {
            files = s.filter(p -> p.toString().endsWith(".java")).sorted().toList();
        }
        for (Path f : files) {
            List<String> lines = Files.readAllLines(f);
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).strip().equals(BEGIN)) {
                    int j = i + 1;
                    while (j < lines.size() && !lines.get(j).strip().equals(END)) {
                        j++;
                    }
                    assertThat(j).as("%s:%d: a snippet without its end marker", f, i + 1).isLessThan(lines.size());
                    regions.put(normalised(String.join("\n", lines.subList(i + 1, j))), f.getFileName() + ":" + (i + 1));
                    i = j;
                }
            }
        }
        return regions;
    }

    @Test
    void everyJavaSnippetIsCompiledTestCode() throws IOException {
        Map<String, String> compiled = compiledSnippets();
        List<String> readmeSnippets = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (Block b : blocks(readme())) {
            if (!b.info().equals("java")) {
                continue;
            }
            String n = normalised(b.text());
            readmeSnippets.add(n);
            if (!compiled.containsKey(n)) {
                missing.add("README line " + b.line() + ": " + b.lines().get(0).strip() + " …");
            }
        }
        assertThat(missing).as("README java snippets with no compiled copy between '%s' and '%s' in %s"
                + " (see this test's Javadoc)", BEGIN, END, SNIPPETS).isEmpty();
        List<String> stale = new ArrayList<>();
        compiled.forEach((code, where) -> {
            if (!readmeSnippets.contains(code)) {
                stale.add(where);
            }
        });
        assertThat(stale).as("marked snippets that are no longer in the README (update or remove them)").isEmpty();
        assertThat(readmeSnippets).as("README java snippets").isNotEmpty();
    }

    @Test
    void theQuickStartProgramRuns() throws Exception {
        Path model = Path.of("src/test/resources/fixtures/hub/c_tied/safetensors/model.safetensors");
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            FirstLook.main(new String[] {model.toString(), "embed.weight"});
        } finally {
            System.setOut(saved);
        }
        String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("safetensors: [").contains("embed.weight");
        assertThat(lines[1]).isEqualTo("F32 [32, 8]");
        assertThat(Float.parseFloat(lines[2])).isFinite();
    }

    @Test
    void dependencySnippetsNameThePomCoordinates() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        // the project's own coordinates are the first of each element (the pom has no <parent>)
        String group = first(pom, "groupId");
        String artifact = first(pom, "artifactId");
        String version = first(pom, "version");
        String readme = readme();
        assertThat(readme).contains("<groupId>" + group + "</groupId>\n  <artifactId>" + artifact
                + "</artifactId>\n  <version>" + version + "</version>");
        assertThat(readme).contains("implementation(\"" + group + ":" + artifact + ":" + version + "\")");
        assertThat(readme).contains("`requires dev.weightmap;`");
        assertThat(Files.readString(Path.of("src/main/java/module-info.java"))).contains("module dev.weightmap {");
    }

    static String first(String xml, String element) {
        Matcher m = Pattern.compile("<" + element + ">([^<]+)</" + element + ">").matcher(xml);
        assertThat(m.find()).as("pom.xml has a <%s>", element).isTrue();
        return m.group(1).strip();
    }

    @Test
    void namesNothingAUserOfTheRepositoryLacks() throws IOException {
        String readme = readme();
        for (String s : List.of("DECISIONS", "../shared", "/work/")) {
            assertThat(readme).as("README mentions %s", s).doesNotContain(s);
        }
        assertThat(Pattern.compile("(?i)\\b(issue|stop) \\d+").matcher(readme).find()).as("a development step number")
                .isFalse();
        // every repository path the README names in backticks exists
        Matcher m = Pattern.compile("`((?:src|bin|benchmarks|\\.ci)/[^`*\\s]*)`").matcher(readme);
        while (m.find()) {
            assertThat(Path.of(m.group(1))).as("README names %s", m.group(1)).exists();
        }
    }
}
