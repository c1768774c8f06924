// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.internal.json.JsonReader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Blocks with edge-case scales (zero, -0, subnormals, negative, the largest float16, infinities, NaN), made and
 * dequantized by gguf-py ({@code src/test/resources/gguf/gen_dequant_cases.py}): finite cases are bit-identical;
 * non-finite ones too except NaN payloads, which follow the CPU's operand order and are compared as one NaN.
 */
class DequantizeEdgeCasesTest {
    @Test
    @SuppressWarnings("unchecked")
    void edgeScalesMatchGgufPy() throws Exception {
        Path dir = Path.of(getClass().getResource("/gguf/dequant_cases.json").toURI()).getParent();
        Map<String, Object> exp = (Map<String, Object>) JsonReader.parse(Files.readAllBytes(
                dir.resolve("dequant_cases.json")));
        Map<String, Object> tensors = (Map<String, Object>) exp.get("tensors");
        try (GgufFile g = GgufFile.open(dir.resolve("dequant_cases.gguf"))) {
            assertThat(g.tensorNames()).containsExactlyInAnyOrderElementsOf(tensors.keySet());
            for (Map.Entry<String, Object> e : tensors.entrySet()) {
                Map<String, Object> t = (Map<String, Object>) e.getValue();
                String name = e.getKey();
                assertThat(g.info(name).type().name()).isEqualTo(t.get("type"));
                float[] v = g.dequantize(name);
                long nans = 0;
                float[] canonical = v.clone();
                for (int i = 0; i < v.length; i++) {
                    if (Float.isNaN(v[i])) {
                        nans++;
                        canonical[i] = Float.intBitsToFloat(0x7FC00000);
                    }
                }
                assertThat(nans).as(name).isEqualTo((Long) t.get("nan_count"));
                if (name.endsWith(".finite")) {
                    assertThat(GgufTestSupport.sha256(DequantizeTest.le(v))).as(name).isEqualTo(t.get("f32_sha256"));
                } else {
                    assertThat(GgufTestSupport.sha256(DequantizeTest.leRaw(canonical))).as(name)
                            .isEqualTo(t.get("f32_sha256_nan_canonical"));
                }
            }
        }
    }
}
