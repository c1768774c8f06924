// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Names chosen to share one {@link String#hashCode} (every string of 17 "Aa"/"BB" pairs: 131,072 names in a 12 MB
 * header) must not make the name table quadratic: the work is counted in probes, not timed.
 */
class NameFloodingTest {
    /** A safetensors image with one U8 [1] tensor per name, in the given order; names may hold JSON escapes. */
    static byte[] image(List<String> jsonNames) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < jsonNames.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append('"').append(jsonNames.get(i)).append("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[")
                    .append(i).append(',').append(i + 1).append("]}");
        }
        byte[] header = sb.append('}').toString().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + header.length + jsonNames.size()).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(header.length).put(header).array();
    }

    private static HeaderParser.Header parse(byte[] image) {
        return HeaderParser.parse(MemorySegment.ofArray(image), "flood.safetensors", HeaderParser.DEFAULT_MAX_HEADER);
    }

    @Test
    void oneHashCodeFor131072NamesCostsLinearWork() {
        List<String> names = TestFiles.collidingNames(17);
        assertThat(names).extracting(String::hashCode).containsOnly(names.get(0).hashCode());
        HeaderParser.Header h = parse(image(names));
        TensorNames t = h.names();
        assertThat(t.size()).isEqualTo(names.size());
        for (int i = 0; i < names.size(); i++) {
            assertThat(t.indexOf(names.get(i))).isEqualTo(i);
        }
        assertThat(t.indexOf("AaAa")).isEqualTo(-1);
        assertThat(t.indexOf(names.get(0) + "Aa")).isEqualTo(-1);
        NameIndex index = t.index();
        assertThat(index.hardened()).isTrue();
        // quadratic would be ~ 131,072^2 / 2 = 8.6e9 probes; the keyed table takes a few per name
        assertThat(index.probes()).isLessThan(40L * names.size());
    }

    @Test
    void escapedAndPlainCollidingNamesAgreeUnderTheKeyedHash() {
        // the same colliding names, every other one spelled with an escape (decoded while parsing)
        List<String> names = TestFiles.collidingNames(12);
        List<String> json = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            json.add(i % 2 == 0 ? names.get(i) : names.get(i).replace("B", "\\u0042"));
        }
        TensorNames t = parse(image(json)).names();
        assertThat(t.index().hardened()).isTrue();
        for (int i = 0; i < names.size(); i++) {
            assertThat(t.indexOf(names.get(i))).as(names.get(i)).isEqualTo(i);
            assertThat(t.get(i)).isEqualTo(names.get(i));
        }
    }

    @Test
    void aDuplicateAmongCollidingNamesIsStillFound() {
        List<String> names = new ArrayList<>(TestFiles.collidingNames(10));
        names.add(names.get(3));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse(image(names)))
                .isInstanceOf(SafetensorsException.class).hasMessageContaining("duplicate tensor name `" + names.get(3));
    }

    @Test
    void ordinaryNamesKeepTheFastHash() {
        List<String> names = new ArrayList<>();
        for (int layer = 0; layer < 200; layer++) {
            for (String p : List.of("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")) {
                names.add("model.layers." + layer + "." + p + ".weight");
            }
        }
        for (int i = 0; i < 20_000; i++) {
            names.add("t" + i);
        }
        TensorNames t = parse(image(names)).names();
        for (int i = 0; i < names.size(); i++) {
            assertThat(t.indexOf(names.get(i))).isEqualTo(i);
        }
        assertThat(t.index().hardened()).isFalse();
    }

    @Test
    void theKeyedHashOfBytesEqualsThatOfTheString() {
        for (String s : List.of("", "a", "ab", "abc", "abcd", "abcde", "model.layers.0.weight", "\u00e9t\u00e9")) {
            byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
            assertThat(NameIndex.strongHash(b, 0, b.length)).as(s).isEqualTo(NameIndex.strongHash(s));
        }
        assertThat(NameIndex.strongHash("Aa")).isNotEqualTo(NameIndex.strongHash("BB"));
    }
}
