// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.ValueLayout;

import static dev.weightmap.gguf.GgufTestSupport.fixtures;
import static org.assertj.core.api.Assertions.assertThat;

/** Quantization gives exactly gguf-py's {@code gguf.quants.quantize} bytes (the all_types fixture's tensors). */
class QuantizeTest {
    @ParameterizedTest
    @ValueSource(strings = {"F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "TQ1_0", "TQ2_0", "MXFP4"})
    void quantizingTheSourceGivesGgufPysBytes(String type) throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("all_types.gguf"))) {
            float[] source = g.dequantize("source");
            GgmlType t = GgmlType.valueOf(type);
            byte[] q = Quantize.quantize(t, source, 0, source.length);
            assertThat(q).isEqualTo(g.raw("quant." + type).toArray(ValueLayout.JAVA_BYTE));
        }
    }
}
