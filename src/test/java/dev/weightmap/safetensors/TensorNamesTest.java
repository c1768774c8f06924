// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.safetensors.SafetensorsException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static dev.weightmap.safetensors.TestFiles.image;
import static dev.weightmap.safetensors.TestFiles.parse;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Names are kept as header positions until asked for (plain ASCII) or decoded while parsing (escapes,
 * non-ASCII); the name table is built from hashes and confirmed on header bytes. These cases exercise both
 * kinds of names together, hash collisions, reordering to data order, and use after close.
 */
class TensorNamesTest {
    private static String entry(String jsonName, long begin, long end) {
        return "\"" + jsonName + "\":{\"dtype\":\"U8\",\"shape\":[" + (end - begin) + "],\"data_offsets\":[" + begin
                + "," + end + "]}";
    }

    @Test
    void escapedAndPlainNamesAreFoundAndListed() {
        SafetensorsFile f = parse("{" + entry("plain", 0, 1) + "," + entry("tab\\there", 1, 2) + ","
                + entry("\\u00e9t\\u00e9", 2, 3) + "," + entry("quote\\\"d", 3, 4) + "," + entry("h\u00e9", 4, 5) + "}", 5);
        assertThat(f.names()).containsExactly("plain", "tab\there", "\u00e9t\u00e9", "quote\"d", "h\u00e9");
        for (String n : f.names()) {
            assertThat(f.contains(n)).as(n).isTrue();
        }
        assertThat(f.info("quote\"d").begin()).isEqualTo(3);
        assertThat(f.info("h\u00e9").begin()).isEqualTo(4);
        assertThat(f.contains("tab\\there")).isFalse();
        assertThat(f.contains("plai")).isFalse();
    }

    @Test
    void anEscapedNameDuplicatingAPlainOneIsRejected() {
        for (String header : List.of("{" + entry("ab", 0, 1) + "," + entry("a\\u0062", 1, 2) + "}",
                "{" + entry("a\\u0062", 0, 1) + "," + entry("ab", 1, 2) + "}",
                "{" + entry("a\\u0062", 0, 1) + "," + entry("\\u0061b", 1, 2) + "}")) {
            assertThatThrownBy(() -> parse(header, 2)).as(header)
                    .isInstanceOfSatisfying(SafetensorsException.class, e -> {
                        assertThat(e.reason()).isEqualTo(Reason.DUPLICATE_KEY);
                        assertThat(e.getMessage()).contains("duplicate tensor name `ab`");
                    });
        }
    }

    @Test
    void namesWithEqualHashesStayDistinct() {
        // "Aa" and "BB" have the same String.hashCode, as have "AaAa", "AaBB", "BBAa" and "BBBB"
        assertThat("Aa".hashCode()).isEqualTo("BB".hashCode());
        SafetensorsFile f = parse("{" + entry("Aa", 0, 1) + "," + entry("BB", 1, 3) + "," + entry("AaBB", 3, 6) + ","
                + entry("BBAa", 6, 10) + "}", 10);
        assertThat(f.info("Aa").end()).isEqualTo(1);
        assertThat(f.info("BB").end()).isEqualTo(3);
        assertThat(f.info("AaBB").end()).isEqualTo(6);
        assertThat(f.info("BBAa").end()).isEqualTo(10);
        assertThat(f.contains("AaAa")).isFalse();
        assertThat(f.contains("BBBB")).isFalse();
        assertThatThrownBy(() -> parse("{" + entry("AaBB", 0, 1) + "," + entry("BBAa", 1, 2) + "," + entry("AaBB", 2, 3)
                + "}", 3)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.getMessage()).contains("duplicate tensor name `AaBB`"));
    }

    @Test
    void entriesOutOfDataOrderAreFoundUnderTheirNames() {
        SafetensorsFile f = parse("{" + entry("c", 3, 6) + "," + entry("a\\u0041", 0, 1) + "," + entry("b", 1, 3) + "}", 6);
        assertThat(f.names()).containsExactly("aA", "b", "c");
        assertThat(f.info("c").begin()).isEqualTo(3);
        assertThat(f.info("aA").begin()).isEqualTo(0);
        assertThat(f.info("b").begin()).isEqualTo(1);
        assertThat(f.tensor("c").data().byteSize()).isEqualTo(3);
    }

    @Test
    void errorMessagesNameTheTensorWhetherPlainOrEscaped() {
        assertThatThrownBy(() -> parse("{" + entry("first", 0, 1) + "," + entry("sec\\u006fnd", 2, 3) + "}", 3))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.INVALID_OFFSET);
                    assertThat(e.getMessage()).contains("`second`");
                });
        assertThatThrownBy(() -> parse("{\"plain\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,3]}}", 3))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.TENSOR_INVALID_INFO);
                    assertThat(e.getMessage()).contains("`plain`");
                });
        assertThatThrownBy(() -> parse("{\"plain\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,x]}}", 3))
                .isInstanceOfSatisfying(SafetensorsException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.INVALID_JSON);
                    assertThat(e.getMessage()).contains("(tensor `plain`)");
                });
    }

    @Test
    void namesAskedForBeforeCloseStayReadableAfterwards(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("t.safetensors");
        Files.write(p, image("{" + entry("w1", 0, 1) + "," + entry("w2", 1, 2) + "}", new byte[2]));
        List<String> names;
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            names = f.names();
        }
        assertThat(names).containsExactly("w1", "w2");

        SafetensorsFile g = SafetensorsFile.open(p);
        g.close();
        assertThat(g.size()).isEqualTo(2);
        assertThatThrownBy(g::names).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> g.tensor("w1")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void manyNamesWithSharedPrefixes() {
        StringBuilder h = new StringBuilder("{");
        int n = 5000;
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                h.append(',');
            }
            h.append(entry("model.layers." + (i / 7) + ".mlp.w" + (i % 7), i, i + 1));
        }
        SafetensorsFile f = parse(h.append('}').toString(), n);
        assertThat(f.size()).isEqualTo(n);
        for (int i = 0; i < n; i++) {
            assertThat(f.info("model.layers." + (i / 7) + ".mlp.w" + (i % 7)).begin()).isEqualTo(i);
        }
        assertThat(f.contains("model.layers.0.mlp.w7")).isFalse();
        assertThat(f.names().get(n - 1)).isEqualTo("model.layers." + ((n - 1) / 7) + ".mlp.w" + ((n - 1) % 7));
    }

    @Test
    void theNameListIsAnImmutableOrderedViewReadableAfterClose(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("v.safetensors");
        Files.write(p, image("{" + entry("c", 2, 3) + "," + entry("a\\u0041", 0, 1) + "," + entry("b", 1, 2) + "}",
                new byte[3]));
        List<String> names;
        try (dev.weightmap.Weights w = dev.weightmap.Weights.open(p)) {
            names = w.tensorNames();
            assertThat(w.tensorNames()).isSameAs(names);
        }
        // nothing was read before close: each name is built from the header's heap copy on first read
        assertThat(names).containsExactly("aA", "b", "c").isEqualTo(List.of("aA", "b", "c"));
        assertThat(names.hashCode()).isEqualTo(List.of("aA", "b", "c").hashCode());
        assertThat(names.indexOf("c")).isEqualTo(2);
        assertThat(names.lastIndexOf("b")).isEqualTo(1);
        assertThat(names.contains("aA")).isTrue();
        assertThat(names.contains("a")).isFalse();
        assertThat(names.contains(null)).isFalse();
        assertThat(names.indexOf(7)).isEqualTo(-1);
        assertThat(names).isInstanceOf(java.util.RandomAccess.class);
        assertThatThrownBy(() -> names.add("d")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> names.set(0, "d")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> names.remove(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(names::clear).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> names.get(3)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThat(names.subList(1, 3)).containsExactly("b", "c");
    }
}
