// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.json;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonWriterTest {

    static Map<String, Object> sample() {
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("total_size", 82816L);
        md.put("note", "h\u00e9llo \u2713 \uD83D\uDE00 \u007f \u001f \"q\" \\ /\n\t");
        Map<String, Object> wm = new LinkedHashMap<>();
        wm.put("a.weight", "model-00001-of-00002.safetensors");
        wm.put("b", "x");
        List<Object> list = new ArrayList<>(Arrays.asList(1, List.of(), Map.of(), new long[] {2, 3}, null, true, false, -5L,
                new BigInteger("12345678901234567890")));
        List<Object> floats = Arrays.asList(0.1, 1.0, -0.0, 1e16, 1e15, 1.5e-7, 0.0001, 0.00001, 123456.789, 1e300,
                Double.MIN_VALUE, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 2.5e-5, 100.0);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("metadata", md);
        o.put("weight_map", wm);
        o.put("list", list);
        o.put("floats", floats);
        return o;
    }

    @Test
    void pythonIndent2IsByteIdenticalToJsonDumps() throws Exception {
        String expected = new String(JsonWriterTest.class.getResourceAsStream("python-indent2.json").readAllBytes(),
                StandardCharsets.UTF_8);
        String actual = JsonWriter.python(2).write(sample());
        assertThat(actual.lines().toList()).containsExactlyElementsOf(expected.lines().toList());
        assertThat(actual).isEqualTo(expected);
    }

    @Test
    void compactIsSerdeStyle() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("k", "é😀 \"\\ /\n\t\r\b\f\u0001\u007f");
        o.put("shape", new long[] {1, 2});
        o.put("e", List.of());
        o.put("m", Map.of());
        o.put("n", null);
        o.put("i", 3);
        assertThat(JsonWriter.compact().write(o))
                .isEqualTo("{\"k\":\"é😀 \\\"\\\\ /\\n\\t\\r\\b\\f\\u0001\u007f\",\"shape\":[1,2],\"e\":[],\"m\":{},\"n\":null,\"i\":3}");
        assertThat(JsonWriter.compactObject(Map.of())).isEqualTo("{}");
        assertThat(JsonWriter.compactArray(List.of("a", 1L))).isEqualTo("[\"a\",1]");
        assertThatThrownBy(() -> JsonWriter.compact().write(new Object())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writtenTextParsesBack() {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("s", "é😀\u0000\u001f\"\\");
        o.put("l", List.of(1L, "x", List.of(true, false)));
        for (JsonWriter w : new JsonWriter[] {JsonWriter.compact(), JsonWriter.python(2), JsonWriter.python(0)}) {
            assertThat(JsonReader.parse(w.write(o).getBytes(StandardCharsets.UTF_8))).isEqualTo(o);
        }
    }

    @Test
    void pythonFloatRepr() {
        // values checked against CPython 3.11 repr()
        String[][] cases = {{"1e+22", "1e22"}, {"1.7976931348623157e+308", "1.7976931348623157e308"}, {"2e-07", "2e-7"},
            {"0.30000000000000004", "0.30000000000000004"}, {"-1.5", "-1.5"}, {"123456789012345.6", "123456789012345.6"},
            {"9007199254740992.0", "9007199254740993"}, {"-5e-324", "-5e-324"}, {"1e-05", "1e-5"}, {"0.001", "0.001"}};
        for (String[] c : cases) {
            assertThat(JsonWriter.pythonRepr(Double.parseDouble(c[1]))).as(c[1]).isEqualTo(c[0]);
        }
    }
}
