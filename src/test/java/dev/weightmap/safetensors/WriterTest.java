// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WriterTest {

    static Tensor bytes(DType d, int n, int fill) {
        long len = d.byteLength(n);
        byte[] b = new byte[(int) len];
        Arrays.fill(b, (byte) fill);
        return Tensor.of(MemorySegment.ofArray(b), d, n);
    }

    static String header(byte[] file) {
        long n = ByteBuffer.wrap(file).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
        return new String(file, 8, (int) n, StandardCharsets.UTF_8);
    }

    @Test
    void layoutIsDtypeRankThenNameBytes() {
        // U+FF01 (UTF-8 EF BC 81) sorts before U+1F600 (F0 9F 98 80) by bytes, after it by UTF-16 units (FF01 > D83D)
        String fullwidth = "\uFF01";
        String emoji = "\uD83D\uDE00";
        assertThat(fullwidth.compareTo(emoji)).isPositive();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put(emoji, bytes(DType.U8, 1, 1));
        m.put(fullwidth, bytes(DType.U8, 1, 2));
        m.put("b", bytes(DType.BOOL, 2, 1));
        m.put("a", bytes(DType.F32, 1, 3));
        m.put("Z", bytes(DType.U64, 1, 4));
        m.put("é", bytes(DType.U8, 1, 5));
        m.put("z", bytes(DType.U8, 1, 6));
        byte[] out = TestFiles.serialize(m, null);
        SafetensorsFile f = TestFiles.parse(out);
        assertThat(f.names()).containsExactly("Z", "a", "z", "é", fullwidth, emoji, "b");
        assertThat(header(out)).startsWith("{\"Z\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[0,8]},\"a\":");
        // sortedNames() is Python's sorted(keys()): by code point, so U+FF01 comes before U+1F600
        assertThat(f.sortedNames()).containsExactly("Z", "a", "b", "z", "é", fullwidth, emoji);
        // the map's order does not matter
        Map<String, Tensor> reversed = new LinkedHashMap<>();
        List<String> keys = new ArrayList<>(m.keySet());
        Collections.reverse(keys);
        keys.forEach(k -> reversed.put(k, m.get(k)));
        assertThat(TestFiles.serialize(reversed, null)).isEqualTo(out);
        assertThat(TestFiles.serialize(new HashMap<>(m), null)).isEqualTo(out);
    }

    @Test
    void everyDtypeInRustOrder() {
        Random rnd = new Random(7);
        Map<String, Tensor> m = new HashMap<>();
        List<String[]> expected = new ArrayList<>();
        for (DType d : DType.values()) {
            if (!d.isSafetensors()) {
                continue;
            }
            for (int k = 0; k < 3; k++) {
                String name = "t" + rnd.nextInt(1000) + "_" + d.headerName().toLowerCase();
                m.put(name, bytes(d, 8, k));
                expected.add(new String[] {String.format("%02d", d.writeRank()), name});
            }
        }
        expected.sort(Comparator.<String[], String>comparing(a -> a[0]).thenComparing(a -> a[1]));
        SafetensorsFile f = TestFiles.parse(TestFiles.serialize(m, null));
        assertThat(f.names()).containsExactlyElementsOf(expected.stream().map(a -> a[1]).toList());
        // the header lists tensors in data order too
        String h = header(TestFiles.serialize(m, null));
        int last = -1;
        for (String[] e : expected) {
            int i = h.indexOf("\"" + e[1] + "\"");
            assertThat(i).isGreaterThan(last);
            last = i;
        }
        // each tensor starts at a file offset that is a multiple of its element size
        for (String n : f.names()) {
            DType d = f.info(n).dtype();
            long abs = f.info(n).absoluteOffset(f.dataStart());
            if (!d.isSubByte()) {
                assertThat(abs % d.byteSize()).as(n).isZero();
            }
        }
    }

    @Test
    void metadataFirstWithSortedKeysAndPadding() {
        Map<String, String> md = new LinkedHashMap<>();
        md.put("z", "last");
        md.put("a", "first \"q\" \\ \n é 😀");
        md.put("format", "pt");
        byte[] out = TestFiles.serialize(Map.of("w", bytes(DType.F16, 2, 0)), md);
        String h = header(out);
        assertThat(h).startsWith("{\"__metadata__\":{\"a\":\"first \\\"q\\\" \\\\ \\n é 😀\",\"format\":\"pt\",\"z\":\"last\"},\"w\":");
        assertThat(TestFiles.parse(out).metadata()).isEqualTo(new TreeMap<>(md));
        // the same metadata in another order gives the same bytes
        assertThat(TestFiles.serialize(Map.of("w", bytes(DType.F16, 2, 0)), new TreeMap<>(md).descendingMap())).isEqualTo(out);
        // empty metadata = none
        assertThat(header(TestFiles.serialize(Map.of(), new HashMap<>()))).isEqualTo("{}      ");
    }

    @Test
    void headerIsSpacePaddedToEight() {
        for (int len = 0; len < 12; len++) {
            byte[] out = TestFiles.serialize(Map.of("n".repeat(len + 1), bytes(DType.U8, 1, 0)), null);
            String h = header(out);
            String trimmed = h.stripTrailing();
            assertThat(h.length() % 8).isZero();
            assertThat(h.length() - trimmed.getBytes(StandardCharsets.UTF_8).length).isBetween(0, 7);
            assertThat(h.substring(trimmed.length())).matches(" *");
            assertThat((8 + h.length()) % 8).isZero();
            assertThat(out.length).isEqualTo(8 + h.length() + 1);
            assertThat(Safetensors.headerText(Map.of("n".repeat(len + 1), bytes(DType.U8, 1, 0)), null)).isEqualTo(h);
        }
    }

    @Test
    void stridedTensorsAreWrittenContiguous() {
        Tensor m = Tensor.ofFloats(new float[] {0, 1, 2, 3, 4, 5}, 2, 3);
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("t", m.transpose(0, 1));
        byte[] out = TestFiles.serialize(in, null);
        SafetensorsFile f = TestFiles.parse(out);
        assertThat(f.tensor("t").shape()).containsExactly(3, 2);
        assertThat(f.tensor("t").toFloatArray()).containsExactly(0, 3, 1, 4, 2, 5);
        assertThat(header(out)).contains("\"shape\":[3,2],\"data_offsets\":[0,24]");
    }

    @Test
    void aliasingTensorsAreRejectedNamingBoth() {
        Tensor full = Tensor.ofFloats(new float[16], 4, 4);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("embed.weight", full);
        m.put("lm_head.weight", full);
        assertShared(m, "embed.weight", "lm_head.weight");
        m.put("lm_head.weight", full.select(0, 2));
        assertShared(m, "embed.weight", "lm_head.weight");
        m.put("lm_head.weight", full.transpose(0, 1));
        assertShared(m, "embed.weight", "lm_head.weight");
        m.clear();
        m.put("even", full.slice(1, 0, 4, 2));
        m.put("odd", full.slice(1, 1, 4, 2));
        assertShared(m, "even", "odd");
        // disjoint views of one storage, and empty views, are fine
        m.clear();
        m.put("row0", full.select(0, 0));
        m.put("row3", full.select(0, 3));
        m.put("empty", full.narrow(0, 1, 0));
        m.put("empty2", full.narrow(1, 0, 0));
        SafetensorsFile f = TestFiles.parse(TestFiles.serialize(m, null));
        assertThat(f.names()).containsExactly("empty", "empty2", "row0", "row3"); // zero-size tensors sort by name too
    }

    static void assertShared(Map<String, Tensor> m, String a, String b) {
        assertThatThrownBy(() -> TestFiles.serialize(m, null)).isInstanceOfSatisfying(SafetensorsException.class, e -> {
            assertThat(e.reason()).isEqualTo(Reason.SHARED_STORAGE);
            assertThat(e.getMessage()).contains("`" + a + "`").contains("`" + b + "`").contains("share memory");
        });
    }

    @Test
    void saveIsAtomicWhenATensorFailsMidway(@TempDir Path dir) throws Exception {
        Path target = dir.resolve("model.safetensors");
        Files.writeString(target, "OLD CONTENT");
        Arena arena = Arena.ofShared();
        MemorySegment seg = arena.allocate(1 << 20);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a_first", Tensor.ofFloats(new float[1 << 18], 1 << 18)); // written before the failing one
        m.put("b_closed", Tensor.of(seg, DType.F32, 1 << 18));
        arena.close();
        assertThatThrownBy(() -> Safetensors.save(m, null, target)).isInstanceOf(IllegalStateException.class);
        assertThat(Files.readString(target)).isEqualTo("OLD CONTENT");
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(target);
        }
        // a plan failure also leaves everything untouched
        Tensor full = Tensor.ofFloats(new float[4], 4);
        assertThatThrownBy(() -> Safetensors.save(Map.of("x", full, "y", full.narrow(0, 1, 2)), null, target))
                .isInstanceOf(SafetensorsException.class);
        assertThat(Files.readString(target)).isEqualTo("OLD CONTENT");
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(target);
        }
        // a new file that fails is never created
        Path fresh = dir.resolve("fresh.safetensors");
        assertThatThrownBy(() -> Safetensors.save(m, Map.of("k", "v"), fresh)).isInstanceOf(IllegalStateException.class);
        assertThat(fresh).doesNotExist();
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(target);
        }
    }

    @Test
    void failingChannelPropagates() {
        WritableByteChannel failing = new WritableByteChannel() {
            int calls;

            @Override
            public int write(ByteBuffer src) throws IOException {
                if (++calls > 2) {
                    throw new IOException("disk full");
                }
                int n = src.remaining();
                src.position(src.limit());
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        };
        assertThatThrownBy(() -> Safetensors.write(Map.of("a", Tensor.ofFloats(new float[4], 4)), null, failing))
                .isInstanceOf(IOException.class).hasMessage("disk full");
    }

    @Test
    void saveCreatesFileWithNormalPermissionsAndRejectsMissingFolder(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("x.safetensors");
        Safetensors.save(Map.of("a", Tensor.ofFloats(new float[] {1, 2}, 2)), Map.of("format", "pt"), p);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-r--r--");
        assertThat(Files.size(p)).isEqualTo(Safetensors.serializedLength(Map.of("a", Tensor.ofFloats(new float[] {1, 2}, 2)), Map.of("format", "pt")));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.tensor("a").toFloatArray()).containsExactly(1f, 2f);
            assertThat(f.metadata()).isEqualTo(Map.of("format", "pt"));
        }
        assertThatThrownBy(() -> Safetensors.save(Map.of(), null, dir.resolve("missing/x.safetensors")))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void overwritingAMappedFileKeepsTheOldMappingIntact(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("m.safetensors");
        Safetensors.save(Map.of("w", Tensor.ofFloats(new float[] {1, 2, 3, 4}, 4)), null, p);
        try (SafetensorsFile old = SafetensorsFile.open(p)) {
            Tensor w = old.tensor("w");
            // overwrite from the old file's own tensors (the #762 scenario) and with other content
            Safetensors.save(Map.of("w", w), Map.of("v", "2"), p);
            assertThat(w.toFloatArray()).containsExactly(1f, 2f, 3f, 4f);
            Safetensors.save(Map.of("w", Tensor.ofFloats(new float[] {9, 9, 9, 9, 9}, 5)), null, p);
            assertThat(w.toFloatArray()).containsExactly(1f, 2f, 3f, 4f);
            try (SafetensorsFile now = SafetensorsFile.open(p)) {
                assertThat(now.tensor("w").toFloatArray()).containsExactly(9f, 9f, 9f, 9f, 9f);
            }
        }
        try (var s = Files.list(dir)) {
            assertThat(s.toList()).containsExactly(p);
        }
    }

    @Test
    void subByteAndScalarsRoundTrip() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("f4", Tensor.of(MemorySegment.ofArray(new byte[] {0x12, 0x34, 0x56}), DType.F4, 2, 2)); // 2 bytes of 3
        m.put("f6", Tensor.of(MemorySegment.ofArray(new byte[] {1, 2, 3}), DType.F6_E3M2, 4));
        m.put("s", Tensor.of(MemorySegment.ofArray(new byte[] {0, 0, (byte) 0xC0, 0x3F}), DType.F32));
        SafetensorsFile f = TestFiles.parse(TestFiles.serialize(m, null));
        assertThat(f.names()).containsExactly("s", "f6", "f4");
        assertThat(f.tensor("f4").data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(0x12, 0x34);
        assertThat(f.tensor("f6").data().toArray(ValueLayout.JAVA_BYTE)).containsExactly(1, 2, 3);
        assertThat(f.tensor("s").getFloat()).isEqualTo(1.5f);
    }

    @Test
    void headerParsesWithOurOwnReader() {
        Map<String, Tensor> m = Map.of("q\"\\\t\u0001/", bytes(DType.I16, 3, 1));
        String h = header(TestFiles.serialize(m, null)).stripTrailing();
        assertThat(h).contains("\"q\\\"\\\\\\t\\u0001/\"");
        @SuppressWarnings("unchecked")
        Map<String, Object> parsed = (Map<String, Object>) JsonReader.parse(h.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed).containsOnlyKeys("q\"\\\t\u0001/");
        ByteArrayOutputStream unused = new ByteArrayOutputStream();
        assertThat(unused.size()).isZero();
    }

    @Test
    void namesAndMetadataMustBeValidUnicode() {
        // a lone surrogate has no UTF-8 form: writing it would silently turn it into '?' (and two such names into a
        // duplicate key that no reader accepts)
        Tensor t = Tensor.ofFloats(new float[1], 1);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a\uD800", t);
        m.put("a\uD801", Tensor.ofFloats(new float[1], 1));
        assertThatThrownBy(() -> TestFiles.serialize(m, null)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_TENSOR)).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> TestFiles.serialize(Map.of("a", t), Map.of("k", "\uDC00")))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_METADATA));
        assertThatThrownBy(() -> TestFiles.serialize(Map.of("a", t), Map.of("\uDC00", "v")))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_METADATA));
        // a well-formed pair is fine
        assertThat(TestFiles.parse(TestFiles.serialize(Map.of("\uD83D\uDE00", t), Map.of("\uD83D\uDE00", "\uD83D\uDE00"))).names())
                .containsExactly("\uD83D\uDE00");
    }
}
