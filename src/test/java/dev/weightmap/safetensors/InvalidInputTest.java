// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static dev.weightmap.safetensors.TestFiles.image;
import static dev.weightmap.safetensors.TestFiles.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** formats.md A.10: every invalid case and edge case, with the expected outcome and Reason. */
class InvalidInputTest {

    static void fails(byte[] image, Reason reason, String... fragments) {
        assertThatThrownBy(() -> parse(image))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> {
                    assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
                    assertThat(e.getMessage()).startsWith("mem.safetensors: ");
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }

    static void fails(String header, int data, Reason reason, String... fragments) {
        fails(image(header, new byte[data]), reason, fragments);
    }

    static String t(String name, String dtype, String shape, long b, long e) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + b + "," + e + "]}";
    }

    static byte[] le(long n) {
        return ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array();
    }

    // ------------------------------------------------------------------ Rust tensor.rs tests

    @Test
    void a01_emptyAndMetadataOnly() {
        byte[] empty = TestFiles.serialize(Map.of(), Map.of());
        assertThat(empty).containsExactly(8, 0, 0, 0, 0, 0, 0, 0, '{', '}', ' ', ' ', ' ', ' ', ' ', ' ');
        assertThat(parse(empty).size()).isZero();
        byte[] md = TestFiles.serialize(Map.of(), Map.of("framework", "pt"));
        assertThat(md).hasSize(48);
        assertThat(md[0]).isEqualTo((byte) 40);
        assertThat(new String(md, 8, 40, StandardCharsets.UTF_8)).isEqualTo("{\"__metadata__\":{\"framework\":\"pt\"}}     ");
        assertThat(parse(md).metadata()).isEqualTo(Map.of("framework", "pt"));
    }

    @Test
    void a02_serializationExactBytes() {
        float[] v = {0, 1, 2, 3, 4, 5};
        byte[] out = TestFiles.serialize(Map.of("attn.0", Tensor.ofFloats(v, 1, 2, 3)), null);
        String h = "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}";
        assertThat(out).hasSize(8 + 64 + 24);
        assertThat(ByteBuffer.wrap(out).order(ByteOrder.LITTLE_ENDIAN).getLong()).isEqualTo(64);
        assertThat(new String(out, 8, 64, StandardCharsets.UTF_8)).isEqualTo(h + " ".repeat(64 - h.length()));
        SafetensorsFile f = parse(out);
        assertThat(f.tensor("attn.0").toFloatArray()).containsExactly(v);
        assertThat(f.tensor("attn.0").alignment()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void a03_fp4RoundTrip() {
        Tensor t = Tensor.of(MemorySegment.ofArray(new byte[] {0x21}), DType.F4, 1, 2);
        byte[] out = TestFiles.serialize(Map.of("test", t), null);
        String h = "{\"test\":{\"dtype\":\"F4\",\"shape\":[1,2],\"data_offsets\":[0,1]}}";
        assertThat(h).hasSize(58);
        assertThat(new String(out, 8, 64, StandardCharsets.UTF_8)).isEqualTo(h + "      ");
        assertThat(out[72]).isEqualTo((byte) 0x21);
        SafetensorsFile f = parse(out);
        assertThat(f.info("test").length()).isEqualTo(1);
        assertThat(f.tensor("test").data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsExactly(0x21);
    }

    @Test
    void a04_fp4Misaligned() {
        assertThatThrownBy(() -> Tensor.of(MemorySegment.ofArray(new byte[2]), DType.F4, 1, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("byte boundary");
        fails("{" + t("test", "F4", "[1,3]", 0, 2) + "}", 2, Reason.MISALIGNED_SUBBYTE, "`test`", "byte boundary");
    }

    @Test
    void a05_fp4InvalidLength() {
        // Java tensors may sit in a larger storage: the writer writes the tensor's 1 byte
        Tensor t = Tensor.of(MemorySegment.ofArray(new byte[] {1, 2}), DType.F4, 1, 2);
        assertThat(TestFiles.serialize(Map.of("test", t), null)).hasSize(8 + 64 + 1);
        // on read, a length that does not match is TENSOR_INVALID_INFO
        fails("{" + t("test", "F4", "[1,2]", 0, 2) + "}", 2, Reason.TENSOR_INVALID_INFO, "`test`", "needs 1 bytes");
    }

    @Test
    void a06_forcedAlignment() {
        Tensor t = Tensor.ofFloats(new float[6], 1, 1, 2, 3);
        byte[] out = TestFiles.serialize(Map.of("attn0", t), null);
        String h = "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],\"data_offsets\":[0,24]}}";
        assertThat(h).hasSize(65);
        assertThat(out[0]).isEqualTo((byte) 72);
        assertThat(new String(out, 8, 72, StandardCharsets.UTF_8)).isEqualTo(h + "       ");
        assertThat((8 + 72) % 8).isZero();
    }

    @Test
    void a07_scalarShapeAllowed() {
        SafetensorsFile f = TestFiles.parse("{" + t("s", "I32", "[]", 0, 4) + "}", 4);
        assertThat(f.tensor("s").shape()).isEmpty();
        assertThat(f.tensor("s").numel()).isEqualTo(1);
        assertThat(f.tensor("s").getLong()).isZero();
    }

    @Test
    void a08_deserialization() {
        SafetensorsFile f = TestFiles.parse("{" + t("test", "I32", "[2,2]", 0, 16) + "}", 16);
        assertThat(f.names()).containsExactly("test");
        assertThat(f.tensor("test").shape()).containsExactly(2, 2);
    }

    @Test
    void a09_jsonAttack() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < 10; i++) {
            sb.append(i == 0 ? "" : ",").append(t("weight_" + i, "F32", "[2,2]", 0, 16));
        }
        fails(sb.append('}').toString(), 16, Reason.INVALID_OFFSET, "invalid offset for tensor `weight_");
    }

    @Test
    void a10_a11_incompleteBuffer() {
        String h = "{" + t("test", "I32", "[2,2]", 0, 16) + "}";
        byte[] polyglot = new byte[16 + 10];
        System.arraycopy("<!DOCTYPE>".getBytes(StandardCharsets.US_ASCII), 0, polyglot, 16, 10);
        fails(image(h, polyglot), Reason.INCOMPLETE_BUFFER, "not fully covered", "16 bytes of a data section of 26");
        fails(h, 14, Reason.INCOMPLETE_BUFFER, "not fully covered");
        fails(h, 17, Reason.INCOMPLETE_BUFFER, "not fully covered"); // one extra trailing byte
    }

    @Test
    void a12_headerTooLarge() {
        byte[] b = {0x3C, 0, 0, 0, 0, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, '{', '}'};
        fails(b, Reason.HEADER_TOO_LARGE, "header too large");
        fails(image(100_000_001, new byte[0], new byte[0]), Reason.HEADER_TOO_LARGE, "100000001", "limit 100000000");
        fails(image(-1, new byte[0], new byte[0]), Reason.HEADER_TOO_LARGE, "18446744073709551615");
    }

    @Test
    void a13_headerTooSmall() {
        fails(new byte[0], Reason.HEADER_TOO_SMALL, "header too small");
        fails(new byte[3], Reason.HEADER_TOO_SMALL, "3 bytes");
        fails(new byte[7], Reason.HEADER_TOO_SMALL);
    }

    @Test
    void a14_invalidHeaderLength() {
        fails(le(60), Reason.INVALID_HEADER_LENGTH, "invalid header length", "60");
        // attacks/: header length 1000 on a small file
        fails(image(1000, "{}".getBytes(StandardCharsets.US_ASCII), new byte[100]), Reason.INVALID_HEADER_LENGTH);
        // N = 100,000,000 on a tiny file: the length check, not the limit
        fails(image(100_000_000, "{}".getBytes(StandardCharsets.US_ASCII), new byte[0]), Reason.INVALID_HEADER_LENGTH);
        // test_truncated_header_is_rejected: N intact, only N/2 header bytes
        byte[] h = ("{" + t("a", "F32", "[2]", 0, 8) + "}").getBytes(StandardCharsets.UTF_8);
        fails(image(h.length, java.util.Arrays.copyOf(h, h.length / 2), new byte[0]), Reason.INVALID_HEADER_LENGTH);
    }

    @Test
    void a15_nonUtf8() {
        fails(image(1, new byte[] {(byte) 0xFF}, new byte[0]), Reason.INVALID_UTF8, "invalid UTF-8", "byte 8");
        // non-UTF-8 tensor name
        byte[] h = ("{" + t("ab", "F32", "[0]", 0, 0) + "}").getBytes(StandardCharsets.UTF_8);
        h[3] = (byte) 0xC3; // lone lead byte followed by 'b'
        fails(image(h.length, h, new byte[0]), Reason.INVALID_UTF8);
        // overlong and surrogate encodings
        fails(image(4, new byte[] {'"', (byte) 0xC0, (byte) 0x80, '"'}, new byte[0]), Reason.INVALID_UTF8);
        fails(image(5, new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, new byte[0]), Reason.INVALID_UTF8);
    }

    @Test
    void a16_notJson() {
        fails(image("{", new byte[0]), Reason.INVALID_JSON, "invalid JSON in header");
    }

    @Test
    void a17_a18_whitespacePadding() {
        assertThat(parse(image("{}\r \t\n", new byte[0])).size()).isZero();
        assertThat(parse(image("\t\n{}\r ", new byte[0])).size()).isZero();
        assertThat(parse(image("{}      ", new byte[0])).headerLength()).isEqualTo(8);
    }

    @Test
    void a19_zeroSizedTensor() {
        SafetensorsFile f = TestFiles.parse("{" + t("test", "I32", "[2,0]", 0, 0) + "}", 0);
        Tensor x = f.tensor("test");
        assertThat(x.numel()).isZero();
        assertThat(x.data().byteSize()).isZero();
        assertThat(x.toFloatArray()).isEmpty();
    }

    @Test
    void a20_invalidInfo() {
        fails("{" + t("test", "I32", "[2,2]", 0, 4) + "}", 4, Reason.TENSOR_INVALID_INFO,
                "invalid shape, data type, or offset for tensor `test`", "needs 16 bytes");
    }

    @Test
    void a21_overflowBeyondLong() {
        fails("{" + t("test", "I32", "[2,18446744073709551614]", 0, 16) + "}", 16, Reason.OVERFLOW, "`test`");
        // offset 2^64
        fails("{" + t("test", "I32", "[2,2]", 0, 0).replace("[0,0]", "[0,18446744073709551616]") + "}", 16,
                Reason.OVERFLOW, "`test`");
    }

    @Test
    void a22_overflowComputingSize() {
        fails("{" + t("test", "I32", "[2,9223372036854775807]", 0, 16) + "}", 16, Reason.OVERFLOW,
                "overflow computing buffer size", "`test`");
        fails("{" + t("test", "F32", "[4294967296,4294967296]", 0, 16) + "}", 16, Reason.OVERFLOW, "`test`");
        fails("{" + t("test", "U8", "[9223372036854775807,2]", 0, 16) + "}", 16, Reason.OVERFLOW, "`test`");
    }

    @Test
    void a23_headerTooLargeOnWrite() {
        String big = "a".repeat(100_000_000);
        assertThatThrownBy(() -> Safetensors.serializedLength(Map.of(), Map.of("x", big)))
                .isInstanceOfSatisfying(SafetensorsException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.HEADER_TOO_LARGE))
                .hasMessageContaining("header too large");
    }

    @Test
    void a34_unknownDtype() {
        assertThat(DType.fromHeaderName("nonsense")).isNull();
        fails("{" + t("w", "nonsense", "[1]", 0, 4) + "}", 4, Reason.UNKNOWN_DTYPE, "unknown dtype", "`w`");
        fails("{" + t("w", "F128", "[1]", 0, 16) + "}", 16, Reason.UNKNOWN_DTYPE, "`w`");
        fails("{" + t("w", "f32", "[1]", 0, 4) + "}", 4, Reason.UNKNOWN_DTYPE, "`w`");
        fails("{" + t("w", "C128", "[1]", 0, 16) + "}", 16, Reason.UNKNOWN_DTYPE, "`w`");
        fails("{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "dtype must be a string");
    }

    @Test
    void a35_fileNotFound(@TempDir Path tmp) {
        assertThatThrownBy(() -> SafetensorsFile.open(tmp.resolve("notafile")))
                .isInstanceOf(NoSuchFileException.class).hasMessageContaining("notafile");
    }

    @Test
    void a36_accessAfterClose() throws Exception {
        SafetensorsFile f = SafetensorsFile.open(TestFiles.fixture("with_metadata.safetensors"));
        Tensor w = f.tensor("weight");
        f.close();
        f.close(); // idempotent
        assertThat(f.isOpen()).isFalse();
        assertThatThrownBy(() -> w.getFloat(0, 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(w::toFloatArray).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> f.tensor("bias").getFloat(0)).isInstanceOf(IllegalStateException.class);
        // after close every library method refuses with the typed closed exception naming the file
        assertThatThrownBy(() -> f.tensor("nope")).isInstanceOf(dev.weightmap.WeightsClosedException.class)
                .hasMessageContaining("with_metadata.safetensors");
    }

    @Test
    void a38_dataOffsetOverflow() {
        fails("{" + t("w", "F32", "[1024,1024]", 0, 4194304) + "}", 1, Reason.INCOMPLETE_BUFFER);
    }

    @Test
    void tensorNotFound() {
        SafetensorsFile f = TestFiles.parse("{" + t("a", "F32", "[1]", 0, 4) + "}", 4);
        assertThatThrownBy(() -> f.tensor("b")).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.TENSOR_NOT_FOUND))
                .hasMessage("mem.safetensors: tensor `b` not found");
        assertThatThrownBy(() -> f.info("b")).isInstanceOf(SafetensorsException.class);
        assertThatThrownBy(() -> f.slice("b")).isInstanceOf(SafetensorsException.class);
        assertThat(f.contains("b")).isFalse();
        assertThat(f.tensors().get("b")).isNull();
    }

    // ------------------------------------------------------------------ attacks/

    @Test
    void attackManyAliasingEntriesFailFast() {
        int n = 200_000;
        StringBuilder sb = new StringBuilder(n * 60).append('{');
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(t("t" + i, "F32", "[40000]", 0, 160000));
        }
        sb.append('}');
        fails(sb.toString(), 160000, Reason.INVALID_OFFSET, "invalid offset for tensor `t");
    }

    // ------------------------------------------------------------------ extra edge cases (0.8.0 wheel)

    @Test
    void duplicateKeysAreErrors() {
        // the reference keeps the last entry; we reject (DECISIONS.md 13)
        String a = t("a", "F32", "[1]", 0, 4);
        fails("{" + a + "," + a + "}", 4, Reason.DUPLICATE_KEY, "duplicate tensor name `a`");
        fails("{" + t("a", "F32", "[2]", 0, 8) + "," + a + "}", 4, Reason.DUPLICATE_KEY, "`a`");
        fails("{\"__metadata__\":{},\"__metadata__\":{}}", 0, Reason.DUPLICATE_KEY, "`__metadata__`");
        fails("{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, Reason.DUPLICATE_KEY, "`k`");
        // escapes are decoded before comparing
        fails("{" + a + "," + t("\\u0061", "F32", "[1]", 4, 8) + "}", 8, Reason.DUPLICATE_KEY, "`a`");
    }

    @Test
    void metadataRules() {
        fails("{\"__metadata__\":{\"k\":1}}", 0, Reason.INVALID_JSON, "must be a string");
        fails("{\"__metadata__\":{\"k\":{\"x\":\"y\"}}}", 0, Reason.INVALID_JSON, "must be a string");
        fails("{\"__metadata__\":\"x\"}", 0, Reason.INVALID_JSON, "must be an object");
        fails("{\"__metadata__\":[]}", 0, Reason.INVALID_JSON);
        fails("{\"__metadata__\":nul}", 0, Reason.INVALID_JSON);
        assertThat(TestFiles.parse("{\"__metadata__\":null}", 0).metadata()).isEmpty();
        assertThat(TestFiles.parse("{\"__metadata__\":{}}", 0).metadata()).isEmpty();
        SafetensorsFile f = TestFiles.parse("{\"__metadata__\":{\"b\":\"2\",\"a\":\"x\\n\\u00e9\\ud83d\\ude00\"},"
                + t("w", "U8", "[1]", 0, 1) + "}", 1);
        assertThat(f.metadata()).containsExactly(Map.entry("b", "2"), Map.entry("a", "x\né😀"));
        assertThatThrownBy(() -> f.metadata().put("c", "d")).isInstanceOf(UnsupportedOperationException.class);
        // metadata after tensors
        assertThat(TestFiles.parse("{" + t("w", "U8", "[1]", 0, 1) + ",\"__metadata__\":{\"k\":\"v\"}}", 1).metadata())
                .isEqualTo(Map.of("k", "v"));
    }

    @Test
    void tensorEntryRules() {
        // unknown fields are ignored (any JSON value)
        SafetensorsFile f = TestFiles.parse("{\"w\":{\"extra\":{\"x\":[1,2,{\"y\":null}]},\"dtype\":\"F32\",\"shape\":[1],"
                + "\"data_offsets\":[0,4],\"z\":true}}", 4);
        assertThat(f.info("w").dtype()).isEqualTo(DType.F32);
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4, Reason.INVALID_JSON, "exactly 2", "`w`");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,4]}}", 4, Reason.INVALID_JSON, "exactly 2");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "negative");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "floating-point");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1e0],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "floating-point");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON);
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "leading zero");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":\"1\",\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON);
        fails("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "missing field `shape`", "`w`");
        fails("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "missing field `dtype`");
        fails("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, Reason.INVALID_JSON, "missing field `data_offsets`");
        fails("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, Reason.INVALID_JSON, "duplicate field");
        fails("{\"w\":[]}", 0, Reason.INVALID_JSON, "must be an object", "`w`");
        fails("{\"w\":\"F32\"}", 0, Reason.INVALID_JSON, "`w`");
        fails("{\"w\":null}", 0, Reason.INVALID_JSON, "`w`");
    }

    @Test
    void documentRules() {
        fails("[]", 0, Reason.INVALID_JSON);
        fails("{}x", 0, Reason.INVALID_JSON, "trailing characters");
        fails(image(4, new byte[] {'{', '}', 0, 0}, new byte[0]), Reason.INVALID_JSON, "trailing characters"); // NUL padding
        fails(image(5, new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}, new byte[0]), Reason.INVALID_JSON); // BOM
        fails(image(0, new byte[0], new byte[0]), Reason.INVALID_JSON, "end of input"); // N = 0
        fails("{\"a\":1,}", 0, Reason.INVALID_JSON);
        fails("{,}", 0, Reason.INVALID_JSON);
        fails("{\"a\" 1}", 0, Reason.INVALID_JSON);
        fails("{'a':1}", 0, Reason.INVALID_JSON);
        fails("{\"a\\x\":1}", 0, Reason.INVALID_JSON, "invalid escape");
        fails("{\"a\\ud800\":1}", 0, Reason.INVALID_JSON, "surrogate");
        fails("{\"a\tb\":1}", 0, Reason.INVALID_JSON, "control character");
        fails("{\"abc", 0, Reason.INVALID_JSON, "unterminated");
        fails("{}{}", 0, Reason.INVALID_JSON);
        assertThat(TestFiles.parse("{}", 0).size()).isZero();
    }

    @Test
    void offsetRules() {
        fails("{" + t("a", "U8", "[4]", 4, 8) + "}", 8, Reason.INVALID_OFFSET, "`a`"); // hole at start
        fails("{" + t("a", "U8", "[4]", 0, 4) + "," + t("b", "U8", "[4]", 5, 9) + "}", 9, Reason.INVALID_OFFSET, "`b`"); // gap
        fails("{" + t("a", "U8", "[4]", 0, 4) + "," + t("b", "U8", "[4]", 3, 7) + "}", 7, Reason.INVALID_OFFSET, "`b`"); // overlap
        fails("{" + t("a", "U8", "[4]", 0, 4) + "," + t("b", "U8", "[4]", 0, 4) + "}", 4, Reason.INVALID_OFFSET, "`b`"); // identical
        fails("{" + t("a", "U8", "[4]", 4, 0) + "}", 4, Reason.INVALID_OFFSET, "`a`"); // reversed
        fails("{" + t("a", "U8", "[4]", 0, 4) + "," + t("z", "U8", "[0]", 8, 8) + "}", 4, Reason.INVALID_OFFSET, "`z`"); // zero-size beyond cursor
        // out-of-order JSON is fine: names come back in data order
        SafetensorsFile f = TestFiles.parse("{" + t("b", "U8", "[4]", 4, 8) + "," + t("a", "U8", "[4]", 0, 4) + "}", 8);
        assertThat(f.names()).containsExactly("a", "b");
        assertThat(f.info("b").begin()).isEqualTo(4);
        assertThat(f.tensor("b").storage().address() - f.tensor("a").storage().address()).isEqualTo(4);
        // zero-size at 0, between and at the end
        f = TestFiles.parse("{" + t("z0", "F32", "[0]", 0, 0) + "," + t("a", "U8", "[4]", 0, 4) + ","
                + t("z1", "F32", "[2,0]", 4, 4) + "," + t("b", "U8", "[4]", 4, 8) + "," + t("z2", "I64", "[0,3]", 8, 8) + "}", 8);
        assertThat(f.names()).containsExactly("z0", "a", "z1", "b", "z2");
        f = TestFiles.parse("{" + t("z1", "F32", "[0]", 0, 0) + "," + t("z2", "F32", "[0]", 0, 0) + "}", 0);
        assertThat(f.size()).isEqualTo(2);
    }

    @Test
    void dtypeLengthRules() {
        fails("{" + t("f", "F4", "[3]", 0, 2) + "}", 2, Reason.MISALIGNED_SUBBYTE, "`f`");
        fails("{" + t("f", "F6_E2M3", "[2]", 0, 2) + "}", 2, Reason.MISALIGNED_SUBBYTE, "`f`");
        fails("{" + t("f", "F6_E3M2", "[1]", 0, 1) + "}", 1, Reason.MISALIGNED_SUBBYTE, "`f`");
        assertThat(TestFiles.parse("{" + t("f", "F4", "[4]", 0, 2) + "}", 2).tensor("f").byteLength()).isEqualTo(2);
        assertThat(TestFiles.parse("{" + t("f", "F6_E2M3", "[4]", 0, 3) + "}", 3).tensor("f").byteLength()).isEqualTo(3);
        assertThat(TestFiles.parse("{" + t("f", "F6_E3M2", "[2,2]", 0, 3) + "}", 3).tensor("f").byteLength()).isEqualTo(3);
        for (String ok : new String[] {t("e", "F8_E8M0", "[2]", 0, 2), t("c", "C64", "[1]", 0, 8),
                t("b", "BOOL", "[3]", 0, 3), t("s", "F64", "[]", 0, 8), t("", "U8", "[1]", 0, 1),
                t("a\\u0062\\\"\\\\", "U8", "[1]", 0, 1)}) {
            SafetensorsFile f = TestFiles.parse("{" + ok + "}", (int) TestFiles.parse("{" + ok + "}",
                    Integer.parseInt(ok.replaceAll(".*,(\\d+)]}$", "$1"))).info(TestFiles.parse("{" + ok + "}",
                    Integer.parseInt(ok.replaceAll(".*,(\\d+)]}$", "$1"))).names().get(0)).length());
            assertThat(f.size()).isEqualTo(1);
        }
        SafetensorsFile f = TestFiles.parse("{" + t("a\\u0062\\\"\\\\", "U8", "[1]", 0, 1) + "," + t("", "U8", "[1]", 1, 2) + "}", 2);
        assertThat(f.names()).containsExactly("ab\"\\", "");
        assertThat(f.tensor("").getLong(0)).isZero();
    }

    @Test
    void unicodeNames() {
        SafetensorsFile f = TestFiles.parse("{" + t("é😀", "U8", "[1]", 0, 1) + "," + t("\\u00e9\\ud83d\\ude01", "U8", "[1]", 1, 2) + "}", 2);
        assertThat(f.names()).containsExactly("é😀", "é😁");
    }

    @Test
    void customHeaderLimit(@TempDir Path tmp) throws Exception {
        byte[] img = image("{" + t("a", "U8", "[1]", 0, 1) + "}", new byte[1]);
        long n = img.length - 9;
        assertThat(SafetensorsFile.parse(MemorySegment.ofArray(img), "x", n).size()).isEqualTo(1);
        assertThatThrownBy(() -> SafetensorsFile.parse(MemorySegment.ofArray(img), "x", n - 1))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> assertThat(e.reason()).isEqualTo(Reason.HEADER_TOO_LARGE))
                .hasMessageContaining("limit " + (n - 1));
        Path p = tmp.resolve("a.safetensors");
        Files.write(p, img);
        try (SafetensorsFile f = SafetensorsFile.open(p, n)) {
            assertThat(f.size()).isEqualTo(1);
        }
        assertThatThrownBy(() -> SafetensorsFile.open(p, n - 1)).isInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith(p.toString() + ": ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "{}", "not safetensors at all, just text"})
    void openFromDiskNamesTheFile(String content, @TempDir Path tmp) throws Exception {
        Path p = tmp.resolve("bad.safetensors");
        Files.writeString(p, content);
        assertThatThrownBy(() -> SafetensorsFile.open(p)).isInstanceOf(SafetensorsException.class)
                .hasMessageStartingWith(p + ": ");
    }

    @Test
    void openDirectoryIsIoError(@TempDir Path tmp) {
        assertThatThrownBy(() -> SafetensorsFile.open(tmp)).isInstanceOf(java.io.IOException.class)
                .isNotInstanceOf(NoSuchFileException.class);
    }

    @Test
    void writerRejectsBadInput() {
        Tensor ok = Tensor.ofFloats(new float[1], 1);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("__metadata__", ok);
        assertThatThrownBy(() -> TestFiles.serialize(m, null)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_TENSOR)).hasMessageContaining("__metadata__");
        Map<String, Tensor> c128 = Map.of("z", Tensor.of(MemorySegment.ofArray(new byte[16]), DType.C128, 1));
        assertThatThrownBy(() -> TestFiles.serialize(c128, null)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_TENSOR)).hasMessageContaining("`z`").hasMessageContaining("C128");
        Map<String, Tensor> nul = new LinkedHashMap<>();
        nul.put("n", null);
        assertThatThrownBy(() -> TestFiles.serialize(nul, null)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_TENSOR));
        Map<String, String> md = new LinkedHashMap<>();
        md.put("k", null);
        assertThatThrownBy(() -> TestFiles.serialize(Map.of("a", ok), md)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_METADATA));
    }

    @Test
    void escapesAndWhitespaceEverywhere() {
        // field names and dtypes are compared after unescaping, as serde does
        SafetensorsFile f = TestFiles.parse(" { \"w\" : { \"d\\u0074ype\" : \"\\u0046\\u0033\\u0032\" , \"shape\" : [ 1 , 2 ] ,"
                + " \"data_offsets\" :\t[ 0 ,\n8 ] } }\r\n", 8);
        assertThat(f.info("w").dtype()).isEqualTo(DType.F32);
        assertThat(f.info("w").shape()).containsExactly(1, 2);
        // long names, with and without escapes and non-ASCII
        String longName = "é😀\\n".repeat(3000);
        SafetensorsFile g = TestFiles.parse("{\"" + longName + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},\""
                + "x".repeat(70000) + "\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2);
        assertThat(g.names().get(0)).isEqualTo("é😀\n".repeat(3000));
        assertThat(g.names().get(1)).hasSize(70000);
        // a dtype name that only matches after a prefix, or differs in case, is unknown
        fails("{" + t("w", "F32 ", "[1]", 0, 4) + "}", 4, Reason.UNKNOWN_DTYPE, "`w`");
        fails("{" + t("w", "F3", "[1]", 0, 4) + "}", 4, Reason.UNKNOWN_DTYPE, "`w`");
        fails("{" + t("w", "bf16", "[1]", 0, 2) + "}", 2, Reason.UNKNOWN_DTYPE, "`w`");
        // every dtype name is recognised
        for (DType d : DType.values()) {
            if (d.isSafetensors() && !d.isSubByte()) {
                SafetensorsFile h = TestFiles.parse("{" + t("w", d.headerName(), "[2]", 0, 2L * d.byteSize()) + "}", 2 * d.byteSize());
                assertThat(h.info("w").dtype()).isEqualTo(d);
            }
        }
    }
}
