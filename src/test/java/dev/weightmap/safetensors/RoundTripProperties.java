// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Gen;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Random dtypes, shapes, names and metadata survive write, then parse. */
@ExtendWith(Seeded.Extension.class)
class RoundTripProperties {

    record Spec(DType dtype, long[] shape, byte[] data) {
        @Override
        public String toString() {
            return dtype + Arrays.toString(shape);
        }
    }

    static final List<DType> DTYPES = Arrays.stream(DType.values()).filter(DType::isSafetensors).toList();

    static final List<String> SPECIAL_NAMES = List.of("é", "\uFF01", "\uD83D\uDE00", "\"", "\\", "\t", "", "__metadata",
            "a\u0000b");

    /** A tensor of random bytes; sub-byte dtypes get a last dimension of 4 so that they fill whole bytes. */
    static Spec spec(DType d, long[] s, Gen g) {
        long[] sh = s.clone();
        if (d.isSubByte()) {
            // make numel * bits a multiple of 8: append a dimension of 4 (or 8)
            sh = Arrays.copyOf(sh, sh.length + 1);
            sh[sh.length - 1] = 4;
        }
        byte[] data = new byte[(int) d.byteLength(sh)];
        g.nextBytes(data);
        return new Spec(d, sh, data);
    }

    static Spec spec(Gen g) {
        DType d = g.pick(DTYPES);
        long[] shape = g.list(0, 3, () -> g.longIn(0, 5)).stream().mapToLong(Long::longValue).toArray();
        return spec(d, shape, g);
    }

    static String name(Gen g) {
        return switch (g.nextInt(3)) {
            case 0 -> g.string(0, 12, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/ ");
            case 1 -> g.string(0, 6, '\u0000', '\uD7FF');
            default -> g.pick(SPECIAL_NAMES);
        };
    }

    @Test
    void writeThenParseGivesTheSameTensors(Seeded seeded) {
        seeded.tries(300, g -> writeThenParseGivesTheSameTensors(g.map(8, () -> name(g), () -> spec(g)),
                g.map(3, () -> name(g), () -> name(g))));
    }

    @Test
    void writeThenParseGivesTheSameTensorsEdgeCases() {
        Gen g = new Gen(0);
        Seeded.example("no tensors, no metadata", () -> writeThenParseGivesTheSameTensors(Map.of(), Map.of()));
        Map<String, String> allNames = new LinkedHashMap<>();
        for (String n : SPECIAL_NAMES) {
            allNames.put(n, n);
        }
        Seeded.example("special metadata", () -> writeThenParseGivesTheSameTensors(Map.of(), allNames));
        List<long[]> shapes = List.of(new long[0], new long[] {0}, new long[] {1}, new long[] {5, 0, 5},
                new long[] {5, 5, 5});
        for (DType d : DTYPES) {
            for (long[] shape : shapes) {
                Map<String, Spec> one = Map.of("t", spec(d, shape, g));
                Seeded.example(one, () -> writeThenParseGivesTheSameTensors(one, Map.of()));
            }
            Map<String, Spec> named = new LinkedHashMap<>();
            for (String n : SPECIAL_NAMES) {
                named.put(n, spec(d, new long[] {1}, g));
            }
            Seeded.example(named, () -> writeThenParseGivesTheSameTensors(named, Map.of()));
        }
    }

    private static void writeThenParseGivesTheSameTensors(Map<String, Spec> specs, Map<String, String> metadata) {
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

    @Test
    void stridedViewsAreWrittenAsTheirLogicalBytes(Seeded seeded) {
        seeded.tries(200, g -> stridedViewsAreWrittenAsTheirLogicalBytes(g.ints(1, 3, 1, 5), g.nextBoolean()));
    }

    /** All 310 inputs (1 to 3 dimensions of 1 to 5, transposed or not). */
    @Test
    void stridedViewsAreWrittenAsTheirLogicalBytesForEveryInput() {
        List<List<Integer>> all = new ArrayList<>();
        for (int rank = 1; rank <= 3; rank++) {
            for (int k = 0; k < Math.pow(5, rank); k++) {
                List<Integer> dims = new ArrayList<>();
                for (int i = 0, v = k; i < rank; i++, v /= 5) {
                    dims.add(1 + v % 5);
                }
                all.add(dims);
            }
        }
        assertThat(all).hasSize(155);
        for (List<Integer> dims : all) {
            for (boolean transpose : new boolean[] {false, true}) {
                Seeded.example(dims + (transpose ? " transposed" : ""),
                        () -> stridedViewsAreWrittenAsTheirLogicalBytes(dims, transpose));
            }
        }
    }

    private static void stridedViewsAreWrittenAsTheirLogicalBytes(List<Integer> dims, boolean transpose) {
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
