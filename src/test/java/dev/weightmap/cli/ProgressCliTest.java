// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Progress on stderr: shown by default only when stderr is a terminal ({@code isatty(2)}), always with
 * {@code --progress} (a pipe then receives the carriage-return lines), never with {@code --no-progress}; the
 * line is cleared at the end and stdout never changes.
 */
class ProgressCliTest {
    static final Path MODEL = Path.of("src/test/resources/fixtures/hub/c_tied/safetensors/model.safetensors");
    static final Path DDUF = Path.of("src/test/resources/fixtures/dduf/pipeline-entries.dduf");
    static final Path PIPELINE = Path.of("src/test/resources/fixtures/dduf/source-pipeline");

    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
    }

    static Result run(boolean terminal, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), terminal);
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** The argument lists of every long-running command, writing into {@code tmp/<i>}. */
    List<String[]> longCommands(int i) {
        Path d = tmp.resolve(String.valueOf(i));
        return List.of(
                new String[] {"hash", MODEL.toString()},
                new String[] {"hash", "--per-tensor", MODEL.toString()},
                new String[] {"hash", "--manifest", d + "-m.json", MODEL.toString()},
                new String[] {"verify", DDUF.toString()},
                new String[] {"convert", MODEL.toString(), d + "/c/model.safetensors"},
                new String[] {"shard", MODEL.toString(), d + "/s", "--max-shard-size", "1KB"},
                new String[] {"export-dduf", PIPELINE.toString(), d + "-out.dduf"});
    }

    static String[] with(String flag, String[] args) {
        List<String> l = new ArrayList<>();
        l.add(flag);
        l.addAll(List.of(args));
        return l.toArray(String[]::new);
    }

    @Test
    void verifyReportsTheBytesItHasChecked() {
        Result forced = run(false, "--progress", "verify", DDUF.toString());
        assertThat(forced.code()).as(forced.err()).isZero();
        // the DDUF entries' CRC pass reports its bytes: the line reaches 100 % of the archive's entry bytes
        assertThat(forced.err()).contains("%").containsPattern("\\b(9\\d|100)%");
    }

    @Test
    void forcedProgressOnAPipeDrawsCarriageReturnLinesAndClearsThem() {
        List<String[]> a = longCommands(1);
        List<String[]> b = longCommands(2);
        for (int i = 0; i < a.size(); i++) {
            Result plain = run(false, a.get(i));
            Result forced = run(false, with("--progress", b.get(i)));
            assertThat(plain.code()).as(plain.err()).isZero();
            assertThat(forced.code()).as(forced.err()).isZero();
            String cmd = String.join(" ", b.get(i));
            assertThat(forced.err()).as(cmd).startsWith("\r").contains("  ");
            // one line redrawn in place: no newline, and the last thing printed is the clearing carriage return
            assertThat(forced.err()).as(cmd).doesNotContain("\n").endsWith("\r");
            String cleared = forced.err().substring(forced.err().lastIndexOf('\r', forced.err().length() - 2) + 1,
                    forced.err().length() - 1);
            assertThat(cleared).as(cmd).isBlank();
            assertThat(forced.out().replace(tmp.resolve("2").toString(), "D"))
                    .as("stdout is the same with and without progress: " + cmd)
                    .isEqualTo(plain.out().replace(tmp.resolve("1").toString(), "D"));
        }
    }

    @Test
    void forcedProgressShowsBytesPercentAndRate() {
        Result r = run(false, "--progress", "hash", MODEL.toString());
        long size = MODEL.toFile().length();
        assertThat(r.err()).contains("hashing ").contains(Cli.Progress.bytes(size) + " / " + Cli.Progress.bytes(size))
                .contains("100%").contains("/s");
    }

    @Test
    void defaultOnAPipeShowsNone() {
        for (String[] args : longCommands(3)) {
            Result r = run(false, args);
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).as(String.join(" ", args)).doesNotContain("\r").isEmpty();
        }
    }

    @Test
    void noProgressShowsNoneEvenOnATerminalAndTheLastFlagWins() {
        List<String[]> cmds = longCommands(4);
        for (String[] args : cmds) {
            Result r = run(true, with("--no-progress", args));
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).as(String.join(" ", args)).doesNotContain("\r");
        }
        Result last = run(false, "--progress", "hash", "--no-progress", MODEL.toString());
        assertThat(last.err()).doesNotContain("\r");
        Result after = run(false, "--no-progress", "hash", "--progress", MODEL.toString());
        assertThat(after.err()).contains("\r");
    }

    @Test
    void onATerminalShortOperationsStaySilent() {
        // automatic progress waits a second before drawing: the fixtures take milliseconds
        Result r = run(true, "hash", MODEL.toString());
        assertThat(r.err()).isEmpty();
    }

    @Test
    void failuresStillPrintTheirErrorLineOnACleanLine() {
        Result r = run(false, "--progress", "verify", tmp.resolve("missing.safetensors").toString());
        assertThat(r.code()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: NOT_FOUND: ");
        Path bad = tmp.resolve("bad.dduf");
        try {
            byte[] b = Files.readAllBytes(DDUF);
            b[990] ^= 1; // inside text_encoder/notes.txt: the archive opens, its CRC-32 no longer matches
            Files.write(bad, b);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Result v = run(false, "--progress", "verify", bad.toString());
        assertThat(v.code()).isEqualTo(1);
        assertThat(v.err()).startsWith("\r");
        String lastLine = v.err().substring(v.err().lastIndexOf('\r') + 1);
        assertThat(lastLine).startsWith("error: DDUF_CORRUPTED: ").contains("CRC-32 mismatch");
    }

    @Test
    void formatsOfTheLine() {
        assertThat(Cli.Progress.bytes(0)).isEqualTo("0 B");
        assertThat(Cli.Progress.bytes(1023)).isEqualTo("1023 B");
        assertThat(Cli.Progress.bytes(1536)).isEqualTo("1.50 KiB");
        assertThat(Cli.Progress.bytes(812L << 20)).isEqualTo("812 MiB");
        assertThat(Cli.Progress.bytes(5L << 30)).isEqualTo("5.00 GiB");
        assertThat(Cli.Progress.bytes(Long.MAX_VALUE)).isEqualTo("8.00 EiB");
        assertThat(Cli.Progress.duration(0.2)).isEqualTo("1s");
        assertThat(Cli.Progress.shorten("hashing /a/very/long/path/to/some/checkpoint/model.safetensors", 28))
                .isEqualTo("hashing …/model.safetensors").hasSizeLessThanOrEqualTo(28);
        assertThat(Cli.Progress.shorten("hashing /a/b/model-00001-of-00004.safetensors", 28))
                .isEqualTo("hashing …f-00004.safetensors").hasSize(28);
        assertThat(Cli.Progress.shorten("hashing model.bin", 28)).isEqualTo("hashing model.bin");
        Cli.Progress wide = new Cli.Progress(new PrintStream(new ByteArrayOutputStream()), "hashing /data/" + "x".repeat(99),
                1023L << 30, true, 0, 80);
        assertThat(wide.line(1000_000_000_000L, 1000L << 20))
                .isEqualTo("hashing …" + "x".repeat(21) + "  1000 MiB / 1023 GiB    0%  1.00 MiB/s  ETA >99h")
                .hasSize(79);
        assertThat(wide.line(1_000_000_000L, 1000L << 30)).as("fits 79 columns").hasSizeLessThanOrEqualTo(79);
        Cli.Progress wider = new Cli.Progress(new PrintStream(new ByteArrayOutputStream()),
                "hashing /data/model-00001-of-00004.safetensors", 1023L << 30, true, 0, 200);
        assertThat(wider.line(1_000_000_000L, 1L << 30)).as("a wide terminal shows the whole label")
                .startsWith("hashing /data/model-00001-of-00004.safetensors  1.00 GiB / 1023 GiB");
        assertThat(Cli.Progress.duration(187)).isEqualTo("3m07s");
        assertThat(Cli.Progress.duration(7500)).isEqualTo("2h05m");
        assertThat(Cli.Progress.duration(99 * 3600 + 3599)).isEqualTo("99h59m");
        assertThat(Cli.Progress.duration(100 * 3600)).isEqualTo(">99h");
    }

    /** In a child JVM with stderr a pipe, {@code isatty(2)} says no and the default shows nothing. */
    @Test
    void aRealPipeIsNotATerminal() throws Exception {
        Process p = new ProcessBuilder(javaCommand(TerminalProbe.class.getName())).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out.strip()).as(err).isEqualTo("stderr-terminal=false\nstderr-columns=" + Terminal.DEFAULT_COLUMNS);
    }

    /**
     * Under {@code script}, which gives the child a pseudo-terminal (here 123 columns wide), {@code isatty(2)} says
     * yes and {@code ioctl(TIOCGWINSZ)} gives the width.
     */
    @Test
    void aPseudoTerminalIsATerminal() throws Exception {
        Path script = Path.of("/usr/bin/script");
        assumeTrue(Files.isExecutable(script), "util-linux script(1) is not installed: no pseudo-terminal to test with");
        String cmd = String.join(" ", javaCommand(TerminalProbe.class.getName()).stream().map(s -> "'" + s + "'").toList());
        Process p = new ProcessBuilder(script.toString(), "-qec", "stty cols 123 rows 40 && " + cmd, "/dev/null")
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("stderr-terminal=true").contains("stderr-columns=123");
    }

    static List<String> javaCommand(String mainClass) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"), mainClass);
    }
}
