// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every real-tool fixture opens exactly as expected.json describes and re-saves byte-identically. */
class FixturesTest {

    static Stream<Map<String, Object>> files() {
        return TestFiles.expectedFiles().stream();
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("files")
    @SuppressWarnings("unchecked")
    void opensAsExpected(Map<String, Object> exp) throws Exception {
        Path p = TestFiles.fixture((String) exp.get("file"));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertThat(f.segment().byteSize()).isEqualTo(((Number) exp.get("size")).longValue());
            assertThat(f.headerLength()).isEqualTo(((Number) exp.get("header_len")).longValue());
            assertThat(f.dataStart()).isEqualTo(((Number) exp.get("data_start")).longValue());
            Map<String, String> md = (Map<String, String>) exp.get("metadata");
            assertThat(f.metadata()).isEqualTo(md == null ? Map.of() : md);
            assertThat(f.path()).isEqualTo(p);

            List<Map<String, Object>> tensors = (List<Map<String, Object>>) exp.get("tensors");
            List<String> names = tensors.stream().map(t -> (String) t.get("name")).toList();
            assertThat(f.names()).containsExactlyElementsOf(names);
            assertThat(f.size()).isEqualTo(names.size());
            assertThat(f.sortedNames()).isSortedAccordingTo((a, b) -> java.util.Arrays.compare(a.codePoints().toArray(), b.codePoints().toArray()))
                    .containsExactlyInAnyOrderElementsOf(names);
            assertThat(f.tensors().keySet()).containsExactlyElementsOf(names);

            for (Map<String, Object> t : tensors) {
                String name = (String) t.get("name");
                assertThat(f.contains(name)).isTrue();
                TensorInfo info = f.info(name);
                DType dtype = DType.fromHeaderName((String) t.get("dtype"));
                long[] shape = longs((List<Object>) t.get("shape"));
                List<Object> offs = (List<Object>) t.get("data_offsets");
                assertThat(info.dtype()).as(name).isEqualTo(dtype);
                assertThat(info.shape()).as(name).isEqualTo(shape);
                assertThat(info.begin()).as(name).isEqualTo(((Number) offs.get(0)).longValue());
                assertThat(info.end()).as(name).isEqualTo(((Number) offs.get(1)).longValue());
                assertThat(info.length()).as(name).isEqualTo(((Number) t.get("nbytes")).longValue());

                Tensor tensor = f.tensor(name);
                assertThat(tensor.dtype()).isEqualTo(dtype);
                assertThat(tensor.shape()).isEqualTo(shape);
                assertThat(tensor.isContiguous()).isTrue();
                assertThat(tensor.byteLength()).isEqualTo(info.length());
                // storage = the tensor's own byte range of the mapping
                assertThat(tensor.storageSize()).isEqualTo(info.length());
                assertThat(tensor.storage().address()).isEqualTo(f.segment().address() + info.absoluteOffset(f.dataStart()));
                assertThat(tensor.coversStorage()).isTrue();
                assertThat(sha256(tensor)).as(name).isEqualTo(t.get("sha256"));
                assertThat(f.tensors().get(name)).isSameAs(tensor);

                List<Object> values = (List<Object>) t.get("values");
                if (values != null) {
                    checkValues(name, tensor, values);
                }
            }
        }
    }

    static long[] longs(List<Object> l) {
        return l.stream().mapToLong(o -> ((Number) o).longValue()).toArray();
    }

    /** Row-major index of flat element {@code i}. */
    static long[] unravel(long i, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = i % shape[d];
            i /= shape[d];
        }
        return idx;
    }

    static double expectedDouble(Object o) {
        return switch (o) {
            case String s when s.equals("NaN") -> Double.NaN;
            case String s when s.equals("Infinity") -> Double.POSITIVE_INFINITY;
            case String s when s.equals("-Infinity") -> Double.NEGATIVE_INFINITY;
            case Number n -> n.doubleValue();
            default -> throw new AssertionError("unexpected value " + o);
        };
    }

    @SuppressWarnings("unchecked")
    static void checkValues(String name, Tensor t, List<Object> values) {
        assertThat((long) values.size()).as(name).isEqualTo(t.numel());
        DType dt = t.dtype();
        float[] floats = dt.isComplex() ? null : t.toFloatArray();
        for (int i = 0; i < values.size(); i++) {
            long[] idx = unravel(i, t.shape());
            Object v = values.get(i);
            String where = name + idx.length + "@" + i;
            if (dt == DType.BOOL) {
                assertThat(t.getLong(idx)).as(where).isEqualTo((Boolean) v ? 1L : 0L);
                assertThat(floats[i]).isEqualTo((Boolean) v ? 1f : 0f);
            } else if (dt.isComplex()) {
                List<Object> c = (List<Object>) v;
                double[] got = t.getComplex(idx);
                assertThat(Double.compare(got[0], expectedDouble(c.get(0)))).as(where + " re").isZero();
                assertThat(Double.compare(got[1], expectedDouble(c.get(1)))).as(where + " im").isZero();
            } else if (dt.isFloatingPoint()) {
                double e = expectedDouble(v);
                assertThat(Double.compare(t.getDouble(idx), e)).as(where + ": " + t.getDouble(idx) + " vs " + e).isZero();
                assertThat(Float.compare(t.getFloat(idx), (float) e)).as(where).isZero();
                assertThat(Float.compare(floats[i], (float) e)).as(where + " toFloatArray").isZero();
            } else {
                // integers: exact, U64 above 2^63 via unsigned string
                BigInteger e = v instanceof BigInteger b ? b : BigInteger.valueOf(((Number) v).longValue());
                long got = t.getLong(idx);
                String s = dt == DType.U64 ? Long.toUnsignedString(got) : Long.toString(got);
                assertThat(s).as(where).isEqualTo(e.toString());
                assertThat(floats[i]).as(where).isEqualTo(e.floatValue());
            }
        }
    }

    static String sha256(Tensor t) throws IOException {
        MessageDigest md = sha();
        t.writeTo(new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                md.update(src);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        });
        return HexFormat.of().formatHex(md.digest());
    }

    static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @ParameterizedTest(name = "{index}: {0}")
    @MethodSource("files")
    void resavesByteIdentical(Map<String, Object> exp, @TempDir Path tmp) throws Exception {
        Path p = TestFiles.fixture((String) exp.get("file"));
        byte[] original = Files.readAllBytes(p);
        Path out = tmp.resolve("out.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            Safetensors.save(f.tensors(), f.metadata(), out);
            assertThat(Safetensors.serializedLength(f.tensors(), f.metadata())).isEqualTo(original.length);
        }
        byte[] ours = Files.readAllBytes(out);
        byte[] expected = f(original);
        assertThat(ours.length).isEqualTo(original.length);
        assertThat(new String(ours, 8, (int) (ours.length - 8), StandardCharsets.ISO_8859_1))
                .isEqualTo(new String(expected, 8, expected.length - 8, StandardCharsets.ISO_8859_1));
        assertThat(ours).isEqualTo(expected);
        assertThat(Files.list(tmp).toList()).containsExactly(out);
    }

    /**
     * The fixture with its {@code __metadata__} object re-written with sorted keys (the Rust writer prints them in
     * HashMap order; we sort). Files with fewer than two keys are unchanged.
     */
    static byte[] f(byte[] original) {
        MemorySegment seg = MemorySegment.ofArray(original);
        long n = seg.get(java.lang.foreign.ValueLayout.JAVA_LONG_UNALIGNED, 0);
        JsonReader r = new JsonReader(original, 8, Math.toIntExact(n));
        r.expect('{');
        if (!r.nextMember(true)) {
            return original;
        }
        long keyStart = 8 + r.position();
        String key = r.readString();
        if (!key.equals("__metadata__")) {
            return original;
        }
        r.expect(':');
        long valueStart = 8 + r.position();
        @SuppressWarnings("unchecked")
        Map<String, String> md = (Map<String, String>) r.readValue();
        long valueEnd = 8 + r.position();
        byte[] sorted = JsonWriter.compact().write(new TreeMap<>(md)).getBytes(StandardCharsets.UTF_8);
        assertThat(sorted.length).isEqualTo(valueEnd - valueStart);
        assertThat(keyStart).isEqualTo(9);
        byte[] copy = original.clone();
        System.arraycopy(sorted, 0, copy, (int) valueStart, sorted.length);
        return copy;
    }

    @Test
    void writeToChannelEqualsSave() throws Exception {
        try (SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("all_dtypes.safetensors"))) {
            assertThat(TestFiles.serialize(f.tensors(), f.metadata()))
                    .isEqualTo(Files.readAllBytes(TestFiles.fixture("all_dtypes.safetensors")));
        }
    }

    @Test
    void parseOverHeapImageEqualsOpen() throws Exception {
        byte[] bytes = Files.readAllBytes(TestFiles.fixture("many_tensors_300.safetensors"));
        SafetensorsFile heap = SafetensorsFile.parse(MemorySegment.ofArray(bytes), "heap");
        assertThat(heap.path()).isNull();
        assertThat(heap.displayName()).isEqualTo("heap");
        try (SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("many_tensors_300.safetensors"))) {
            assertThat(heap.infos()).isEqualTo(f.infos());
            List<String> a = new ArrayList<>();
            for (String n : f.names()) {
                a.add(sha256(f.tensor(n)));
                assertThat(sha256(heap.tensor(n))).isEqualTo(a.getLast());
            }
        }
        heap.close(); // marks the view closed; does nothing to a caller's segment
        assertThat(heap.isOpen()).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(heap::names)
                .isInstanceOf(dev.weightmap.WeightsClosedException.class).hasMessageContaining("heap");
        assertThat(bytes[0]).isEqualTo(MemorySegment.ofArray(bytes).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }
}
