// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.json;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonReaderTest {

    static Object parse(String s) {
        return JsonReader.parse(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void values() {
        assertThat(parse(" {\"a\" : [1, -2, 3.5, 1e3, -0.0, true, false, null, \"x\"], \"b\":{}}\n"))
                .isEqualTo(Map.of("a", Arrays.asList(1L, -2L, 3.5, 1000.0, -0.0, true, false, null, "x"), "b", Map.of()));
        assertThat(parse("9223372036854775807")).isEqualTo(Long.MAX_VALUE);
        assertThat(parse("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(parse("18446744073709551615")).isEqualTo(new BigInteger("18446744073709551615"));
        assertThat(parse("-9223372036854775809")).isEqualTo(new BigInteger("-9223372036854775809"));
        assertThat(Double.doubleToRawLongBits((Double) parse("-0.0"))).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(parse("\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"")).isEqualTo("é😀/\b\f\n\r\t\"\\");
        assertThat(parse("\"é😀\"")).isEqualTo("é😀");
        assertThat(parse("[]")).isEqualTo(List.of());
        // keys keep their order
        assertThat(List.<Object>copyOf(((Map<?, ?>) parse("{\"z\":1,\"a\":2,\"m\":3}")).keySet())).containsExactly("z", "a", "m");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "{", "}", "[1,]", "[,1]", "{\"a\":1,}", "{\"a\"}", "{a:1}", "'x'", "01", "1.", ".5", "1e",
        "+1", "--1", "NaN", "Infinity", "tru", "nulll", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"",
        "\"\\ud800\\u0041\"", "\"a\tb\"", "\"abc", "[1] [2]", "{\"a\":1,\"a\":2}", "\u00a0[]", "[1 2]", "{\"a\" 1}"})
    void rejects(String text) {
        assertThatThrownBy(() -> parse(text)).isInstanceOf(JsonException.class);
    }

    @Test
    void rejectsInvalidUtf8AsUtf8Errors() {
        for (byte[] bad : new byte[][] {{'"', (byte) 0xFF, '"'}, {'"', (byte) 0xC0, (byte) 0xAF, '"'},
            {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'}, {'"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'},
            {'"', (byte) 0xE2, (byte) 0x82, '"'}, {'"', (byte) 0xC3}}) {
            assertThatThrownBy(() -> JsonReader.parse(bad)).isInstanceOfSatisfying(JsonException.class,
                    e -> assertThat(e.isUtf8Error()).isTrue());
            assertThat(JsonReader.findInvalidUtf8(bad, 0, bad.length)).isEqualTo(1);
        }
        byte[] ok = "{\"é😀\u4e2d\":\"abcdefghijklmnop\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonReader.findInvalidUtf8(ok, 0, ok.length)).isEqualTo(-1);
        // offsets are relative to the range; a range that stops inside a sequence is invalid there
        byte[] tail = "0123456789é".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonReader.findInvalidUtf8(tail, 2, tail.length - 2)).isEqualTo(-1);
        assertThat(JsonReader.findInvalidUtf8(tail, 2, tail.length - 3)).isEqualTo(8);
        assertThatThrownBy(() -> JsonReader.findInvalidUtf8(tail, 2, tail.length)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void duplicateKeysAndDepth() {
        assertThatThrownBy(() -> parse("{\"a\":1,\"a\":1}")).isInstanceOf(JsonException.class).hasMessageContaining("duplicate key \"a\"");
        String deep = "[".repeat(600) + "]".repeat(600);
        assertThatThrownBy(() -> parse(deep)).isInstanceOf(JsonException.class).hasMessageContaining("nesting");
        String ok = "[".repeat(400) + "]".repeat(400);
        assertThat(parse(ok)).isInstanceOf(List.class);
    }

    @Test
    void pullApi() {
        JsonReader r = JsonReader.of("{ \"dtype\" : \"F32\", \"n\": 12, \"big\": 9223372036854775808, \"f\": 1.0 }".getBytes(StandardCharsets.UTF_8));
        r.expect('{');
        assertThat(r.nextMember(true)).isTrue();
        assertThat(r.readStringMatch(new byte[][] {"shape".getBytes(), "dtype".getBytes()})).isEqualTo(1);
        r.expect(':');
        assertThat(r.readStringMatch(new byte[][] {"F16".getBytes()})).isEqualTo(-1);
        assertThat(r.nextMember(false)).isTrue();
        assertThat(r.readString()).isEqualTo("n");
        r.expect(':');
        assertThat(r.readNonNegativeLong()).isEqualTo(12);
        assertThat(r.nextMember(false)).isTrue();
        r.readString();
        r.expect(':');
        assertThatThrownBy(r::readNonNegativeLong).isInstanceOfSatisfying(JsonException.class, e -> assertThat(e.isOverflow()).isTrue());
        JsonReader r2 = JsonReader.of("[0, 00, -1, 1.0, 1e2, 18446744073709551616, x]".getBytes(StandardCharsets.UTF_8));
        r2.expect('[');
        assertThat(r2.nextElement(true)).isTrue();
        assertThat(r2.readNonNegativeLong()).isZero();
        assertThat(r2.nextElement(false)).isTrue();
        assertThatThrownBy(r2::readNonNegativeLong).hasMessageContaining("leading zero");
        // a reader over part of an array reports positions relative to its start
        byte[] buf = "xxxx{\"a\":}".getBytes(StandardCharsets.UTF_8);
        JsonReader r3 = new JsonReader(buf, 4, buf.length - 4);
        assertThatThrownBy(r3::readValue).isInstanceOfSatisfying(JsonException.class, e -> assertThat(e.position()).isEqualTo(5));
    }

    @Test
    void readerStopsAtItsEnd() {
        byte[] buf = "{}garbage".getBytes(StandardCharsets.UTF_8);
        JsonReader r = new JsonReader(buf, 0, 2);
        assertThat(r.readValue()).isEqualTo(Map.of());
        r.expectEnd();
        JsonReader cut = new JsonReader("\"abc\"".getBytes(StandardCharsets.UTF_8), 0, 3);
        assertThatThrownBy(cut::readString).isInstanceOf(JsonException.class).hasMessageContaining("unterminated");
    }
}
