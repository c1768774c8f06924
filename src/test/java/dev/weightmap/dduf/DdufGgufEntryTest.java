// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.OpenOptions;
import dev.weightmap.WeightmapException;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.internal.zip.RawZip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
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
        assertThat(((WeightmapException) t).code()).isEqualTo("DDUF_CORRUPTED");
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
    void theOptionKeepsTheOtherNameRules() throws IOException {
        RawZip zip = DdufValidationTest.base();
        zip.add(new RawZip.E("vae/a/b.gguf", new byte[0]));
        Path p = tmp.resolve("deep.dduf");
        Files.write(p, zip.build());
        Throwable t = catchThrowable(() -> DdufFile.open(p, OpenOptions.defaults().withAllowGguf(true)).close());
        assertThat(t).isInstanceOf(DdufCorruptedFileException.class).hasMessageContaining("1 level of directory");
    }
}
