// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static dev.weightmap.gguf.GgufTestSupport.expectedFile;
import static dev.weightmap.gguf.GgufTestSupport.fixtures;
import static dev.weightmap.gguf.GgufTestSupport.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Dequantization is bit-identical to gguf-py's {@code gguf.quants.dequantize} (the fixtures' f32_sha256). */
class DequantizeTest {
    /** The values as little-endian float32 bytes, NaN payloads kept. */
    static MemorySegment le(float[] v) {
        return leRaw(v);
    }

    /** The exact bits of the values, little-endian. */
    static MemorySegment leRaw(float[] v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putInt(Float.floatToRawIntBits(f));
        }
        return MemorySegment.ofArray(b.array());
    }

    @ParameterizedTest
    @ValueSource(strings = {"all_types.gguf", "kquants.gguf", "tiny_llama_f32.gguf", "odd_shapes.gguf",
            "alignment_64.gguf"})
    @SuppressWarnings("unchecked")
    void everySupportedTensorMatchesGgufPy(String file) throws Exception {
        Map<String, Object> exp = expectedFile(file);
        try (GgufFile g = GgufFile.open(fixtures().resolve(file)); Arena arena = Arena.ofConfined()) {
            for (Object o : (List<Object>) exp.get("tensors")) {
                Map<String, Object> t = (Map<String, Object>) o;
                String name = (String) t.get("name");
                GgufTensorInfo info = g.info(name);
                if (!Dequantize.SUPPORTED.contains(info.type())) {
                    assertThatThrownBy(() -> g.dequantize(name)).isInstanceOf(GgufException.class)
                            .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.UNSUPPORTED_TYPE);
                    continue;
                }
                float[] values = g.dequantize(name);
                assertThat(values).hasSize((int) info.elements());
                assertThat(sha256(le(values))).as(file + " " + name + " " + info.type()).isEqualTo(t.get("f32_sha256"));
                MemorySegment seg = g.dequantize(name, arena);
                assertThat(sha256(seg)).as(name).isEqualTo(t.get("f32_sha256"));
            }
        }
    }

    @Test
    void rowRangesDecodeAlone() throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("all_types.gguf"))) {
            for (GgufTensorInfo t : g.infos()) {
                if (!Dequantize.SUPPORTED.contains(t.type()) || t.rows() < 2) {
                    continue;
                }
                float[] all = g.dequantize(t.name());
                int row = (int) t.ne()[0];
                float[] tail = g.dequantizeRows(t.name(), 1, t.rows() - 1);
                assertThat(tail).as(t.name()).isEqualTo(Arrays.copyOfRange(all, row, all.length));
                MemorySegment one = Arena.ofAuto().allocate(ValueLayout.JAVA_FLOAT, row);
                g.dequantizeRows(t.name(), 1, 1, one);
                assertThat(one.toArray(ValueLayout.JAVA_FLOAT)).isEqualTo(Arrays.copyOfRange(all, row, 2 * row));
                assertThatThrownBy(() -> g.dequantizeRows(t.name(), t.rows(), 1)).isInstanceOf(GgufException.class)
                        .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
                assertThatThrownBy(() -> g.dequantizeRows(t.name(), -1, 1)).isInstanceOf(GgufException.class);
                assertThatThrownBy(() -> g.dequantizeRows(t.name(), 0, 1, MemorySegment.ofArray(new byte[4])))
                        .isInstanceOf(GgufException.class).hasMessageContaining("output bytes");
            }
        }
    }

    @Test
    void typesGgufPyCannotDequantizeAreRefused() {
        byte[] img = new GgufTestSupport.Builder().header(3, 1, 0).tensor("q", GgmlType.Q8_K, 0, 256).pad(32)
                .zeros(292).bytes();
        GgufFile g = GgufFile.parse(MemorySegment.ofArray(img), "q8k.gguf");
        assertThat(g.raw("q").byteSize()).isEqualTo(292);
        assertThatThrownBy(() -> g.dequantize("q")).isInstanceOf(GgufException.class).hasMessageContaining("`q`")
                .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.UNSUPPORTED_TYPE);
        assertThat(Dequantize.SUPPORTED).doesNotContain(GgmlType.Q8_1, GgmlType.Q8_K, GgmlType.Q1_0)
                .hasSize(GgmlType.values().length - 3);
    }

    @Test
    void parallelEqualsSequential() throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("kquants.gguf")); Arena arena = Arena.ofShared()) {
            for (GgufTensorInfo t : g.infos()) {
                float[] one = g.dequantize(t.name());
                for (int threads : new int[] {2, 3, 64}) {
                    MemorySegment par = g.dequantize(t.name(), arena, threads);
                    assertThat(par.toArray(ValueLayout.JAVA_FLOAT)).as(t.name() + " x" + threads).isEqualTo(one);
                }
            }
            assertThatThrownBy(() -> g.dequantize("Q4_K", arena, 0)).isInstanceOf(GgufException.class)
                    .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
        }
    }

    /** A quantized tensor to F32, F16 and BF16 Tensors: row-major shape, each value the F32 one rounded to even. */
    @ParameterizedTest
    @ValueSource(strings = {"quant.Q4_0", "quant.Q8_0", "quant.MXFP4"})
    void dequantizeTensorGivesF32F16AndBf16(String name) throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("all_types.gguf")); Arena arena = Arena.ofConfined()) {
            float[] f32 = g.dequantize(name);
            long[] shape = g.info(name).shape();
            dev.weightmap.tensor.Tensor t32 = g.dequantizeTensor(name, dev.weightmap.tensor.DType.F32, arena);
            assertThat(t32.shape()).isEqualTo(shape);
            assertThat(t32.data().toArray(ValueLayout.JAVA_FLOAT)).isEqualTo(f32);
            dev.weightmap.tensor.Tensor t16 = g.dequantizeTensor(name, dev.weightmap.tensor.DType.F16, arena);
            dev.weightmap.tensor.Tensor tbf = g.dequantizeTensor(name, dev.weightmap.tensor.DType.BF16, arena);
            assertThat(t16.shape()).isEqualTo(shape);
            assertThat(tbf.shape()).isEqualTo(shape);
            assertThat(t16.dtype()).isEqualTo(dev.weightmap.tensor.DType.F16);
            assertThat(tbf.dtype()).isEqualTo(dev.weightmap.tensor.DType.BF16);
            short[] h = t16.data().toArray(ValueLayout.JAVA_SHORT);
            short[] bf = tbf.data().toArray(ValueLayout.JAVA_SHORT);
            for (int i = 0; i < f32.length; i++) {
                assertThat(h[i]).as(name + " F16 " + i).isEqualTo(Float.floatToFloat16(f32[i]));
                if (!Float.isNaN(f32[i])) {
                    assertThat(bf[i] & 0xFFFF).as(name + " BF16 " + i)
                            .isEqualTo(Quantize.bf16(Float.floatToRawIntBits(f32[i])));
                }
            }
            assertThatThrownBy(() -> g.dequantizeTensor(name, dev.weightmap.tensor.DType.I8, arena))
                    .isInstanceOf(GgufException.class)
                    .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
        }
    }
}
