// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DTypeTest {
    static final Map<String, Integer> TABLE = new LinkedHashMap<>();

    static {
        String[] names = {"BOOL", "F4", "F6_E2M3", "F6_E3M2", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ",
            "F8_E5M2FNUZ", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "C64", "F64", "I64", "U64"};
        int[] bits = {8, 4, 6, 6, 8, 8, 8, 8, 8, 8, 8, 16, 16, 16, 16, 32, 32, 32, 64, 64, 64, 64};
        for (int i = 0; i < names.length; i++) {
            TABLE.put(names[i], bits[i]);
        }
    }

    @Test
    void the22SafetensorsDtypesPlusC128() {
        List<DType> st = Arrays.stream(DType.values()).filter(DType::isSafetensors).toList();
        assertThat(st.stream().map(DType::headerName)).containsExactlyElementsOf(TABLE.keySet());
        for (DType d : st) {
            assertThat(d.bits()).as(d.headerName()).isEqualTo(TABLE.get(d.headerName()));
            assertThat(DType.fromHeaderName(d.headerName())).isSameAs(d);
            assertThat(d.isSubByte()).isEqualTo(d.bits() < 8);
            if (!d.isSubByte()) {
                assertThat(d.byteSize()).isEqualTo(d.bits() / 8);
            }
        }
        assertThat(DType.C128.bits()).isEqualTo(128);
        assertThat(DType.C128.byteSize()).isEqualTo(16);
        assertThat(DType.C128.isSafetensors()).isFalse();
        assertThat(DType.C128.isComplex()).isTrue();
        assertThat(DType.C64.isComplex()).isTrue();
        assertThat(DType.F32.isComplex()).isFalse();
        assertThat(DType.fromHeaderName("f32")).isNull();
        assertThat(DType.fromHeaderName("F128")).isNull();
        assertThat(DType.fromHeaderName("")).isNull();
        assertThatThrownBy(DType.F4::byteSize).isInstanceOf(UnsupportedOperationException.class);
        assertThat(DType.F8_E8M0.isFloatingPoint()).isTrue();
        assertThat(DType.U8.isFloatingPoint()).isFalse();
        assertThat(DType.BOOL.isFloatingPoint()).isFalse();
    }

    @Test
    void writeRankIsTheRustLayoutOrder() {
        List<String> order = List.of("U64", "I64", "F64", "C64", "F32", "U32", "I32", "BF16", "F16", "U16", "I16",
                "F8_E5M2FNUZ", "F8_E4M3FNUZ", "F8_E8M0", "F8_E4M3", "F8_E5M2", "I8", "U8", "F6_E3M2", "F6_E2M3", "F4", "BOOL");
        for (int i = 0; i < order.size(); i++) {
            assertThat(DType.fromHeaderName(order.get(i)).writeRank()).as(order.get(i)).isEqualTo(i);
        }
        assertThat(DType.C128.writeRank()).isLessThan(0);
    }

    @Test
    void numelAndByteLength() {
        assertThat(DType.numel(new long[0])).isEqualTo(1);
        assertThat(DType.numel(new long[] {2, 0, 5})).isZero();
        assertThat(DType.numel(new long[] {3, 4})).isEqualTo(12);
        assertThatThrownBy(() -> DType.numel(new long[] {-1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DType.numel(new long[] {1L << 32, 1L << 32})).isInstanceOf(ArithmeticException.class);
        assertThat(DType.numel(new long[] {0, Long.MAX_VALUE, Long.MAX_VALUE})).isZero();

        assertThat(DType.F32.byteLength(new long[] {3, 4})).isEqualTo(48);
        assertThat(DType.C64.byteLength(3)).isEqualTo(24);
        assertThat(DType.C128.byteLength(3)).isEqualTo(48);
        assertThat(DType.BOOL.byteLength(5)).isEqualTo(5);
        assertThat(DType.F4.byteLength(4)).isEqualTo(2);
        assertThat(DType.F4.byteLength(0)).isZero();
        assertThat(DType.F6_E2M3.byteLength(4)).isEqualTo(3);
        assertThat(DType.F6_E3M2.byteLength(new long[] {2, 4})).isEqualTo(6);
        assertThatThrownBy(() -> DType.F4.byteLength(3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("F4").hasMessageContaining("byte boundary");
        assertThatThrownBy(() -> DType.F6_E2M3.byteLength(2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DType.F6_E3M2.byteLength(new long[] {1, 3})).isInstanceOf(IllegalArgumentException.class);
        // numel fits, numel*bits overflows
        assertThatThrownBy(() -> DType.I32.byteLength(new long[] {2, Long.MAX_VALUE})).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> DType.U8.byteLength(Long.MAX_VALUE / 4)).isInstanceOf(ArithmeticException.class);
        assertThat(DType.U8.byteLength(Long.MAX_VALUE / 8)).isEqualTo(Long.MAX_VALUE / 8);
        assertThat(DType.F4.byteLength(Long.MAX_VALUE / 4 - 1)).isEqualTo((Long.MAX_VALUE / 4 - 1) / 2);
    }
}
