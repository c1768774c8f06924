// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/** The writer's bytes, layout by layout, pinned by SHA-256: a change of layout code must not change them. */
class ZipWriterGoldenTest {
    @TempDir
    Path dir;

    /** Opens a writer for one of the pinned layouts. */
    interface Open {
        ZipWriter open(FileChannel ch) throws Exception;
    }

    private String sha(Open layout, boolean streamed) throws Exception {
        Path f = dir.resolve("g" + System.nanoTime() + ".zip");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ZipWriter w = layout.open(ch);
            w.add("model_index.json", MemorySegment.ofArray("{\"a\": 1}".getBytes(StandardCharsets.UTF_8)));
            w.add("dir/\u00e9t\u00e9.txt", MemorySegment.ofArray(new byte[] {1, 2, 3}));
            w.add("empty.bin", MemorySegment.ofArray(new byte[0]));
            byte[] big = new byte[70_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) (i * 31 + 7);
            }
            w.add("a/b/big.bin", MemorySegment.ofArray(big));
            if (streamed) {
                w.beginEntry("streamed.txt").write(ByteBuffer.wrap("streamed bytes".getBytes(StandardCharsets.UTF_8)));
                w.endEntry();
            }
            w.finish();
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    @Test
    void ddufLayoutAlignedTo64() throws Exception {
        assertThat(sha(ch -> new ZipWriter(ch, ZipLayout.forceZip64(64)), true))
                .isEqualTo("5d77c24d36000691920ea8867f89b07add699c24e758b52d246bef84e97755c4");
    }

    @Test
    void ddufLayoutUnaligned() throws Exception {
        assertThat(sha(ch -> new ZipWriter(ch, ZipLayout.forceZip64(1)), true)).isEqualTo("a1efe824e0d5ece45e7cab6fe42375475293ab6f522374a140eec90ee32f3047");
    }

    @Test
    void zeroPaddingUnderAnotherId() throws Exception {
        assertThat(sha(ch -> new ZipWriter(ch, ZipLayout.forceZip64(64).withPadding(0x4246, ZipLayout.Padding.ZEROS)), true))
                .isEqualTo("fc2f7bf9e4508cd1d5fcf1d96058b592d4a184f740f9993decf669444e81627a");
    }

    @Test
    void torchLayout() throws Exception {
        assertThat(sha(ch -> new ZipWriter(ch, TestLayouts.torch(64, false)), false)).isEqualTo("8bdd53e98e6ee7fd2834d7ad090c09bd75103bc6e8a344310a23e55329e8e8bb");
    }

    @Test
    void torchLayoutForcedZip64() throws Exception {
        assertThat(sha(ch -> new ZipWriter(ch, TestLayouts.torch(64, true)), false)).isEqualTo("4ca881082fc02c6cbb2bef10a94b21d117bae67fd9b56f03f9067637155a4706");
    }
}
