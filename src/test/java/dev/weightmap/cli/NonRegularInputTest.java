// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that are not regular files are refused by name ({@code NOT_A_REGULAR_FILE}) before they are opened, so
 * a FIFO never blocks and a device or {@code /proc} file is never read as if its size were its content; a file
 * whose name is not valid UTF-8 is never exported under another name.
 */
class NonRegularInputTest {
    @TempDir
    Path dir;

    private record Result(int code, String out, String err) {
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Main.run(args,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                false));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private Path fifo() throws Exception {
        Path f = dir.resolve("pipe");
        Process p;
        try {
            p = new ProcessBuilder("mkfifo", f.toString()).redirectErrorStream(true).start();
        } catch (java.io.IOException e) {
            assumeTrue(false, "mkfifo is not available: " + e.getMessage());
            return null;
        }
        assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "mkfifo failed");
        return f;
    }

    /** Every way an input file reaches the CLI, for one special file. */
    private List<String[]> commands(Path special) throws Exception {
        Path index = dir.resolve("model_index.json");
        Files.writeString(index, "{}");
        String s = special.toString();
        List<String[]> c = new ArrayList<>();
        for (String algo : List.of("sha256", "crc32", "xxh3-64")) {
            c.add(new String[] {"hash", "--algo", algo, s});
        }
        c.add(new String[] {"inspect", s});
        c.add(new String[] {"verify", s});
        c.add(new String[] {"export-dduf", dir.resolve("a.dduf").toString(), "--entry", "model_index.json=" + s});
        c.add(new String[] {"export-dduf", dir.resolve("b.dduf").toString(), "--entry", "model_index.json=" + index,
                "--entry", "x.txt=" + s});
        return c;
    }

    private void assertRefused(Path special) throws Exception {
        for (String[] cmd : commands(special)) {
            Result r = run(cmd);
            assertThat(r.code()).as(String.join(" ", cmd) + ": " + r.err()).isEqualTo(1);
            assertThat(r.err().strip()).as(String.join(" ", cmd))
                    .startsWith("error: NOT_A_REGULAR_FILE: " + special + ": not a regular file (");
            assertThat(r.out()).isEmpty();
        }
        assertThat(dir.resolve("a.dduf")).doesNotExist();
        assertThat(dir.resolve("b.dduf")).doesNotExist();
    }

    @Test
    void aFifoIsRefusedWithoutBlocking() throws Exception {
        assertRefused(fifo());
    }

    @Test
    void aCharacterDeviceIsRefused() throws Exception {
        Path zero = Path.of("/dev/zero");
        assumeTrue(Files.exists(zero), "no /dev/zero");
        assertRefused(zero);
        assertThat(run("hash", "/dev/null").err()).contains("NOT_A_REGULAR_FILE", "character device");
    }

    @Test
    void aProcFileIsRefusedInsteadOfHashedAsEmpty() throws Exception {
        Path status = Path.of("/proc/self/status");
        assumeTrue(Files.isRegularFile(status), "no /proc file system");
        assertRefused(status);
        Path sys = Path.of("/sys/kernel/uevent_seqnum"); // sysfs: reports 4096 bytes whatever it holds
        if (Files.isRegularFile(sys)) {
            assertThat(run("hash", sys.toString()).err()).contains("NOT_A_REGULAR_FILE", "sysfs");
        }
    }

    @Test
    void aLinkToAFifoIsRefusedAndARegularFileThroughALinkIsHashed() throws Exception {
        Path link = dir.resolve("link");
        Files.createSymbolicLink(link, fifo());
        assertThat(run("hash", link.toString()).err()).contains("NOT_A_REGULAR_FILE", "a FIFO");
        Path real = dir.resolve("real.bin");
        Files.write(real, new byte[] {1, 2, 3});
        Path toReal = dir.resolve("to-real");
        Files.createSymbolicLink(toReal, real);
        Result r = run("hash", "--algo", "crc32", toReal.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("55bc801d  " + toReal + "\n");
    }

    @Test
    void aFileNameThatIsNotUtf8IsNeverExportedUnderAnotherName() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("pipeline"));
        Files.writeString(folder.resolve("model_index.json"), "{}");
        Path bad;
        try {
            // a name whose bytes are not UTF-8 can only be made through a native call: ask the shell
            Process p = new ProcessBuilder("sh", "-c", "printf x > \"$1\"/$(printf 'a\\377.txt')", "sh",
                    folder.toString()).redirectErrorStream(true).start();
            assumeTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "sh could not make the file");
        } catch (java.io.IOException e) {
            assumeTrue(false, "no sh: " + e.getMessage());
        }
        try (var s = Files.list(folder)) {
            bad = s.filter(f -> f.getFileName().toString().startsWith("a")).findFirst().orElse(null);
        }
        assumeTrue(bad != null && bad.getFileName().toString().contains("\uFFFD"),
                "this file system or locale keeps the name as text");
        Path out = dir.resolve("p.dduf");
        Result r = run("export-dduf", folder.toString(), out.toString());
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: DDUF_EXPORT: ").contains("not valid UTF-8", "rename the file");
        assertThat(out).doesNotExist();
    }
}
