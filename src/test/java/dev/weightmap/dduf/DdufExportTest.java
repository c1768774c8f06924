// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipFile;

import static dev.weightmap.dduf.DdufTestSupport.fixtures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DdufExportTest {
    @TempDir
    Path dir;

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void exportFolderOfHubFixtureIsAlignedAndReadable() throws Exception {
        Path src = fixtures("dduf").resolve("source-pipeline");
        Path out = dir.resolve("p.dduf");
        Dduf.exportFolder(out, src);
        try (DdufFile ours = DdufFile.open(out);
             DdufFile hubs = DdufFile.open(fixtures("dduf").resolve("pipeline-folder.dduf"))) {
            // same entries as hub's exporter (README.md and vae/extra/too_deep.json skipped), sorted order
            assertThat(ours.entries().keySet()).containsExactlyInAnyOrderElementsOf(hubs.entries().keySet());
            assertThat(List.copyOf(ours.entries().keySet())).isSorted();
            for (DdufEntry e : ours.entries().values()) {
                assertThat(e.offset() % 64).as(e.name()).isZero();
                assertThat(DdufTestSupport.bytes(e.segment())).isEqualTo(Files.readAllBytes(src.resolve(e.name())));
                assertThat(e.crc32()).isEqualTo(hubs.entries().get(e.name()).crc32());
                if (e.name().endsWith(".safetensors")) {
                    SafetensorsFile st = e.openSafetensors();
                    for (String n : st.names()) {
                        Tensor t = st.tensor(n);
                        long abs = t.data().address() - ours.segment().address();
                        assertThat(abs % t.dtype().byteSize()).as(n).isZero();
                    }
                }
            }
            ours.verify();
        }
        try (ZipFile z = new ZipFile(out.toFile())) {
            z.stream().forEach(e -> {
                try {
                    byte[] b = z.getInputStream(e).readAllBytes();
                    java.util.zip.CRC32 c = new java.util.zip.CRC32();
                    c.update(b);
                    assertThat(c.getValue()).isEqualTo(e.getCrc());
                    assertThat(b).isEqualTo(Files.readAllBytes(src.resolve(e.getName())));
                } catch (IOException x) {
                    throw new AssertionError(x);
                }
            });
        }
    }

    @Test
    void byteLayout() throws Exception {
        Path out = dir.resolve("l.dduf");
        Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}"))));
        byte[] b = Files.readAllBytes(out);
        ZipArchive z = ZipArchive.read(MemorySegment.ofArray(b));
        ZipEntry e = z.entries().get(0);
        assertThat(e.dataOffset()).isEqualTo(128); // 30 + 16 + 20 (ZIP64) = 66, padded to 128
        assertThat(e.localExtraLength()).isEqualTo(82);
        assertThat(e.dosDate()).isEqualTo(0x21);
        assertThat(e.dosTime()).isZero();
        assertThat(e.flags()).isZero();
        assertThat(e.centralExtraLength()).isZero();
        assertThat(b[4]).isEqualTo((byte) 45); // version needed: ZIP64
        assertThat(new byte[] {b[18], b[19], b[20], b[21], b[22], b[23], b[24], b[25]})
                .containsOnly((byte) 0xFF); // local sizes deferred to the ZIP64 extra, as hub writes
    }

    @Test
    void reproducible() throws Exception {
        Path src = fixtures("dduf2").resolve("sana-like-source");
        Path a = dir.resolve("a.dduf");
        Path b = dir.resolve("b.dduf");
        Dduf.exportFolder(a, src);
        Dduf.exportFolder(b, src);
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    }

    @Test
    void safetensorsStreamedStraightIntoTheArchive() throws Exception {
        float[] w = new float[48];
        for (int i = 0; i < w.length; i++) {
            w[i] = i * 0.5f;
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        // byte[]-backed storage: main's Tensor.writeSegment cannot view float[]-backed heap segments as ByteBuffers
        MemorySegment ws = MemorySegment.ofArray(new byte[w.length * 4]);
        MemorySegment.copy(w, 0, ws, java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, 0, w.length);
        tensors.put("w", Tensor.of(ws, DType.F32, 6, 8));
        tensors.put("b", Tensor.of(MemorySegment.ofArray(new byte[] {1, 0, 2, 0, 3, 0}), DType.I16, 3));
        Path out = dir.resolve("s.dduf");
        Dduf.exportEntries(out, List.of(
                Dduf.entry("model_index.json", utf8("{\"unet\": [\"diffusers\", \"UNet2DConditionModel\"]}")),
                Dduf.entry("unet/config.json", utf8("{}")),
                Dduf.entry("unet/diffusion_pytorch_model.safetensors", ch -> Safetensors.write(tensors, Map.of(), ch))));
        try (DdufFile d = DdufFile.open(out)) {
            DdufEntry e = d.entries().get("unet/diffusion_pytorch_model.safetensors");
            assertThat(e.length()).isEqualTo(Safetensors.serializedLength(tensors, Map.of()));
            SafetensorsFile st = e.openSafetensors();
            assertThat(st.tensor("w").toFloatArray()).isEqualTo(w);
            assertThat(st.tensor("w").data().address() % 4).isZero();
            d.verify();
        }
    }

    @Test
    void segmentsOverNonByteHeapArraysAreWritten() throws Exception {
        float[] f = {1.5f, -2f, 3.25f};
        Path out = dir.resolve("h.dduf");
        Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry("w.txt", MemorySegment.ofArray(f))));
        try (DdufFile d = DdufFile.open(out)) {
            MemorySegment s = d.entries().get("w.txt").segment();
            assertThat(s.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED)).containsExactly(f);
            d.verify();
        }
    }

    @Test
    void failingSourceLeavesNothingAndKeepsAnEarlierArchive() throws Exception {
        Path out = dir.resolve("f.dduf");
        // no earlier file: nothing at the target afterwards
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(
                Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry("a.txt", ch -> {
                    ch.write(ByteBuffer.wrap(new byte[10_000]));
                    throw new IOException("source failed");
                }))))
                .isExactlyInstanceOf(IOException.class).hasMessage("source failed");
        assertThat(out).doesNotExist();
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s).isEmpty();
        }
        // an earlier archive stays byte for byte
        Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}"))));
        byte[] before = Files.readAllBytes(out);
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(
                Dduf.entry("model_index.json", utf8("{\"x\": 1}")),
                Dduf.entry("b.txt", dir.resolve("missing.txt")))))
                .isInstanceOf(NoSuchFileException.class);
        assertThat(Files.readAllBytes(out)).isEqualTo(before);
        // an iterator failing in the middle (entries are consumed lazily)
        Iterable<Dduf.Entry> failing = () -> new Iterator<>() {
            int i;

            @Override
            public boolean hasNext() {
                return true;
            }

            @Override
            public Dduf.Entry next() {
                if (i++ == 1) {
                    throw new IllegalStateException("generator failed");
                }
                return Dduf.entry("model_index.json", utf8("{}"));
            }
        };
        assertThatThrownBy(() -> Dduf.exportEntries(out, failing)).hasMessage("generator failed");
        assertThat(Files.readAllBytes(out)).isEqualTo(before);
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s).containsExactly(out);
        }
    }

    @Test
    void exportErrorsUseHubMessages() {
        Path out = dir.resolve("e.dduf");
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{nope")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessageStartingWith(out + ": Failed to parse 'model_index.json'.");
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry("vae/model.safetensors", utf8("x")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessage(out + ": Invalid DDUF file structure. (Missing required entry 'vae' in 'model_index.json'.)")
                .cause().isExactlyInstanceOf(DdufCorruptedFileException.class);
        // hub stores "/x.json" stripped and then fails the structure check; we reject the name outright
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry("/x.json", utf8("{}")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessage(out + ": Invalid entry name: /x.json (Entry names must be relative paths. Got /x.json.)");
        String longName = "a".repeat(70_000) + ".txt";
        assertThatThrownBy(() -> Dduf.exportEntries(out, List.of(Dduf.entry("model_index.json", utf8("{}")),
                Dduf.entry(longName, utf8("x")))))
                .isExactlyInstanceOf(DdufExportException.class)
                .hasMessage(out + ": Invalid entry name: " + longName.substring(0, 64) + "... (longer than 65,535 UTF-8 bytes)");
        assertThat(out).doesNotExist();
    }

    @Test
    void exportFolderSkipsHiddenAndDeepFiles() throws Exception {
        Path f = dir.resolve("pipe");
        Files.createDirectories(f.resolve(".git"));
        Files.createDirectories(f.resolve("vae/deep"));
        Files.writeString(f.resolve("model_index.json"), "{\"vae\": 1}");
        Files.writeString(f.resolve("vae/config.json"), "{}");
        Files.writeString(f.resolve(".git/x.json"), "{}");
        Files.writeString(f.resolve(".hidden.json"), "{}");
        Files.writeString(f.resolve("vae/deep/config.json"), "{}");
        Files.writeString(f.resolve("README.md"), "x");
        Files.writeString(f.resolve("vae/a.TXT"), "x");
        Path out = f.resolve("out.dduf");
        Dduf.exportFolder(out, f);
        try (DdufFile d = DdufFile.open(out)) {
            assertThat(d.entries().keySet()).containsExactly("model_index.json", "vae/config.json");
        }
        // exporting again over the earlier output inside the folder works (it is skipped by extension)
        Dduf.exportFolder(out, f);
        assertThatThrownBy(() -> Dduf.exportFolder(dir.resolve("x.dduf"), dir.resolve("nope")))
                .isInstanceOf(NoSuchFileException.class);
    }
}
