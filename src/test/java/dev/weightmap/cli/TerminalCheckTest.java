// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.safetensors.TestFiles;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The stderr terminal check links a native call, so it runs only when a command may show progress. */
class TerminalCheckTest {

    @Test
    void inspectNeverAsksWhetherStderrIsATerminal() {
        AtomicInteger asked = new AtomicInteger();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        Cli cli = new Cli(ps, ps, () -> {
            asked.incrementAndGet();
            return false;
        });
        String file = TestFiles.fixture("many_tensors_300.safetensors").toString();
        assertThat(Main.run(new String[] {"inspect", file}, ps, ps, cli)).isZero();
        assertThat(Main.run(new String[] {"inspect", "--json", file}, ps, ps, cli)).isZero();
        assertThat(asked).hasValue(0);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("300 tensors");
    }

    @Test
    void theLaunchersAnswerIsTakenWithoutTheNativeCall() {
        String old = System.getProperty("weightmap.stderr.terminal");
        try {
            System.setProperty("weightmap.stderr.terminal", "true");
            assertThat(Main.stderrIsTerminal()).isTrue();
            System.setProperty("weightmap.stderr.terminal", "false");
            assertThat(Main.stderrIsTerminal()).isFalse();
            System.clearProperty("weightmap.stderr.terminal");
            assertThat(Main.stderrIsTerminal()).isEqualTo(Terminal.stderrIsTerminal());
        } finally {
            if (old == null) {
                System.clearProperty("weightmap.stderr.terminal");
            } else {
                System.setProperty("weightmap.stderr.terminal", old);
            }
        }
    }

    @Test
    void progressAsksOnceAndRemembers() {
        AtomicInteger asked = new AtomicInteger();
        PrintStream ps = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        Cli cli = new Cli(ps, ps, () -> {
            asked.incrementAndGet();
            return false;
        });
        cli.progress("a", 10).close();
        cli.progress("b", 10).close();
        assertThat(cli.isTerminal()).isFalse();
        assertThat(asked).hasValue(1);
    }
}
