// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.RawZip;
import dev.weightmap.internal.zip.ZipFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every invalid case of formats.md B.5 and hub's reader, plus our stricter rules: exception type and message. */
class DdufValidationTest {
    static final String F = "t.dduf";

    static DdufFile parse(byte[] b) {
        return DdufFile.parse(MemorySegment.ofArray(b), F);
    }

    static RawZip base() {
        return new RawZip().add("model_index.json", "{\"vae\": [\"diffusers\", \"AutoencoderKL\"]}")
                .add("vae/config.json", "{}");
    }

    static void corrupted(RawZip r, String message) {
        assertThatThrownBy(() -> parse(r.build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage(message);
    }

    @Test
    void baseIsValid() {
        DdufFile d = parse(base().build());
        assertThat(d.entries()).hasSize(2);
        assertThat(d.modelIndex()).containsKey("vae");
    }

    @Test
    void modelEntriesAreAccepted() {
        DdufFile d = parse(base().add("tokenizer.model", "sp").build());
        assertThat(d.entries()).containsKey("tokenizer.model");
    }

    @Test
    void deflatedEntry() {
        RawZip r = base();
        r.entries.get(1).method = 8;
        corrupted(r, F + ": entry 'vae/config.json': Data must not be compressed in DDUF file. (compression method 8)");
    }

    @Test
    void encryptedEntry() {
        RawZip r = base();
        r.entries.get(1).flags = 1;
        corrupted(r, F + ": entry 'vae/config.json': encrypted entries are not supported (flags 0x1)");
    }

    @Test
    void sizeDiffersFromCompressedSize() {
        RawZip r = base();
        r.entries.get(1).usize = 5;
        corrupted(r, F + ": entry 'vae/config.json': stored entry has compressed size 2 but size 5");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vae/", "x.gguf", "x.bin", "config.JSON", "a/b/c.json", "vae\\config.json", "../x.json",
            "./a.json", "/x.json", "C:/x.json"})
    void invalidNames(String name) {
        RawZip r = base().add(name, "{}");
        String rule;
        try {
            Dduf.validateEntryName(name);
            throw new AssertionError("name accepted: " + name);
        } catch (DdufInvalidEntryNameException e) {
            rule = e.getMessage();
        }
        assertThatThrownBy(() -> parse(r.build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage(F + ": Invalid entry name in DDUF file: " + name + " (" + rule + ")"
                        + (name.endsWith(".gguf") ? DdufRules.GGUF_HINT : ""))
                .cause().isExactlyInstanceOf(DdufInvalidEntryNameException.class);
    }

    /** Python's zipfile cuts a name at NUL, so "notes\0.txt" would be another entry for hub. */
    @ParameterizedTest
    @ValueSource(strings = {"notes\0.txt", "vae/a\0b.json", "\0.txt"})
    void namesWithNulAreRefusedEvenAsExtraEntries(String name) {
        RawZip r = base().add(name, "{}");
        assertThatThrownBy(() -> Dduf.validateEntryName(name))
                .isInstanceOf(DdufInvalidEntryNameException.class)
                .hasMessageContaining("must not contain NUL").hasMessageContaining(name.replace("\0", "\\0"));
        assertThatThrownBy(() -> parse(r.build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageContaining("must not contain NUL")
                .cause().isExactlyInstanceOf(DdufInvalidEntryNameException.class);
    }

    @Test
    void ourStricterNameMessages() {
        assertThatThrownBy(() -> Dduf.validateEntryName("../x.json"))
                .hasMessage("Entry names must not contain '.' or '..' components. Got ../x.json.");
        assertThatThrownBy(() -> Dduf.validateEntryName("./a.json"))
                .hasMessage("Entry names must not contain '.' or '..' components. Got ./a.json.");
        assertThatThrownBy(() -> Dduf.validateEntryName("C:/x.json"))
                .hasMessage("Entry names must be relative paths. Got C:/x.json.");
        // hub accepts all three
        assertThat(DdufRules.hubEntryName("../x.json")).isEqualTo("../x.json");
        assertThat(DdufRules.hubEntryName("C:/x.json")).isEqualTo("C:/x.json");
    }

    @Test
    void duplicateNames() {
        corrupted(base().add("vae/config.json", "{}"), F + ": Duplicate entry name in DDUF file: vae/config.json");
    }

    @Test
    void missingIndex() {
        corrupted(new RawZip().add("a.txt", "x"), F + ": Missing required 'model_index.json' entry in DDUF file.");
        // only a root entry named exactly model_index.json counts
        corrupted(new RawZip().add("vae/model_index.json", "{}").add("vae/config.json", "{}"),
                F + ": Missing required 'model_index.json' entry in DDUF file.");
    }

    @Test
    void indexNotAnObject() {
        corrupted(new RawZip().add("model_index.json", "[1, 2]"),
                F + ": Invalid 'model_index.json' content. Must be a dictionary. Got <class 'list'>.");
        corrupted(new RawZip().add("model_index.json", "\"s\""),
                F + ": Invalid 'model_index.json' content. Must be a dictionary. Got <class 'str'>.");
        corrupted(new RawZip().add("model_index.json", "null"),
                F + ": Invalid 'model_index.json' content. Must be a dictionary. Got <class 'NoneType'>.");
        corrupted(new RawZip().add("model_index.json", "1.5"),
                F + ": Invalid 'model_index.json' content. Must be a dictionary. Got <class 'float'>.");
    }

    @Test
    void indexNotJson() {
        assertThatThrownBy(() -> parse(new RawZip().add("model_index.json", "{\"a\": ").build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageStartingWith(F + ": entry 'model_index.json': Invalid 'model_index.json' content: ");
        RawZip bad = new RawZip();
        bad.add(new RawZip.E("model_index.json", new byte[] {'"', (byte) 0xFF, '"'}));
        assertThatThrownBy(() -> parse(bad.build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageStartingWith(F + ": entry 'model_index.json': Invalid 'model_index.json' content: ");
    }

    @Test
    void folderNotInIndex() {
        corrupted(base().add("unet/config.json", "{}"), F + ": Missing required entry 'unet' in 'model_index.json'.");
    }

    @Test
    void folderWithoutConfig() {
        corrupted(new RawZip().add("model_index.json", "{\"vae\": 1}").add("vae/weights.safetensors", "x"),
                F + ": Missing required file in folder 'vae'. Must contains at least one of {'config.json', "
                        + "'tokenizer_config.json', 'preprocessor_config.json', 'scheduler_config.json'}.");
    }

    @Test
    void eocdMissing() {
        byte[] junk = new byte[150_000];
        assertThatThrownBy(() -> parse(junk))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage(F + ": not a zip archive: no end of central directory record in the last 65557 bytes")
                .cause().isExactlyInstanceOf(ZipFormatException.class);
    }

    @Test
    void multiDisk() {
        RawZip r = base();
        r.disk = 1;
        corrupted(r, F + ": multi-disk archives are not supported (end record disk 1, central directory disk 0)");
    }

    @Test
    void zip64LocatorWithBadRecordSignature() {
        RawZip r = base();
        r.zip64End = true;
        r.zip64EndSig = 0;
        assertThatThrownBy(() -> parse(r.build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageStartingWith(F + ": bad ZIP64 end of central directory signature at offset ");
    }

    @Test
    void zip64EndRecordsAreAccepted() {
        RawZip r = base();
        r.zip64End = true;
        assertThat(parse(r.build()).isZip64()).isTrue();
    }

    @Test
    void truncatedCentralDirectory() {
        RawZip r = base();
        r.countOverride = 3;
        assertThatThrownBy(() -> parse(r.build()))
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageContaining("cannot hold the 3 entries the end record announces");
        byte[] b = base().build();
        byte[] cut = Arrays.copyOf(b, b.length - 30);
        assertThatThrownBy(() -> parse(cut)).isExactlyInstanceOf(DdufCorruptedFileException.class);
    }

    @Test
    void entryPastEndOfFile() {
        RawZip r = base();
        r.entries.get(1).csize = 1000;
        r.entries.get(1).usize = 1000;
        corrupted(r, F + ": entry 'vae/config.json': data of 1000 bytes at offset 130 runs past the start of the central directory at 132");
    }

    @Test
    void incompleteLocalHeader() {
        RawZip r = base();
        r.entries.get(1).lhoOverride = 100_000;
        corrupted(r, F + ": entry 'vae/config.json': Incomplete local file header. Fewer than 30 bytes at offset 100000 before the end of the archive.");
    }

    @Test
    void readTextRejectsInvalidUtf8() {
        RawZip r = base();
        r.add(new RawZip.E("bad.txt", new byte[] {(byte) 0xC3, 0x28}));
        DdufFile d = parse(r.build());
        assertThatThrownBy(() -> d.entries().get("bad.txt").readText())
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessage(F + ": entry 'bad.txt': entry is not valid UTF-8 text");
    }

    @Test
    void verifyDetectsCrcMismatchAndBadSafetensors() {
        RawZip r = base();
        r.entries.get(1).crc = 0x12345678;
        DdufFile d = parse(r.build());
        assertThatThrownBy(d::verify)
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageStartingWith(F + ": entry 'vae/config.json': CRC-32 mismatch: stored 12345678, computed ");
        DdufFile d2 = parse(base().add("vae/w.safetensors", "not safetensors").build());
        assertThatThrownBy(d2::verify)
                .isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageStartingWith(F + ": entry 'vae/w.safetensors': invalid safetensors: ");
    }

    @Test
    void cp437NameIsDecodedAsPythonDoes() {
        RawZip r = base();
        RawZip.E e = new RawZip.E("x", "{}".getBytes(StandardCharsets.UTF_8));
        e.name = new byte[] {'v', 'a', 'e', '/', (byte) 0x81, '.', 'j', 's', 'o', 'n'};
        r.add(e);
        assertThat(parse(r.build()).entries()).containsKey("vae/\u00fc.json");
    }

    @Test
    void closedArchiveSegmentsThrowIllegalState() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("closed", ".dduf");
        try {
            java.nio.file.Files.write(f, base().build());
            DdufFile d = DdufFile.open(f);
            DdufEntry e = d.entries().get("vae/config.json");
            d.close();
            assertThatThrownBy(e::readText).isInstanceOf(IllegalStateException.class);
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    @Test
    void openIntoCallersArena() throws Exception {
        java.nio.file.Path f = java.nio.file.Files.createTempFile("arena", ".dduf");
        try {
            java.nio.file.Files.write(f, base().build());
            DdufEntry e;
            java.lang.foreign.MemorySegment[] seg = new java.lang.foreign.MemorySegment[1];
            try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                DdufFile d = DdufFile.open(f, arena);
                e = d.entries().get("vae/config.json");
                assertThat(e.readText()).isEqualTo("{}");
                assertThat(d.verify().bytes()).isPositive();
                java.lang.foreign.MemorySegment raw = e.segment();
                d.close(); // does not unmap: the arena owns the mapping; library methods refuse to work
                assertThat(raw.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) '{');
                assertThatThrownBy(e::readText).isInstanceOf(dev.weightmap.WeightsClosedException.class)
                        .hasMessageContaining(f.toString());
                seg[0] = raw;
            }
            assertThatThrownBy(() -> seg[0].get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0))
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> DdufFile.open(f.resolveSibling("none.dduf"), java.lang.foreign.Arena.global()))
                    .isInstanceOf(java.nio.file.NoSuchFileException.class);
        } finally {
            java.nio.file.Files.deleteIfExists(f);
        }
    }

    @Test
    void missingFile() {
        assertThatThrownBy(() -> DdufFile.open(java.nio.file.Path.of("/nonexistent/x.dduf")))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }
}
