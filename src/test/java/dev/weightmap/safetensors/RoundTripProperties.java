// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Random dtypes, shapes, names and metadata survive write, then parse. */
class RoundTripProperties {

    record Spec(DType dtype, long[] shape, byte[] data) {
    }

    static final List<DType> DTYPES = Arrays.stream(DType.values()).filter(DType::isSafetensors).toList();

    @Provide
    Arbitrary<Spec> specs() {
        Arbitrary<DType> dtype = Arbitraries.of(DTYPES);
        Arbitrary<long[]> shape = Arbitraries.longs().between(0, 5).array(long[].class).ofMaxSize(3);
        return Combinators.combine(dtype, shape, Arbitraries.randoms()).as((d, s, rnd) -> {
            long[] sh = s.clone();
            if (d.isSubByte()) {
                // make numel * bits a multiple of 8: append a dimension of 4 (or 8)
                sh = Arrays.copyOf(sh, sh.length + 1);
                sh[sh.length - 1] = 4;
            }
            byte[] data = new byte[(int) d.byteLength(sh)];
            rnd.nextBytes(data);
            return new Spec(d, sh, data);
        });
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.oneOf(
                Arbitraries.strings().alpha().numeric().withChars("._-/ ").ofMaxLength(12),
                Arbitraries.strings().withCharRange('\u0000', '\uD7FF').ofMaxLength(6),
                Arbitraries.of("é", "\uFF01", "\uD83D\uDE00", "\"", "\\", "\t", "", "__metadata", "a\u0000b"));
    }

    @Property(tries = 300)
    void writeThenParseGivesTheSameTensors(@ForAll("tensorMaps") Map<String, Spec> specs,
                                           @ForAll("metadata") Map<String, String> metadata) {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        specs.forEach((n, s) -> tensors.put(n, Tensor.of(MemorySegment.ofArray(s.data()), s.dtype(), s.shape())));
        byte[] out = TestFiles.serialize(tensors, metadata);
        assertThat((long) out.length).isEqualTo(Safetensors.serializedLength(tensors, metadata));
        SafetensorsFile f = TestFiles.parse(out);
        assertThat(f.dataStart() % 8).isZero();
        assertThat(f.metadata()).isEqualTo(metadata);
        assertThat(f.sortedNames()).containsExactlyInAnyOrderElementsOf(specs.keySet());
        for (Map.Entry<String, Spec> e : specs.entrySet()) {
            Tensor t = f.tensor(e.getKey());
            assertThat(t.dtype()).isEqualTo(e.getValue().dtype());
            assertThat(t.shape()).isEqualTo(e.getValue().shape());
            assertThat(t.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(e.getValue().data());
            if (!t.dtype().isSubByte() && t.numel() > 0) {
                assertThat(t.alignment() % Math.min(8, t.dtype().byteSize()) == 0
                        || f.segment().heapBase().isPresent()).isTrue();
                assertThat(f.info(e.getKey()).absoluteOffset(f.dataStart()) % t.dtype().byteSize()).isZero();
            }
        }
        // writing the parsed file again gives the same bytes
        assertThat(TestFiles.serialize(f.tensors(), f.metadata())).isEqualTo(out);
    }

    @Provide
    Arbitrary<Map<String, Spec>> tensorMaps() {
        return Arbitraries.maps(names(), specs()).ofMaxSize(8);
    }

    @Provide
    Arbitrary<Map<String, String>> metadata() {
        return Arbitraries.maps(names(), names()).ofMaxSize(3);
    }

    @Property(tries = 200)
    void stridedViewsAreWrittenAsTheirLogicalBytes(@ForAll @Size(min = 1, max = 3) List<@net.jqwik.api.constraints.IntRange(min = 1, max = 5) Integer> dims,
                                                   @ForAll boolean transpose) {
        long[] shape = dims.stream().mapToLong(Integer::longValue).toArray();
        int n = (int) DType.numel(shape);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        Tensor t = Tensor.ofFloats(v, shape);
        if (transpose && shape.length > 1) {
            t = t.transpose(0, shape.length - 1);
        }
        if (shape[0] > 1) {
            t = t.slice(0, 1, t.size(0), 2);
        }
        SafetensorsFile f = TestFiles.parse(TestFiles.serialize(Map.of("t", t), null));
        assertThat(f.tensor("t").shape()).isEqualTo(t.shape());
        assertThat(f.tensor("t").toFloatArray()).isEqualTo(t.toFloatArray());
    }
}
