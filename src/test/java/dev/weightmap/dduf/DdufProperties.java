// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

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
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;

/** Random valid pipelines round-trip; random mutations of valid archives only ever raise DdufException. */
class DdufProperties {
    record Item(String folder, String file, int size, long seed, boolean safetensors) {
    }

    @Provide
    Arbitrary<List<Item>> pipelines() {
        Arbitrary<String> folder = Arbitraries.of("", "", "vae", "unet", "text_encoder", "tokénizer", "s");
        Arbitrary<String> file = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz_-0123456789é")
                .ofMinLength(1).ofMaxLength(20);
        Arbitrary<String> ext = Arbitraries.of(".json", ".txt", ".model", ".safetensors");
        Arbitrary<Integer> size = Arbitraries.oneOf(Arbitraries.integers().between(0, 100),
                Arbitraries.integers().between(0, 100_000));
        Arbitrary<Item> item = Combinators.combine(folder, file, ext, size, Arbitraries.longs(), Arbitraries.of(false, true))
                .as((f, n, x, s, seed, st) -> new Item(f, n + x, s, seed, x.equals(".safetensors")));
        return item.list().ofMaxSize(12);
    }

    @Property(tries = 40)
    void validPipelinesRoundTrip(@ForAll("pipelines") List<Item> items) throws Exception {
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

    @Property(tries = 2000)
    void mutationsRaiseOnlyDdufException(@ForAll long seed, @ForAll @IntRange(min = 1, max = 8) int mutations)
            throws Exception {
        byte[] b = seedArchive().clone();
        Random r = new Random(seed);
        ZipArchive z = ZipArchive.read(MemorySegment.ofArray(b));
        List<Long> hot = new ArrayList<>();
        hot.add(z.endOffset());
        hot.add(z.centralDirectoryOffset());
        for (ZipEntry e : z.entries()) {
            hot.add(e.localHeaderOffset());
        }
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
