// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code bin/weightmap}, the launcher script, run by {@code sh} as a user runs it: it must pick a JDK 25 even when
 * the first {@code java} on PATH is an older JDK, print what the CLI prints, create its AOT cache on the first run
 * and use it afterwards, and fail with a clear message (exit 2) when there is no JDK 25 or no jar.
 *
 * <p>The jar the script runs is built here from the compiled classes (the test phase runs before packaging), into
 * a copy of the repository layout: {@code bin/weightmap} and {@code target/weightmap.jar}.
 */
class LauncherTest {
    static final Path SCRIPT = Path.of("bin/weightmap");
    static final Path FIXTURE = Path.of("src/test/resources/fixtures/hub/c_tied/safetensors/model.safetensors");

    @TempDir
    static Path layout;

    static Path sh;

    @BeforeAll
    static void buildLayout() throws IOException {
        sh = Stream.of("/bin/sh", "/usr/bin/sh").map(Path::of).filter(Files::isExecutable).findFirst().orElse(null);
        assumeTrue(sh != null, "no POSIX sh on this machine: the launcher script cannot run");
        Path bin = Files.createDirectories(layout.resolve("repo/bin"));
        Files.copy(SCRIPT, bin.resolve("weightmap"));
        Files.setPosixFilePermissions(bin.resolve("weightmap"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path target = Files.createDirectories(layout.resolve("repo/target"));
        writeJar(Path.of("target/classes"), target.resolve("weightmap.jar"));
    }

    /** The CLI jar as Maven builds it: the classes and a manifest naming the main class (plus one-byte entries). */
    static void writeJar(Path classes, Path jar, String... extraEntries) throws IOException {
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream jos = new JarOutputStream(os, jarManifest())) {
            for (Path f : classFiles(classes)) {
                jos.putNextEntry(new JarEntry(classes.relativize(f).toString().replace('\\', '/')));
                Files.copy(f, jos);
                jos.closeEntry();
            }
            for (String e : extraEntries) {
                jos.putNextEntry(new JarEntry(e));
                jos.write(1);
                jos.closeEntry();
            }
        }
    }

    static Manifest jarManifest() {
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        m.getMainAttributes().putValue("Enable-Native-Access", "ALL-UNNAMED");
        return m;
    }

    static List<Path> classFiles(Path classes) throws IOException {
        try (Stream<Path> s = Files.walk(classes)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    record Run(int code, String out, String err) {
    }

    /** Runs the launcher copy at {@code script} with exactly the given environment. */
    static Run launch(Path script, Map<String, String> env, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(sh.toString(), script.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().putAll(env);
        Path out = Files.createTempFile(layout, "out", ".txt");
        Path err = Files.createTempFile(layout, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(
                Path.of("/dev/null").toFile()));
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("launcher did not finish in 120 s: " + cmd);
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** What the CLI prints in this JVM for the same arguments. */
    static String inProcess(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8), false);
        assertThat(code).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A folder of an older JDK's bin (JDK 17 here), for PATH; null when there is none. */
    static String oldJavaBin() {
        for (String d : List.of("/usr/lib/jvm/java-17-openjdk-amd64/bin", "/usr/lib/jvm/java-17-openjdk-arm64/bin",
                "/usr/lib/jvm/java-17-openjdk/bin", "/usr/lib/jvm/java-21-openjdk-amd64/bin")) {
            if (Files.isExecutable(Path.of(d, "java"))) {
                return d;
            }
        }
        return null;
    }

    static String path(String first) {
        String rest = "/usr/local/bin:/usr/bin:/bin";
        return first == null ? rest : first + ":" + rest;
    }

    Map<String, String> env(Path cache) {
        return Map.of("JAVA_HOME", System.getProperty("java.home"), "PATH", path(oldJavaBin()),
                "HOME", layout.toString(), "XDG_CACHE_HOME", cache.toString());
    }

    @Test
    void versionAndInspectWithJavaHomeWhileAnOlderJavaIsFirstOnPath(@TempDir Path cache) throws Exception {
        Path script = layout.resolve("repo/bin/weightmap");
        String version = inProcess("--version");

        Run first = launch(script, env(cache), "--version");
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo(version);
        try (Stream<Path> s = Files.list(cache.resolve("weightmap"))) {
            assertThat(s.map(p -> p.getFileName().toString()).toList())
                    .as("the first run leaves exactly one finished cache").singleElement()
                    .satisfies(n -> assertThat(n).startsWith("weightmap-").endsWith(".aot"));
        }
        Run second = launch(script, env(cache), "--version");
        assertThat(second.code()).as(second.err()).isZero();
        assertThat(second.out()).isEqualTo(version);
        assertThat(second.err()).as("a run with the cache prints nothing on stderr").isEmpty();

        String abs = FIXTURE.toAbsolutePath().toString();
        String expected = inProcess("inspect", abs);
        Run inspect = launch(script, env(cache), "inspect", abs);
        assertThat(inspect.code()).as(inspect.err()).isZero();
        assertThat(inspect.out()).isEqualTo(expected);
        Run again = launch(script, env(cache), "inspect", abs);
        assertThat(again.out()).isEqualTo(expected);
        assertThat(again.err()).isEmpty();
    }

    @Test
    void withoutJavaHomeTheSystemJdk25IsFound(@TempDir Path cache) throws Exception {
        Path script = layout.resolve("repo/bin/weightmap");
        Path home = Path.of(System.getProperty("java.home"));
        // the running JDK's folder stands for the system's JVM folder
        Map<String, String> env = Map.of("PATH", path(oldJavaBin()), "HOME", layout.toString(),
                "XDG_CACHE_HOME", cache.toString(), "WEIGHTMAP_JDK_DIRS", home.getParent() + "/*", "WEIGHTMAP_AOT", "0");
        Run r = launch(script, env, "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(inProcess("--version"));
    }

    @Test
    void aRebuiltJarGetsANewCacheAndTheOldOneIsRemoved(@TempDir Path repo) throws Exception {
        Path script = Files.copy(SCRIPT, Files.createDirectories(repo.resolve("bin")).resolve("weightmap"));
        Path jar = Files.copy(layout.resolve("repo/target/weightmap.jar"),
                Files.createDirectories(repo.resolve("target")).resolve("weightmap.jar"));
        Path cache = repo.resolve("cache");
        assertThat(launch(script, env(cache), "--version").code()).isZero();
        List<String> before = cacheFiles(cache);
        assertThat(before).hasSize(1);
        // the cache's name is kept next to the jar, so later runs need not checksum the jar
        Path key = repo.resolve("target/weightmap.jar.aot-key");
        assertThat(Files.readAllLines(key)).hasSize(2).last()
                .satisfies(n -> assertThat(n + ".aot").isEqualTo(before.get(0)));
        writeJar(Path.of("target/classes"), jar, "build-marker.txt"); // another build: other bytes
        Run r = launch(script, env(cache), "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(inProcess("--version"));
        List<String> after = cacheFiles(cache);
        assertThat(after).hasSize(1).doesNotContainAnyElementsOf(before);
    }

    static List<String> cacheFiles(Path cache) throws IOException {
        try (Stream<Path> s = Files.list(cache.resolve("weightmap"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSymbolicLinkToTheScriptFindsTheJarNextToTheScript(@TempDir Path elsewhere) throws Exception {
        Path link = Files.createSymbolicLink(elsewhere.resolve("weightmap"), layout.resolve("repo/bin/weightmap"));
        Map<String, String> env = new java.util.HashMap<>(env(elsewhere.resolve("cache")));
        env.put("WEIGHTMAP_AOT", "0");
        Run r = launch(link, env, "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(inProcess("--version"));
        assertThat(elsewhere.resolve("cache")).as("WEIGHTMAP_AOT=0 writes no cache").doesNotExist();
    }

    @Test
    void theFirstRunRecordsTheCacheFromTheTrainingWorkloadAndPrintsOnlyTheCommandsOutput(@TempDir Path cache)
            throws Exception {
        Path script = layout.resolve("repo/bin/weightmap");
        String abs = FIXTURE.toAbsolutePath().toString();
        Run first = launch(script, env(cache), "inspect", "--json", abs);
        assertThat(first.code()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo(inProcess("inspect", "--json", abs));
        assertThat(first.err()).as("the recording's own messages are dropped").isEmpty();
        assertThat(cacheFiles(cache)).singleElement().satisfies(n -> assertThat(n).endsWith(".aot"));
        // hash runs with the Vector API module: a cache of its own, recorded by the same workload
        Run hash = launch(script, env(cache), "hash", "--algo", "crc32", abs);
        assertThat(hash.code()).as(hash.err()).isZero();
        assertThat(hash.out()).isEqualTo(inProcess("hash", "--algo", "crc32", abs));
        assertThat(cacheFiles(cache)).hasSize(2).anySatisfy(n -> assertThat(n).endsWith("-vector.aot"));
    }

    @Test
    void aCollectorChosenInTheJavaOptionsReplacesTheLaunchersOwn(@TempDir Path cache) throws Exception {
        Path script = layout.resolve("repo/bin/weightmap");
        Map<String, String> env = new java.util.HashMap<>(env(cache));
        env.put("WEIGHTMAP_JAVA_OPTS", "-XX:+UseParallelGC");
        env.put("WEIGHTMAP_AOT", "0");
        Run r = launch(script, env, "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(inProcess("--version"));
    }

    @Test
    void anUnwritableCacheFolderOnlyMeansNoCache() throws Exception {
        Path script = layout.resolve("repo/bin/weightmap");
        Path notAFolder = Files.writeString(layout.resolve("cache-is-a-file"), "x");
        Run r = launch(script, env(notAFolder), "--version");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(inProcess("--version"));
        assertThat(r.err()).isEmpty();
    }

    @Test
    void noJdk25IsAClearUsageError(@TempDir Path cache) throws Exception {
        String old = oldJavaBin();
        assumeTrue(old != null, "no JDK older than 25 installed to stand in for a missing JDK 25");
        Path script = layout.resolve("repo/bin/weightmap");
        Map<String, String> env = Map.of("JAVA_HOME", Path.of(old).getParent().toString(), "PATH", path(old),
                "HOME", layout.toString(), "XDG_CACHE_HOME", cache.toString(), "WEIGHTMAP_JDK_DIRS", "/nonexistent/*");
        Run r = launch(script, env, "--version");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).contains("no JDK 25 or newer found").contains("is not a JDK 25").contains("JAVA_HOME");
    }

    @Test
    void aMissingJarSaysHowToBuildIt(@TempDir Path repo) throws Exception {
        Path bin = Files.createDirectories(repo.resolve("bin"));
        Path script = Files.copy(SCRIPT, bin.resolve("weightmap"));
        Run r = launch(script, env(repo.resolve("cache")), "--version");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("target/weightmap.jar is missing").contains("mvn -q -DskipTests package");
    }
}
