// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Gen;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.random.RandomGenerator;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** Random valid pipelines round-trip; random mutations of valid archives only ever raise DdufException. */
@ExtendWith(Seeded.Extension.class)
class DdufProperties {
    record Item(String folder, String file, int size, long seed, boolean safetensors) {
        static Item of(String folder, String name, String ext, int size, long seed) {
            return new Item(folder, name + ext, size, seed, ext.equals(".safetensors"));
        }
    }

    private static final String[] FOLDERS = {"", "", "vae", "unet", "text_encoder", "tokénizer", "s"};
    private static final String[] EXTENSIONS = {".json", ".txt", ".model", ".safetensors"};

    /** Up to 12 entries in random folders, with small or large random contents. */
    static List<Item> pipeline(Gen g) {
        return g.list(0, 12, () -> Item.of(g.pick(FOLDERS), g.string(1, 20, "abcdefghijklmnopqrstuvwxyz_-0123456789é"),
                g.pick(EXTENSIONS), g.nextBoolean() ? g.intIn(0, 100) : g.intIn(0, 100_000), g.anyLong()));
    }

    @Test
    void validPipelinesRoundTrip(Seeded seeded) {
        seeded.tries(40, g -> validPipelinesRoundTrip(pipeline(g)));
    }

    @Test
    void validPipelinesRoundTripEdgeCases() {
        Seeded.example("no entries", () -> validPipelinesRoundTrip(List.of()));
        for (String ext : EXTENSIONS) {
            for (int size : new int[] {0, 1, 100_000}) {
                Item single = Item.of("", "a", ext, size, 0);
                Seeded.example(single, () -> validPipelinesRoundTrip(List.of(single)));
                List<Item> everyFolder = new ArrayList<>();
                for (String folder : FOLDERS) {
                    everyFolder.add(Item.of(folder, "a", ext, size, 0));
                }
                Seeded.example(everyFolder, () -> validPipelinesRoundTrip(everyFolder));
            }
        }
        List<Item> repeated = List.of(Item.of("vae", "é", ".json", 3, 1), Item.of("vae", "é", ".json", 5, 2),
                Item.of("", "é", ".safetensors", 7, Long.MIN_VALUE), Item.of("", "é", ".safetensors", 8, Long.MAX_VALUE),
                Item.of("tokénizer", "x".repeat(20), ".model", 100, -1));
        Seeded.example(repeated, () -> validPipelinesRoundTrip(repeated));
    }

    private static void validPipelinesRoundTrip(List<Item> items) throws Exception {
        Map<String, byte[]> contents = new LinkedHashMap<>();
        Map<String, Map<String, Tensor>> tensorEntries = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{");
        List<String> folders = new ArrayList<>();
        for (Item it : items) {
            if (!it.folder().isEmpty() && !folders.contains(it.folder())) {
                folders.add(it.folder());
            }
        }
        for (String f : folders) {
            index.append(index.length() > 1 ? ", " : "").append('"').append(f).append("\": [\"x\", \"y\"]");
        }
        index.append('}');
        contents.put("model_index.json", index.toString().getBytes(StandardCharsets.UTF_8));
        for (String f : folders) {
            contents.put(f + "/config.json", "{}".getBytes(StandardCharsets.UTF_8));
        }
        for (Item it : items) {
            String name = it.folder().isEmpty() ? it.file() : it.folder() + "/" + it.file();
            if (contents.containsKey(name) || tensorEntries.containsKey(name)) {
                continue;
            }
            if (it.safetensors()) {
                byte[] raw = new byte[(it.size() / 4) * 4];
                new Random(it.seed()).nextBytes(raw);
                Map<String, Tensor> t = new LinkedHashMap<>();
                t.put("w", Tensor.of(MemorySegment.ofArray(raw), DType.F32, raw.length / 4));
                t.put("b", Tensor.of(MemorySegment.ofArray(new byte[] {1, 2, 3}), DType.U8, 3));
                tensorEntries.put(name, t);
            } else {
                byte[] b = new byte[it.size()];
                new Random(it.seed()).nextBytes(b);
                contents.put(name, b);
            }
        }
        List<Dduf.Entry> entries = new ArrayList<>();
        contents.forEach((n, b) -> entries.add(Dduf.entry(n, b)));
        tensorEntries.forEach((n, t) -> entries.add(Dduf.entry(n, ch -> Safetensors.write(t, Map.of(), ch))));
        Path dir = Files.createTempDirectory("dduf-prop");
        try {
            Path out = dir.resolve("p.dduf");
            Dduf.exportEntries(out, entries);
            try (DdufFile d = DdufFile.open(out)) {
                assertThat(d.entries().keySet()).containsExactlyElementsOf(entries.stream().map(Dduf.Entry::name).toList());
                for (DdufEntry e : d.entries().values()) {
                    assertThat(e.offset() % Dduf.ALIGNMENT).isZero();
                    if (contents.containsKey(e.name())) {
                        assertThat(DdufTestSupport.bytes(e.segment())).isEqualTo(contents.get(e.name()));
                    } else {
                        SafetensorsFile st = e.openSafetensors();
                        Map<String, Tensor> t = tensorEntries.get(e.name());
                        assertThat(DdufTestSupport.bytes(st.tensor("w").data()))
                                .isEqualTo(DdufTestSupport.bytes(t.get("w").data()));
                        assertThat(st.tensor("w").data().address() % 4).isZero();
                    }
                }
                d.verify();
            }
            try (ZipFile z = new ZipFile(out.toFile())) {
                assertThat(z.size()).isEqualTo(entries.size());
                for (var it = z.entries(); it.hasMoreElements(); ) {
                    java.util.zip.ZipEntry ze = it.nextElement();
                    byte[] b = z.getInputStream(ze).readAllBytes();
                    CRC32 c = new CRC32();
                    c.update(b);
                    assertThat(c.getValue()).isEqualTo(ze.getCrc());
                    if (contents.containsKey(ze.getName())) {
                        assertThat(b).isEqualTo(contents.get(ze.getName()));
                    }
                }
            }
        } finally {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static volatile byte[] seedArchive;

    static byte[] seedArchive() throws Exception {
        if (seedArchive == null) {
            seedArchive = Files.readAllBytes(DdufTestSupport.fixtures("dduf2").resolve("pipeline-entries.dduf"));
        }
        return seedArchive;
    }

    /** The offsets of the archive's structures: end record, central directory, local headers. */
    private static List<Long> structureOffsets(byte[] archive) throws Exception {
        ZipArchive z = ZipArchive.read(MemorySegment.ofArray(archive));
        List<Long> hot = new ArrayList<>();
        hot.add(z.endOffset());
        hot.add(z.centralDirectoryOffset());
        for (ZipEntry e : z.entries()) {
            hot.add(e.localHeaderOffset());
        }
        return hot;
    }

    @Test
    void mutationsRaiseOnlyDdufException(Seeded seeded) {
        seeded.tries(2000, g -> mutationsRaiseOnlyDdufException(g, g.intIn(1, 8)));
    }

    @Test
    void mutationsRaiseOnlyDdufExceptionEdgeCases() throws Exception {
        byte[] seed = seedArchive();
        Seeded.example("the unmutated archive", () -> DdufReaderFuzzTest.exercise(seed.clone()));
        for (long at : structureOffsets(seed)) {
            for (long pos = at; pos < Math.min(seed.length, at + 46); pos++) {
                byte[] cut = java.util.Arrays.copyOf(seed, (int) pos);
                Seeded.example("cut at " + pos, () -> DdufReaderFuzzTest.exercise(cut));
                for (int v : new int[] {0x00, 0xFF}) {
                    byte[] b = seed.clone();
                    b[(int) pos] = (byte) v;
                    Seeded.example("byte " + pos + " = " + v, () -> DdufReaderFuzzTest.exercise(b));
                }
            }
        }
    }

    private static void mutationsRaiseOnlyDdufException(RandomGenerator r, int mutations) throws Exception {
        byte[] b = seedArchive().clone();
        List<Long> hot = structureOffsets(b);
        for (int i = 0; i < mutations; i++) {
            int kind = r.nextInt(4);
            if (kind == 0) {
                b[r.nextInt(b.length)] = (byte) r.nextInt(256);
            } else if (kind == 1) {
                // hit a structure field: a header's fixed part
                int pos = (int) (hot.get(r.nextInt(hot.size())) + r.nextInt(46));
                if (pos < b.length) {
                    b[pos] = (byte) (r.nextBoolean() ? 0xFF : r.nextInt(256));
                }
            } else if (kind == 2) {
                b = java.util.Arrays.copyOf(b, r.nextInt(b.length + 1));
            } else {
                int pos = r.nextInt(b.length);
                b[pos] ^= (byte) (1 << r.nextInt(8));
            }
            if (b.length == 0) {
                break;
            }
        }
        DdufReaderFuzzTest.exercise(b);
    }
}
