// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.cli.TorchCliTest.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static dev.weightmap.cli.TorchCliTest.fixture;
import static dev.weightmap.cli.TorchCliTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tiny torch files that promise huge work: commands that would materialise every tensor's bytes say how many from
 * how few and refuse with AMPLIFICATION before starting, unless {@code --force}; views whose byte count
 * overflows, or empty tensors at the largest storage offset, end in a typed reason, never INTERNAL.
 */
class AmplificationCliTest {
    @TempDir
    Path tmp;

    private static void refusedAsAmplification(Run r) {
        assertThat(r.code()).as(r.err()).isEqualTo(1);
        assertThat(r.err().lines()).hasSize(1);
        assertThat(r.err()).startsWith("error: AMPLIFICATION: ")
                .contains("would materialise 4398046511104 bytes (4.0 TiB) from 4 bytes")
                .contains("tensor `x`").contains("pass --force");
    }

    @Test
    void expandedViewsAreRefusedBeforeAnyWork() throws Exception {
        for (String f : new String[] {"torch-hostile/expanded.pt", "torch-hostile/expanded_legacy.pt"}) {
            String p = fixture(f);
            assertThat(run("verify", p).code()).isZero(); // legal: torch loads it
            assertThat(run("inspect", p).code()).isZero();
            assertThat(run("hash", p).code()).isZero(); // the file's bytes: no amplification
            refusedAsAmplification(run("hash", "--per-tensor", p));
            refusedAsAmplification(run("hash", "--manifest", tmp.resolve("m.json").toString(), p));
            refusedAsAmplification(run("convert", p, tmp.resolve("c/model.safetensors").toString()));
            refusedAsAmplification(run("shard", p, tmp.resolve("s").toString()));
        }
        assertThat(tmp.resolve("m.json")).doesNotExist();
        assertThat(tmp.resolve("c")).doesNotExist();
        assertThat(tmp.resolve("s")).doesNotExist();
    }

    @Test
    void theTorchFormatKeepsTheViewAndIsNotRefused() throws Exception {
        Run r = run("convert", fixture("torch-hostile/expanded.pt"), tmp.resolve("t/model.bin").toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.size(tmp.resolve("t/model.bin"))).isLessThan(4096);
        Run v = run("inspect", tmp.resolve("t/model.bin").toString());
        assertThat(v.out()).contains("[1048576, 1048576]").contains("[0, 0]");
    }

    @Test
    void aViewOfMoreBytesThanALongHoldsIsATypedRefusal() throws Exception {
        String p = fixture("torch-hostile/expanded_overflow.pt");
        for (String[] args : new String[][] {{"verify", p}, {"inspect", p}, {"inspect", "--json", p},
                {"hash", "--per-tensor", p}, {"hash", "--per-tensor", "--force", p},
                {"convert", p, tmp.resolve("o/model.safetensors").toString()}}) {
            Run r = run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(1);
            assertThat(r.err()).startsWith("error: INVALID_VIEW: ").contains("more bytes than a 64-bit count holds")
                    .doesNotContain("INTERNAL");
        }
    }

    @Test
    void anEmptyTensorAtTheLargestStorageOffsetHashesAsEmpty() throws Exception {
        String p = fixture("torch-hostile/empty_at_max_offset.pt");
        assertThat(run("verify", p).code()).isZero();
        Run h = run("hash", "--per-tensor", p);
        assertThat(h.code()).as(h.err()).isZero();
        assertThat(h.out()).contains("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  e")
                .contains("  f");
        Run i = run("inspect", "--json", p);
        assertThat(i.code()).as(i.err()).isZero();
        Run c = run("convert", p, tmp.resolve("e/model.safetensors").toString());
        assertThat(c.code()).as(c.err()).isZero();
        Run back = run("hash", "--per-tensor", tmp.resolve("e/model.safetensors").toString());
        assertThat(back.out()).contains("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  e");
    }
}
