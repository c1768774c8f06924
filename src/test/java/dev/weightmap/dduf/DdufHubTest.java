// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.RawZip;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Ports of huggingface_hub's tests/test_dduf.py (20 tests), in order, adapted where DECISIONS.md departs. */
class DdufHubTest {
    @TempDir
    Path dir;

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A DDUF whose a.txt entry holds "somethingCONTENTsomething"-style bytes: the CONTENT part is its own entry. */
    private DdufFile contentArchive() throws Exception {
        Path f = dir.resolve("content.dduf");
        Files.write(f, new RawZip().add("model_index.json", "{}").add("a.txt", "CONTENT").build());
        return DdufFile.open(f);
    }

    // 1. TestDDUFEntry::test_dataclass
    @Test
    void entryFields() throws Exception {
        try (DdufFile d = contentArchive()) {
            DdufEntry e = d.entries().get("a.txt");
            assertThat(e.name()).isEqualTo("a.txt");
            assertThat(e.length()).isEqualTo(7);
            assertThat(e.offset()).isEqualTo(30 + 16 + 2 + 30 + 5);
            assertThat(e.file()).isSameAs(d);
            assertThat(d.path()).isEqualTo(dir.resolve("content.dduf"));
            assertThat(e).hasToString("DdufEntry(filename='a.txt', length=7, offset=" + e.offset() + ")");
        }
    }

    // 2. ::test_read_text
    @Test
    void readText() throws Exception {
        try (DdufFile d = contentArchive()) {
            assertThat(d.entries().get("a.txt").readText()).isEqualTo("CONTENT");
            // raw seek/read at offset/length gives the same bytes
            byte[] all = Files.readAllBytes(d.path());
            DdufEntry e = d.entries().get("a.txt");
            assertThat(new String(all, (int) e.offset(), (int) e.length(), StandardCharsets.UTF_8)).isEqualTo("CONTENT");
        }
    }

    // 3. ::test_as_mmap (ours is a real zero-copy slice: DECISIONS 1)
    @Test
    void segmentIsZeroCopySliceOfTheMapping() throws Exception {
        try (DdufFile d = contentArchive()) {
            DdufEntry e = d.entries().get("a.txt");
            assertThat(DdufTestSupport.bytes(e.segment())).isEqualTo(utf8("CONTENT"));
            assertThat(e.segment().address()).isEqualTo(d.segment().address() + e.offset());
            assertThat(e.segment().isMapped()).isTrue();
        }
    }

    // 4. TestUtils::test_entry_name_valid_extension
    @ParameterizedTest
    @ValueSource(strings = {"dummy.txt", "dummy.json", "dummy.safetensors", "dummy.model"})
    void validExtensions(String name) {
        assertThat(Dduf.validateEntryName(name)).isEqualTo(name);
    }

    // 5. ::test_entry_name_invalid_extension
    @ParameterizedTest
    @ValueSource(strings = {"dummy", "dummy.bin", "dummy.dduf", "dummy.gguf", "a.JSON", "", "vae/", "foo.d/bar"})
    void invalidExtensions(String name) {
        assertThatThrownBy(() -> Dduf.validateEntryName(name))
                .isExactlyInstanceOf(DdufInvalidEntryNameException.class)
                .hasMessage("File type not allowed: " + name);
    }

    // 6. ::test_entry_name_no_windows_path
    @ParameterizedTest
    @ValueSource(strings = {"encoder\\dummy.json", "C:\\dummy.json"})
    void noWindowsPaths(String name) {
        assertThatThrownBy(() -> Dduf.validateEntryName(name))
                .isExactlyInstanceOf(DdufInvalidEntryNameException.class)
                .hasMessage("Entry names must use UNIX separators ('/'). Got " + name + ".");
    }

    // 7. ::test_entry_name_stripped: hub strips "/dummy.json" to "dummy.json"; we reject absolute names (DECISIONS 14)
    @Test
    void leadingSlash() {
        assertThat(DdufRules.hubEntryName("/dummy.json")).isEqualTo("dummy.json");
        assertThatThrownBy(() -> Dduf.validateEntryName("/dummy.json"))
                .isExactlyInstanceOf(DdufInvalidEntryNameException.class)
                .hasMessage("Entry names must be relative paths. Got /dummy.json.");
    }

    // 8. ::test_entry_name_no_nested_directory
    @Test
    void oneFolderLevel() {
        assertThat(Dduf.validateEntryName("bar/dummy.json")).isEqualTo("bar/dummy.json");
        for (String n : List.of("foo/bar/dummy.json", "a//b.json", "a/../b.json")) {
            assertThatThrownBy(() -> Dduf.validateEntryName(n))
                    .isExactlyInstanceOf(DdufInvalidEntryNameException.class)
                    .hasMessage("DDUF only supports 1 level of directory. Got " + n + ".");
        }
    }

    // 9. ::test_load_content: every source kind yields the same bytes
    @Test
    void everySourceKindYieldsTheSameBytes() throws Exception {
        byte[] content = utf8("some content");
        Path src = dir.resolve("src.txt");
        Files.write(src, content);
        Path out = dir.resolve("out.dduf");
        Dduf.exportEntries(out, List.of(
                Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry("bytes.txt", content),
                Dduf.entry("path.txt", src),
                Dduf.entry("segment.txt", MemorySegment.ofArray(content)),
                Dduf.entry("callback.txt", ch -> ch.write(ByteBuffer.wrap(content)))));
        try (DdufFile d = DdufFile.open(out)) {
            for (String n : List.of("bytes.txt", "path.txt", "segment.txt", "callback.txt")) {
                assertThat(DdufTestSupport.bytes(d.entries().get(n).segment())).as(n).isEqualTo(content);
            }
        }
    }

    // 10. ::test_validate_dduf_structure_valid
    @Test
    void structureValid() {
        DdufRules.structure("", Map.of("encoder", "x"),
                List.of("model_index.json", "something.txt", "encoder/config.json", "encoder/model.safetensors"));
    }

    // 11. ::test_validate_dduf_structure_not_a_dict
    @Test
    void structureNotADict() {
        assertThatThrownBy(() -> DdufRules.structure("", List.of(), List.of()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage("Invalid 'model_index.json' content. Must be a dictionary. Got <class 'list'>.");
    }

    // 12. ::test_validate_dduf_structure_missing_folder
    @Test
    void structureMissingFolder() {
        assertThatThrownBy(() -> DdufRules.structure("", Map.of(), List.of("encoder/config.json", "encoder/model.safetensors")))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage("Missing required entry 'encoder' in 'model_index.json'.");
    }

    // 13. ::test_validate_dduf_structure_missing_config_file
    @Test
    void structureMissingConfigFile() {
        assertThatThrownBy(() -> DdufRules.structure("", Map.of("encoder", Map.of()),
                List.of("encoder/not_a_config.json", "encoder/model.safetensors")))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageStartingWith("Missing required file in folder 'encoder'. Must contains at least one of {");
    }

    // 14. TestExportFolder::test_export_folder
    @Test
    void exportFolderEntries() throws Exception {
        Path f = dir.resolve("folder");
        Files.createDirectories(f.resolve("encoder/subdir"));
        for (String n : List.of("config.json", "model.safetensors", "model.bin", "encoder/config.json",
                "encoder/model.safetensors", "encoder/model.bin", "encoder/subdir/config.json")) {
            Files.writeString(f.resolve(n), "x");
        }
        List<Dduf.Entry> entries = Dduf.folderEntries(f);
        assertThat(entries).extracting(Dduf.Entry::name).containsExactly("config.json", "encoder/config.json",
                "encoder/model.safetensors", "model.safetensors");
        assertThat(entries).extracting(Dduf.Entry::file).containsExactly(f.resolve("config.json"),
                f.resolve("encoder/config.json"), f.resolve("encoder/model.safetensors"), f.resolve("model.safetensors"));
    }

    // 15. TestExportEntries::test_export_entries
    @Test
    void exportEntries() throws Exception {
        Path index = dir.resolve("index.json");
        Files.writeString(index, "{\"foo\": \"bar\"}");
        Path weights = dir.resolve("weights.safetensors");
        byte[] st = utf8("{\"a\": \"b\"}");
        Files.write(weights, st);
        Path out = dir.resolve("out.dduf");
        Dduf.exportEntries(out, List.of(
                Dduf.entry("model_index.json", index),
                Dduf.entry("model.safetensors", weights),
                Dduf.entry("hello.txt", utf8("World!"))));
        try (ZipFile z = new ZipFile(out.toFile())) {
            List<String> names = new ArrayList<>();
            z.stream().forEach(e -> {
                names.add(e.getName());
                assertThat(e.getMethod()).isEqualTo(java.util.zip.ZipEntry.STORED);
            });
            assertThat(names).containsExactly("model_index.json", "model.safetensors", "hello.txt");
            assertThat(z.getInputStream(z.getEntry("model_index.json")).readAllBytes()).isEqualTo(utf8("{\"foo\": \"bar\"}"));
            assertThat(z.getInputStream(z.getEntry("model.safetensors")).readAllBytes()).isEqualTo(st);
            assertThat(z.getInputStream(z.getEntry("hello.txt")).readAllBytes()).isEqualTo(utf8("World!"));
        }
        try (DdufFile d = DdufFile.open(out)) {
            assertThat(d.modelIndex()).isEqualTo(Map.of("foo", "bar"));
            assertThat(d.entries().keySet()).isEqualTo(Set.of("model_index.json", "model.safetensors", "hello.txt"));
        }
    }

    // 16. ::test_export_entries_invalid_name
    @Test
    void exportInvalidName() {
        Path out = dir.resolve("out.dduf");
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("config", utf8("{}")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessage(out + ": Invalid entry name: config (File type not allowed: config)")
                .cause().isExactlyInstanceOf(DdufInvalidEntryNameException.class);
        assertThat(out).doesNotExist();
    }

    // 17. ::test_export_entries_no_duplicate
    @Test
    void exportNoDuplicate() {
        Path out = dir.resolve("out.dduf");
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry("model_index.json", utf8("{}")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessage(out + ": Can't add duplicate entry: model_index.json");
        assertThat(out).doesNotExist();
    }

    // 18. ::test_export_entries_model_index_required
    @Test
    void exportModelIndexRequired() {
        Path out = dir.resolve("out.dduf");
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("model.safetensors", utf8("x")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessage(out + ": Missing required 'model_index.json' entry in DDUF file.");
        assertThat(out).doesNotExist();
    }

    // 19. TestReadDDUFFile::test_read_dduf_file: a plain zipfile.writestr archive (no extra fields)
    @Test
    void readPlainZip() throws Exception {
        Path f = dir.resolve("plain.dduf");
        Files.write(f, new RawZip().add("model_index.json", "{\"foo\": \"bar\"}")
                .add("model.safetensors", "this is safetensors content").add("hello.txt", "hello world").build());
        try (DdufFile d = DdufFile.open(f)) {
            assertThat(d.modelIndex()).isEqualTo(Map.of("foo", "bar"));
            assertThat(d.entries().keySet()).containsExactly("model_index.json", "model.safetensors", "hello.txt");
            assertThat(d.entries().get("model_index.json").offset()).isEqualTo(46);
            byte[] all = Files.readAllBytes(f);
            for (DdufEntry e : d.entries().values()) {
                assertThat(new String(all, (int) e.offset(), (int) e.length(), StandardCharsets.UTF_8))
                        .isEqualTo(e.readText());
            }
            assertThat(d.entries().get("hello.txt").readText()).isEqualTo("hello world");
        }
    }

    // 20. ::test_model_index_required
    @Test
    void readModelIndexRequired() throws Exception {
        Path f = dir.resolve("noindex.dduf");
        Files.write(f, new RawZip().add("model.safetensors", "x").add("hello.txt", "y").build());
        assertThatThrownBy(() -> DdufFile.open(f))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage(f + ": Missing required 'model_index.json' entry in DDUF file.");
    }
}
