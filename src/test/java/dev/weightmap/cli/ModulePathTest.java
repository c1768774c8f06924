// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.spi.ToolProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The {@code dev.weightmap} module starts without {@code jdk.incubator.vector} ({@code requires static}): the CLI
 * run as a module in a fresh JVM, on a runtime that has the incubator module but does not add it, and on a
 * jlinked {@code java.base}-only image, prints exactly what it prints with the module added ({@code inspect},
 * {@code hash}; {@code demo} runs the BF16/F16 conversions), reports scalar code paths and never loads a Vector
 * API class.
 */
class ModulePathTest {
    @TempDir
    Path tmp;

    /** The directory holding the compiled module ({@code module-info.class}). */
    private static Path moduleDir() {
        for (String e : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(e);
            if (Files.isRegularFile(p.resolve("module-info.class"))) {
                return p;
            }
        }
        throw new AssertionError("no compiled module on the class path");
    }

    record Run(String out, String classes) {
    }

    private Run cli(Path javaHome, List<String> jvmArgs, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(javaHome.resolve("bin").resolve("java").toString());
        cmd.addAll(jvmArgs);
        cmd.addAll(List.of("-Xlog:class+load=info:file=" + "classes.log", "--module-path", moduleDir().toString(),
                "-m", "dev.weightmap/dev.weightmap.cli.Main"));
        cmd.addAll(List.of(args));
        Path dir = Files.createTempDirectory(tmp, "run");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectError(dir.resolve("err.txt").toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the child JVM finished").isTrue();
        String err = Files.readString(dir.resolve("err.txt"));
        assertThat(p.exitValue()).as(String.join(" ", cmd) + "\n" + out + err).isZero();
        return new Run(out, Files.readString(dir.resolve("classes.log")));
    }

    private static Path fixture(Path tmp) throws IOException {
        Path f = tmp.resolve("large_f32_512x512.safetensors");
        try (var in = ModulePathTest.class.getResourceAsStream("/fixtures/safetensors/large_f32_512x512.safetensors")) {
            Files.copy(in, f);
        }
        return f;
    }

    private static void assertScalar(Run r) {
        assertThat(r.classes()).doesNotContain("jdk.incubator.vector.").doesNotContain("VectorConversions")
                .doesNotContain("Xxh3VectorKernel").doesNotContain("simd.VectorProvider");
    }

    @Test
    void startsOnTheModulePathWithoutTheIncubatorModule() throws Exception {
        Path javaHome = Path.of(System.getProperty("java.home"));
        Path f = fixture(tmp);
        String[] inspect = {"inspect", "--json", f.toString()};
        String[] hash = {"hash", "--per-tensor", "--algo", "xxh3-64", f.toString()};
        // a file large enough for the vector loop from its first chunk (over Xxh3.KernelChoice.VECTOR_AFTER, 8 MiB);
        // the 1 MiB fixture's tensor takes the scalar loop either way
        Path big = tmp.resolve("big.bin");
        byte[] bytes = new byte[(9 << 20) + 4099];
        new java.util.Random(7).nextBytes(bytes);
        Files.write(big, bytes);
        String[] hashBig = {"hash", "--algo", "xxh3-64", big.toString()};
        Run withModule = cli(javaHome, List.of("--add-modules", "jdk.incubator.vector"), hashBig);
        assertThat(withModule.classes()).contains("Xxh3VectorKernel"); // the module, when added, is used
        Run bigScalar = cli(javaHome, List.of(), hashBig);
        assertScalar(bigScalar);
        assertThat(bigScalar.out()).isEqualTo(withModule.out());
        Run inspected = cli(javaHome, List.of(), inspect);
        assertScalar(inspected);
        assertThat(inspected.out()).contains("\"format\":\"safetensors\"");
        Run perTensorWithModule = cli(javaHome, List.of("--add-modules", "jdk.incubator.vector"), hash);
        Run hashed = cli(javaHome, List.of(), hash);
        assertScalar(hashed);
        assertThat(hashed.out()).isEqualTo(perTensorWithModule.out());
        Run demo = cli(javaHome, List.of(), "demo"); // BF16/F16 -> F32 conversions, VectorizationProvider.describe()
        assertScalar(demo);
        assertThat(demo.out()).contains("SIMD code paths: scalar").contains("(BF16)[0, 0:4] = ");
    }

    @Test
    void startsOnAJlinkedJavaBaseImage() throws Exception {
        ToolProvider jlink = ToolProvider.findFirst("jlink").orElse(null);
        assumeTrue(jlink != null, "jlink is not in this JDK (a JRE runs the tests): no java.base-only image to build");
        Path image = Path.of("target", "jre-java-base").toAbsolutePath();
        if (!Files.isExecutable(image.resolve("bin").resolve("java"))) {
            Path building = Path.of("target", "jre-java-base.tmp-" + ProcessHandle.current().pid()).toAbsolutePath();
            int rc = jlink.run(System.out, System.err, "--add-modules", "java.base", "--strip-debug",
                    "--no-header-files", "--no-man-pages", "--output", building.toString());
            assumeTrue(rc == 0, "jlink failed (rc " + rc + "): no java.base-only image");
            try {
                Files.move(building, image);
            } catch (IOException raced) { // another run built it first
                assumeTrue(Files.isExecutable(image.resolve("bin").resolve("java")), "jlink image unusable: " + raced);
            }
        }
        Path f = fixture(tmp);
        Run inspected = cli(image, List.of(), "inspect", f.toString());
        assertScalar(inspected);
        assertThat(inspected.out()).contains("1 tensor");
        Run hashed = cli(image, List.of(), "hash", "--per-tensor", "--algo", "xxh3-64", f.toString());
        assertScalar(hashed);
        Run reference = cli(Path.of(System.getProperty("java.home")), List.of("--add-modules", "jdk.incubator.vector"),
                "hash", "--per-tensor", "--algo", "xxh3-64", f.toString());
        assertThat(hashed.out()).isEqualTo(reference.out());
        Run demo = cli(image, List.of(), "demo");
        assertScalar(demo);
        assertThat(demo.out()).contains("SIMD code paths: scalar");
    }
}
