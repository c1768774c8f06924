// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.safetensors.SafetensorsException.Reason;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.LongStream;

import static dev.weightmap.safetensors.SliceIndex.all;
import static dev.weightmap.safetensors.SliceIndex.at;
import static dev.weightmap.safetensors.SliceIndex.ellipsis;
import static dev.weightmap.safetensors.SliceIndex.range;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** NumPy basic indexing over safetensors tensors (formats.md A.9, A.10 26-30, 33). */
class SlicingTest {

    /** A file with F32 "x" of shape shape holding 0, 1, 2, ... */
    static SafetensorsFile file(String name, long... shape) {
        int n = (int) DType.numel(shape);
        ByteBuffer b = ByteBuffer.allocate(n * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(i);
        }
        String s = Arrays.toString(shape).replace(" ", "");
        return TestFiles.parse(TestFiles.image("{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":" + s
                + ",\"data_offsets\":[0," + n * 4 + "]}}", b.array()));
    }

    static final SafetensorsFile F = file("x", 10, 5);

    static float[] floats(long... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    static void check(String expr, long[] shape, long... values) {
        Tensor t = F.slice("x", SliceIndex.parse(expr));
        assertThat(t.shape()).as(expr).containsExactly(shape);
        assertThat(t.toFloatArray()).as(expr).containsExactly(floats(values));
        // zero-copy: the view shares the tensor's storage
        assertThat(t.storageId()).isEqualTo(F.tensor("x").storageId());
    }

    static long[] s(long... v) {
        return v;
    }

    static long[] rows(long from, long to) {
        return LongStream.range(from * 5, to * 5).toArray();
    }

    @Test
    void pythonReferenceTable() {
        check("[:]", s(10, 5), rows(0, 10));
        check("", s(10, 5), rows(0, 10));
        check("[...]", s(10, 5), rows(0, 10));
        check("[:2]", s(2, 5), rows(0, 2));
        check("[:, :2]", s(10, 2), LongStream.range(0, 10).flatMap(r -> LongStream.of(r * 5, r * 5 + 1)).toArray());
        check("[0, :2]", s(2), 0, 1);
        check("[2:, -1]", s(8), 14, 19, 24, 29, 34, 39, 44, 49);
        check("[-1]", s(5), 45, 46, 47, 48, 49);
        check("[-10]", s(5), 0, 1, 2, 3, 4);
        check("[9:]", s(1, 5), rows(9, 10));
        check("[::2]", s(5, 5), LongStream.of(0, 2, 4, 6, 8).flatMap(r -> LongStream.range(r * 5, r * 5 + 5)).toArray());
        check("[1:8:3]", s(3, 5), LongStream.of(1, 4, 7).flatMap(r -> LongStream.range(r * 5, r * 5 + 5)).toArray());
        check("[..., 1]", s(10), 1, 6, 11, 16, 21, 26, 31, 36, 41, 46);
        check("[3, ...]", s(5), 15, 16, 17, 18, 19);
        check("[3, ..., 2]", s(), 17);
        check("[3, 2]", s(), 17);
    }

    @Test
    void numpyExtensionsBeyondThePythonReference() {
        // negative bounds (the reference raises OverflowError)
        check("[-2:]", s(2, 5), rows(8, 10));
        check("[:-1]", s(9, 5), rows(0, 9));
        check("[-3:-1, -2:]", s(2, 2), 38, 39, 43, 44);
        // clamping (the reference raises out of bounds)
        check("[:20]", s(10, 5), rows(0, 10));
        check("[:, :20]", s(10, 5), rows(0, 10));
        check("[-100:2]", s(2, 5), rows(0, 2));
        // empty results (the reference raises or crashes)
        check("[10:]", s(0, 5));
        check("[5:2]", s(0, 5));
        check("[20:30, 1]", s(0));
        check("[:, 4:4]", s(10, 0));
        // steps with clamping
        check("[-4::3, ::4]", s(2, 2), 30, 34, 45, 49);
    }

    @Test
    void hugeStepDoesNotOverflow() {
        Tensor t = F.slice("x", range(0L, 10L, Long.MAX_VALUE), range(1L, null, Long.MAX_VALUE - 1));
        assertThat(t.shape()).containsExactly(1, 1);
        assertThat(t.toFloatArray()).containsExactly(1f);
        assertThat(F.slice("x", range(Long.MIN_VALUE, Long.MAX_VALUE, Long.MAX_VALUE)).shape()).containsExactly(1, 5);
        invalid(F, "x", Reason.INVALID_SLICE, "out of bounds", at(Long.MIN_VALUE));
        invalid(F, "x", Reason.INVALID_SLICE, "out of bounds", at(Long.MAX_VALUE));
    }

    static void invalid(SafetensorsFile f, String name, Reason reason, String fragment, SliceIndex... idx) {
        assertThatThrownBy(() -> f.slice(name, idx)).isInstanceOfSatisfying(SafetensorsException.class, e -> {
            assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
            assertThat(e.getMessage()).contains("mem.safetensors").contains("`" + name + "`").contains(fragment);
        });
    }

    @Test
    void invalidSlices() {
        invalid(F, "x", Reason.INVALID_SLICE, "index -6 out of bounds for dimension 1 of size 5", range(2L, null), at(-6));
        invalid(F, "x", Reason.INVALID_SLICE, "index 20 out of bounds for dimension 1 of size 5", range(2L, null), at(20));
        invalid(F, "x", Reason.INVALID_SLICE, "index 10 out of bounds", at(10));
        invalid(F, "x", Reason.INVALID_SLICE, "index -11 out of bounds", at(-11));
        invalid(F, "x", Reason.INVALID_SLICE, "more slicing indexes", at(0), at(0), at(0));
        invalid(F, "x", Reason.INVALID_SLICE, "single ellipsis", ellipsis(), at(0), ellipsis());
        invalid(F, "x", Reason.INVALID_SLICE, "step cannot be zero", range(null, null, 0L));
        invalid(F, "x", Reason.INVALID_SLICE, "negative slice steps", range(null, null, -1L));
        invalid(F, "x", Reason.INVALID_SLICE, "null index", (SliceIndex) null);
        invalid(F, "nope", Reason.TENSOR_NOT_FOUND, "not found", all());
    }

    @Test
    void scalarsAndEmptyDimensions() {
        SafetensorsFile f = TestFiles.parse(TestFiles.image("{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
                + "\"e\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[4,4]}}", new byte[4]));
        assertThat(f.slice("s").shape()).isEmpty();
        assertThat(f.slice("s", ellipsis()).shape()).isEmpty();
        invalid(f, "s", Reason.INVALID_SLICE, "more slicing indexes", all());
        invalid(f, "s", Reason.INVALID_SLICE, "more slicing indexes", at(0));
        assertThat(f.slice("e", range(0L, null)).shape()).containsExactly(0, 3);
        assertThat(f.slice("e", all(), at(1)).shape()).containsExactly(0);
        invalid(f, "e", Reason.INVALID_SLICE, "index 0 out of bounds for dimension 0 of size 0", at(0));
    }

    /** A.10 27-30 (the Rust slice.rs invalid tests), with the NumPy outcome where NumPy is more permissive. */
    @Test
    void rustSliceTests() {
        SafetensorsFile three = file("t", 2, 2, 2);
        invalid(three, "t", Reason.INVALID_SLICE, "more slicing indexes (4) than dimensions (3)", all(), all(), all(), all());
        SafetensorsFile two = file("t", 2, 3);
        invalid(two, "t", Reason.INVALID_SLICE, "more slicing indexes", at(0), at(0), at(0));
        // [1, 1:4]: the reference says SliceOutOfRange; NumPy clamps to [1, 1:3]
        assertThat(two.slice("t", at(1), range(1L, 4L)).toFloatArray()).containsExactly(4f, 5f);
        // [1, 3:2]: the reference says SliceOutOfRange; NumPy gives an empty result
        assertThat(two.slice("t", at(1), range(3L, 2L)).shape()).containsExactly(0);
        // test_slice_variety / test_slice_select style
        assertThat(three.slice("t", range(0L, 1L), all(), range(1L, 2L)).toFloatArray()).containsExactly(1f, 3f);
        assertThat(three.slice("t", at(1), at(0)).toFloatArray()).containsExactly(4f, 5f);
        assertThat(three.slice("t", all(), at(1), at(1)).toFloatArray()).containsExactly(3f, 7f);
    }

    @Test
    void subByteSlices() {
        // F4 [1,2]: [:, 0:1] ends in the middle of a byte (A.10 26)
        SafetensorsFile f = TestFiles.parse(TestFiles.image("{\"f\":{\"dtype\":\"F4\",\"shape\":[1,2],\"data_offsets\":[0,1]},"
                + "\"g\":{\"dtype\":\"F4\",\"shape\":[4,4],\"data_offsets\":[1,9]}}", new byte[] {9, 0, 1, 2, 3, 4, 5, 6, 7}));
        invalid(f, "f", Reason.MISALIGNED_SUBBYTE, "byte boundary", all(), range(0L, 1L));
        assertThat(f.slice("f", all()).byteLength()).isEqualTo(1);
        assertThat(f.slice("f", at(0)).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsExactly(9);
        // rows of F4 [4,4] are 2 bytes each: row selections and row ranges are byte-aligned views
        Tensor row = f.slice("g", at(2));
        assertThat(row.shape()).containsExactly(4);
        assertThat(row.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsExactly(4, 5);
        assertThat(f.slice("g", range(1L, 3L)).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsExactly(2, 3, 4, 5);
        assertThat(f.slice("g", at(3), range(2L, null)).data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).containsExactly(7);
        assertThat(f.slice("g", range(4L, null)).numel()).isZero();
        // a column range is not contiguous; a half row starts mid-byte; steps skip bytes
        invalid(f, "g", Reason.MISALIGNED_SUBBYTE, "non-contiguous", all(), range(0L, 2L));
        invalid(f, "g", Reason.MISALIGNED_SUBBYTE, "byte boundary", at(1), range(1L, 2L));
        invalid(f, "g", Reason.MISALIGNED_SUBBYTE, "", range(null, null, 2L));
    }

    /** Python's slice.indices for a positive step, written independently of the implementation. */
    static List<Long> indices(Long start, Long stop, long step, long n) {
        long b = start == null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
        long e = stop == null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
        List<Long> out = new ArrayList<>();
        for (long i = b; i < e; i += step) {
            out.add(i);
        }
        return out;
    }

    @Test
    void randomSlicesAgreeWithNaiveIndexing() {
        long[] shape = {4, 5, 6};
        SafetensorsFile f = file("r", shape);
        Random rnd = new Random(42);
        for (int iter = 0; iter < 2000; iter++) {
            SliceIndex[] idx = new SliceIndex[rnd.nextInt(4)];
            List<List<Long>> chosen = new ArrayList<>();
            List<Boolean> kept = new ArrayList<>();
            for (int d = 0; d < 3; d++) {
                if (d < idx.length) {
                    if (rnd.nextInt(3) == 0) {
                        long i = rnd.nextInt((int) shape[d] * 2) - shape[d];
                        idx[d] = at(i);
                        chosen.add(List.of(i < 0 ? i + shape[d] : i));
                        kept.add(false);
                    } else {
                        Long a = rnd.nextBoolean() ? null : (long) rnd.nextInt(16) - 8;
                        Long b = rnd.nextBoolean() ? null : (long) rnd.nextInt(16) - 8;
                        long st = 1 + rnd.nextInt(4);
                        idx[d] = range(a, b, rnd.nextBoolean() && st == 1 ? null : st);
                        chosen.add(indices(a, b, st, shape[d]));
                        kept.add(true);
                    }
                } else {
                    chosen.add(indices(null, null, 1, shape[d]));
                    kept.add(true);
                }
            }
            Tensor t = f.slice("r", idx);
            List<Long> expShape = new ArrayList<>();
            for (int d = 0; d < 3; d++) {
                if (kept.get(d)) {
                    expShape.add((long) chosen.get(d).size());
                }
            }
            assertThat(t.shape()).as(Arrays.toString(idx)).containsExactly(expShape.stream().mapToLong(Long::longValue).toArray());
            List<Float> exp = new ArrayList<>();
            for (long i : chosen.get(0)) {
                for (long j : chosen.get(1)) {
                    for (long k : chosen.get(2)) {
                        exp.add((float) (i * 30 + j * 6 + k));
                    }
                }
            }
            float[] got = t.toFloatArray();
            assertThat(got).hasSize(exp.size());
            for (int q = 0; q < got.length; q++) {
                assertThat(got[q]).as(Arrays.toString(idx)).isEqualTo(exp.get(q));
            }
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"a", "1:2:3:4", "1.5", "[1,,2]", ":x"})
    void parseRejectsMalformedText(String text) {
        assertThatThrownBy(() -> SliceIndex.parse(text)).isInstanceOfSatisfying(SafetensorsException.class,
                e -> assertThat(e.reason()).isEqualTo(Reason.INVALID_SLICE)).hasMessageContaining(text);
    }

    @Test
    void parseText() {
        assertThat(SliceIndex.parse("0, 1:-1:2, ...")).containsExactly(at(0), range(1L, -1L, 2L), ellipsis());
        assertThat(SliceIndex.parse("[ : , ::3 ]")).containsExactly(all(), range(null, null, 3L));
        assertThat(SliceIndex.parse("[]")).isEmpty();
        assertThat(SliceIndex.parse("-3")).containsExactly(at(-3));
    }
}
