// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.WeightmapException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A DDUF archive opened with {@link DdufFile#open(Path)} is mapped when entry bytes are first asked for. */
class DdufMapOnFirstUseTest {
    private static final Path FOLDER = Path.of("src/test/resources/fixtures/dduf/pipeline-folder.dduf");
    private static final Path ENTRIES = Path.of("src/test/resources/fixtures/dduf/pipeline-entries.dduf");

    @TempDir
    Path dir;

    private static byte[] bytesOf(Path archive, String entry) throws IOException {
        try (DdufFile f = DdufFile.open(archive)) {
            return f.entries().get(entry).segment().toArray(ValueLayout.JAVA_BYTE);
        }
    }

    @Test
    void theArchiveOpenedIsTheArchiveRead() throws IOException {
        Path p = dir.resolve("a.dduf");
        Files.copy(FOLDER, p);
        Path other = dir.resolve("b.dduf");
        Files.copy(ENTRIES, other);
        String entry = "model_index.json";
        byte[] expected = bytesOf(FOLDER, entry);
        try (DdufFile f = DdufFile.open(p)) {
            assertThat(f.entries()).containsKey(entry); // listed without mapping
            Files.move(other, p, StandardCopyOption.REPLACE_EXISTING); // the path now names another archive
            assertThat(f.entries().get(entry).segment().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(expected);
            assertThat(f.verify().tensors()).isPositive();
        }
    }

    @Test
    void anArchiveCutShortBeforeTheFirstReadIsReportedAsChanged() throws IOException {
        Path p = dir.resolve("a.dduf");
        Files.copy(FOLDER, p);
        try (DdufFile f = DdufFile.open(p)) {
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                ch.truncate(Files.size(p) / 2);
            }
            assertThatThrownBy(f::segment).isInstanceOf(WeightmapException.class)
                    .extracting(e -> ((WeightmapException) e).code()).isEqualTo("FILE_CHANGED");
        }
    }

    @Test
    void aModelIndexOverTheReadLimitIsParsedFromTheMapping() throws IOException {
        // past DdufDirectory.INDEX_READ_LIMIT (1 MiB) the index is copied out of the archive's mapping
        String pad = "x".repeat(DdufDirectory.INDEX_READ_LIMIT + 4096);
        byte[] index = ("{\"_class_name\": \"P\", \"_note\": \"" + pad + "\"}").getBytes(StandardCharsets.UTF_8);
        Path p = dir.resolve("big-index.dduf");
        Dduf.exportEntries(p, java.util.List.of(Dduf.entry("model_index.json", index)));
        try (DdufFile f = DdufFile.open(p)) {
            assertThat(f.modelIndex()).containsEntry("_class_name", "P");
            assertThat((String) f.modelIndex().get("_note")).hasSize(pad.length());
        }
    }

    @Test
    void nothingIsReadableAfterClose() throws IOException {
        DdufFile f = DdufFile.open(FOLDER);
        DdufEntry e = f.entries().get("model_index.json");
        f.close();
        assertThatThrownBy(e::segment).isInstanceOf(dev.weightmap.WeightsClosedException.class);
    }
}
