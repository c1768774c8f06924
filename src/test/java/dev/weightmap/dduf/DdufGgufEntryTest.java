// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.OpenOptions;
import dev.weightmap.cli.Main;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.internal.zip.RawZip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** {@code .gguf} entries, which the JavaScript DDUF checker accepts, are read only behind an option. */
class DdufGgufEntryTest {
    @TempDir
    Path tmp;

    private Path archive() throws IOException {
        byte[] gguf;
        try (InputStream in = DdufGgufEntryTest.class.getResourceAsStream("/fixtures/gguf/alignment_64.gguf")) {
            gguf = in.readAllBytes();
        }
        RawZip zip = DdufValidationTest.base();
        zip.add(new RawZip.E("vae/model.gguf", gguf));
        Path p = tmp.resolve("with-gguf.dduf");
        Files.write(p, zip.build());
        return p;
    }

    @Test
    void refusedWithoutTheOptionSayingHowToAllowIt() throws IOException {
        Path p = archive();
        Throwable t = catchThrowable(() -> DdufFile.open(p, OpenOptions.defaults()).close());
        assertThat(t).isInstanceOf(DdufCorruptedFileException.class);
        assertThat(((DdufCorruptedFileException) t).code()).isEqualTo("DDUF_CORRUPTED");
        assertThat(t.getMessage()).contains(p.toString()).contains("vae/model.gguf").contains("withAllowGguf(true)").contains("--allow-gguf");
        assertThat(catchThrowable(() -> DdufFile.open(p).close())).isInstanceOf(DdufCorruptedFileException.class);
    }

    @Test
    void acceptedWithTheOptionAndOpensAsGguf() throws IOException {
        Path p = archive();
        try (DdufFile d = DdufFile.open(p, OpenOptions.defaults().withAllowGguf(true))) {
            DdufEntry e = d.entries().get("vae/model.gguf");
            assertThat(e).isNotNull();
            GgufFile g = e.openGguf();
            assertThat(g.alignment()).isEqualTo(64);
            assertThat(g.tensorNames()).startsWith("a.f32");
            assertThat(g.raw("a.f32").byteSize()).isEqualTo(12);
            assertThat(g.displayName()).isEqualTo(p + "::vae/model.gguf");
            assertThat(d.verify().tensors()).isZero();
        }
    }

    @Test
    void theCommandLineAllowsThemWithAllowGguf() throws IOException {
        Path p = archive();
        for (String cmd : new String[] {"inspect", "verify"}) {
            String[] out = new String[2];
            assertThat(cli(out, cmd, p.toString())).as(cmd).isEqualTo(1);
            assertThat(out[1]).as(cmd).startsWith("error: DDUF_CORRUPTED: ").contains("--allow-gguf");
            assertThat(cli(out, cmd, "--allow-gguf", p.toString())).as(cmd + ": " + out[1]).isZero();
        }
    }

    @Test
    void exportedOnlyWithTheOption() throws IOException {
        Path gguf = tmp.resolve("model.gguf");
        try (InputStream in = DdufGgufEntryTest.class.getResourceAsStream("/fixtures/gguf/alignment_64.gguf")) {
            Files.write(gguf, in.readAllBytes());
        }
        Path index = tmp.resolve("model_index.json");
        Files.writeString(index, "{\"vae\": [\"diffusers\", \"AutoencoderKL\"]}");
        Path config = tmp.resolve("config.json");
        Files.writeString(config, "{}");
        Path out = tmp.resolve("out.dduf");
        String[] args = {"export-dduf", out.toString(), "--entry", "model_index.json=" + index,
                "--entry", "vae/config.json=" + config, "--entry", "vae/model.gguf=" + gguf};
        String[] o = new String[2];
        assertThat(cli(o, args)).isEqualTo(1);
        assertThat(o[1]).contains("vae/model.gguf").contains("--allow-gguf");
        assertThat(out).doesNotExist();
        String[] allowed = new String[args.length + 1];
        allowed[0] = "export-dduf";
        allowed[1] = "--allow-gguf";
        System.arraycopy(args, 1, allowed, 2, args.length - 1);
        assertThat(cli(o, allowed)).as(o[1]).isZero();
        try (DdufFile d = DdufFile.open(out, OpenOptions.defaults().withAllowGguf(true))) {
            assertThat(d.entries().get("vae/model.gguf").openGguf().tensorNames()).startsWith("a.f32");
        }
    }

    private static int cli(String[] out, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), false);
        out[0] = o.toString(StandardCharsets.UTF_8);
        out[1] = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void theOptionKeepsTheOtherNameRules() throws IOException {
        RawZip zip = DdufValidationTest.base();
        zip.add(new RawZip.E("vae/a/b.gguf", new byte[0]));
        Path p = tmp.resolve("deep.dduf");
        Files.write(p, zip.build());
        Throwable t = catchThrowable(() -> DdufFile.open(p, OpenOptions.defaults().withAllowGguf(true)).close());
        assertThat(t).isInstanceOf(DdufCorruptedFileException.class).hasMessageContaining("1 level of directory");
    }
}
