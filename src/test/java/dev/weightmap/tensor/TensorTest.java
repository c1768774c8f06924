// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import java.nio.channels.Channels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TensorTest {
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** F32 0..n-1 in a native segment. */
    static MemorySegment iota(Arena arena, int n) {
        MemorySegment s = arena.allocate(n * 4L, 64);
        for (int i = 0; i < n; i++) {
            s.setAtIndex(F32, i, i);
        }
        return s;
    }

    static float[] floats(int... v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = v[i];
        }
        return f;
    }

    static byte[] leFloats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] written(Tensor t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.writeTo(Channels.newChannel(out));
        return out.toByteArray();
    }

    @Test
    void contiguousStridesOfEmptyShapesNeverOverflow() {
        long big = 1L << 32;
        assertThat(Tensor.contiguousStrides(new long[] {0, big, big})).containsExactly(0, big, 1);
        assertThat(Tensor.contiguousStrides(new long[] {big, big, 0})).containsExactly(big, 1, 1);
        assertThat(Tensor.contiguousStrides(new long[] {big, big, big, 0})).containsExactly(0, big, 1, 1);
        assertThat(Tensor.contiguousStrides(new long[] {0, 3, 4})).containsExactly(12, 4, 1);
        Tensor t = Tensor.of(MemorySegment.ofArray(new byte[0]), DType.F32, 0, big, big);
        assertThat(t.numel()).isZero();
        assertThat(t.isContiguous()).isTrue();
        assertThatThrownBy(() -> Tensor.contiguousStrides(new long[] {1, big, big}))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void viewsOfAMatrix() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            Tensor m = Tensor.of(iota(arena, 12), DType.F32, 3, 4); // [[0..3],[4..7],[8..11]]
            assertThat(m.isContiguous()).isTrue();
            assertThat(m.strides()).containsExactly(4, 1);
            assertThat(m.rank()).isEqualTo(2);
            assertThat(m.size(1)).isEqualTo(4);
            assertThat(m.getFloat(2, 3)).isEqualTo(11f);

            Tensor t = m.transpose(0, 1);
            assertThat(t.shape()).containsExactly(4, 3);
            assertThat(t.strides()).containsExactly(1, 4);
            assertThat(t.isContiguous()).isFalse();
            float[] tExp = floats(0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11);
            assertThat(t.toFloatArray()).containsExactly(tExp);
            assertThat(written(t)).isEqualTo(leFloats(tExp));
            Tensor tc = t.contiguous(arena);
            assertThat(tc.isContiguous()).isTrue();
            assertThat(tc.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(leFloats(tExp));
            assertThat(tc.storageId()).isNotEqualTo(m.storageId());
            assertThat(m.contiguous(arena)).isSameAs(m);
            assertThatThrownBy(t::data).isInstanceOf(IllegalStateException.class).hasMessageContaining("not contiguous");
            assertThatThrownBy(t::asByteBuffer).isInstanceOf(IllegalStateException.class);
            MemorySegment dst = arena.allocate(48);
            t.copyTo(dst);
            assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(leFloats(tExp));
            assertThatThrownBy(() -> t.copyTo(arena.allocate(47))).isInstanceOf(IndexOutOfBoundsException.class);

            Tensor row = m.select(0, 1);
            assertThat(row.shape()).containsExactly(4);
            assertThat(row.isContiguous()).isTrue();
            assertThat(row.toFloatArray()).containsExactly(floats(4, 5, 6, 7));
            assertThat(row.data().address()).isEqualTo(m.storage().address() + 16);
            Tensor col = m.select(1, -1);
            assertThat(col.toFloatArray()).containsExactly(floats(3, 7, 11));
            assertThat(col.isContiguous()).isFalse();
            assertThat(written(col)).isEqualTo(leFloats(3, 7, 11));
            assertThatThrownBy(() -> m.select(0, 3)).isInstanceOf(IndexOutOfBoundsException.class);

            Tensor nar = m.narrow(1, 1, 2);
            assertThat(nar.shape()).containsExactly(3, 2);
            assertThat(nar.toFloatArray()).containsExactly(floats(1, 2, 5, 6, 9, 10));
            assertThat(nar.isContiguous()).isFalse();
            assertThat(nar.byteExtent()).containsExactly(4, 44);

            Tensor everyOther = m.slice(1, 0, 4, 2);
            assertThat(everyOther.strides()).containsExactly(4, 2);
            assertThat(everyOther.toFloatArray()).containsExactly(floats(0, 2, 4, 6, 8, 10));
            assertThat(written(everyOther)).isEqualTo(leFloats(0, 2, 4, 6, 8, 10));
            Tensor rows = m.slice(0, 0, 3, 2);
            assertThat(rows.toFloatArray()).containsExactly(floats(0, 1, 2, 3, 8, 9, 10, 11));
            assertThat(m.slice(0, 1, 3, Long.MAX_VALUE).shape()).containsExactly(1, 4);
            assertThat(m.slice(0, 2, 2, 1).numel()).isZero();
            assertThatThrownBy(() -> m.slice(0, 0, 4, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> m.slice(0, 0, 3, 0)).isInstanceOf(IndexOutOfBoundsException.class);

            // views of views
            Tensor vv = m.transpose(0, 1).select(0, 2).slice(0, 0, 3, 2);
            assertThat(vv.toFloatArray()).containsExactly(floats(2, 10));
            assertThat(vv.storageId()).isEqualTo(m.storageId());

            Tensor r = m.reshape(2, 6);
            assertThat(r.getFloat(1, 0)).isEqualTo(6f);
            assertThatThrownBy(() -> m.reshape(5)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> t.reshape(12)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void expandedAndSizeOneDimensions() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = iota(arena, 4);
            Tensor e = Tensor.of(s, DType.F32, new long[] {3, 4}, new long[] {0, 1}, 0); // expand: stride 0
            assertThat(e.isContiguous()).isFalse();
            assertThat(e.toFloatArray()).containsExactly(floats(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
            assertThat(written(e)).isEqualTo(leFloats(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3));
            assertThat(e.byteExtent()).containsExactly(0, 16);
            // size-1 dimensions do not count for contiguity
            Tensor one = Tensor.of(s, DType.F32, new long[] {1, 4, 1}, new long[] {99, 1, 7}, 0);
            assertThat(one.isContiguous()).isTrue();
            assertThat(one.data().byteSize()).isEqualTo(16);
            // offsets in elements
            Tensor off = Tensor.of(s, DType.F32, new long[] {2}, new long[] {1}, 2);
            assertThat(off.toFloatArray()).containsExactly(2f, 3f);
            assertThat(off.dataStartByte()).isEqualTo(8);
            // a 0-dim tensor
            Tensor scalar = Tensor.of(s, DType.F32, new long[0], new long[0], 3);
            assertThat(scalar.getFloat()).isEqualTo(3f);
            assertThat(scalar.numel()).isEqualTo(1);
            assertThat(written(scalar)).isEqualTo(leFloats(3));
        }
    }

    @Test
    void constructionIsValidated() {
        MemorySegment s = MemorySegment.ofArray(new byte[16]);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, 5)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds its storage");
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, new long[] {2}, new long[] {4}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, new long[] {2}, new long[] {1}, 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, new long[] {2}, new long[] {-1}, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, new long[] {2}, new long[] {1}, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, new long[] {2, 2}, new long[] {1}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, -1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, null, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F4, new long[] {2, 2}, new long[] {1, 2}, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F4, new long[] {2}, new long[] {1}, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, 1L << 62, 1L << 62)).isInstanceOf(ArithmeticException.class);
        // empty tensors fit anywhere in the storage
        assertThat(Tensor.of(MemorySegment.ofArray(new byte[0]), DType.F64, 0, 7).numel()).isZero();
        Tensor f4 = Tensor.of(s, DType.F4, 4, 8);
        assertThat(f4.byteLength()).isEqualTo(16);
        assertThatThrownBy(() -> f4.transpose(0, 1)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> f4.getFloat(0, 0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(f4::toFloatArray).isInstanceOf(UnsupportedOperationException.class);
        assertThat(f4.slice(0, 1, 3, 1).data().byteSize()).isEqualTo(8);
    }

    @Test
    void emptyViews() throws IOException {
        Tensor e = Tensor.of(MemorySegment.ofArray(new byte[0]), DType.F32, 0, 3);
        assertThat(e.select(1, 2).shape()).containsExactly(0);
        assertThat(e.narrow(1, 1, 2).shape()).containsExactly(0, 2);
        assertThat(e.transpose(0, 1).isContiguous()).isTrue();
        assertThat(written(e)).isEmpty();
        assertThat(e.toFloatArray()).isEmpty();
        assertThat(e.byteExtent()).containsExactly(0, 0);
    }

    @Test
    void asByteBufferIsReadOnlyLittleEndianZeroCopy() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = iota(arena, 8);
            Tensor t = Tensor.of(s, DType.F32, 2, 4).select(0, 1);
            ByteBuffer b = t.asByteBuffer();
            assertThat(b.isReadOnly()).isTrue();
            assertThat(b.order()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
            assertThat(b.remaining()).isEqualTo(16);
            assertThat(b.getFloat(0)).isEqualTo(4f);
            assertThat(b.getFloat(12)).isEqualTo(7f);
            assertThatThrownBy(() -> b.putFloat(0, 1f)).isInstanceOf(ReadOnlyBufferException.class);
            s.setAtIndex(F32, 4, 42f); // zero-copy: sees later changes of the storage
            assertThat(b.getFloat(0)).isEqualTo(42f);
        }
    }

    @Test
    void misalignedDataReadsCorrectly() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment base = arena.allocate(4096 + 64, 4096);
            for (int off = 0; off < 9; off++) {
                MemorySegment s = base.asSlice(off, 64);
                s.set(F32, 0, 1.5f);
                s.set(F32, 4, -2.25f);
                s.set(ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 8, Math.PI);
                s.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 16, -5L);
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 24, (short) 0x3FC0); // BF16 1.5
                s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 26, Float.floatToFloat16(-0.5f));
                Tensor f = Tensor.of(s.asSlice(0, 8), DType.F32, 2);
                assertThat(f.alignment()).as("offset " + off).isEqualTo(off == 0 ? 4096 : Integer.lowestOneBit(off));
                assertThat(f.toFloatArray()).containsExactly(1.5f, -2.25f);
                assertThat(f.getFloat(1)).isEqualTo(-2.25f);
                assertThat(f.asByteBuffer().getFloat(4)).isEqualTo(-2.25f);
                assertThat(Tensor.of(s.asSlice(8, 8), DType.F64).getDouble()).isEqualTo(Math.PI);
                assertThat(Tensor.of(s.asSlice(16, 8), DType.I64).getLong()).isEqualTo(-5L);
                assertThat(Tensor.of(s.asSlice(24, 2), DType.BF16, 1).toFloatArray()).containsExactly(1.5f);
                assertThat(Tensor.of(s.asSlice(26, 2), DType.F16, 1).toFloatArray()).containsExactly(-0.5f);
                assertThat(written(Tensor.of(s.asSlice(0, 8), DType.F32, 2).transpose(0, 0))).isEqualTo(leFloats(1.5f, -2.25f));
                // a strided view at an odd offset
                Tensor strided = Tensor.of(s, DType.F32, new long[] {2}, new long[] {1}, 0);
                assertThat(strided.alignment()).isEqualTo(off == 0 ? 4096 : Integer.lowestOneBit(off));
            }
            Tensor mid = Tensor.of(base.asSlice(0, 64), DType.F32, new long[] {2}, new long[] {1}, 3);
            assertThat(mid.alignment()).isEqualTo(4);
        }
    }

    @Test
    void largeStridedWriteCrossesTheStreamingBuffer() throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            int n = 1024;
            Tensor m = Tensor.of(iota(arena, n * 600), DType.F32, n, 600);
            Tensor t = m.transpose(0, 1); // 2.4 MB, more than the 1 MiB streaming buffer
            byte[] w = written(t);
            assertThat(w).isEqualTo(t.contiguous(arena).data().toArray(ValueLayout.JAVA_BYTE));
            ByteBuffer b = ByteBuffer.wrap(w).order(ByteOrder.LITTLE_ENDIAN);
            assertThat(b.getFloat(4 * (599 * n + 1023))).isEqualTo(1023f * 600 + 599);
            Tensor cols = m.slice(1, 1, 600, 3); // runs of one element per row
            assertThat(written(cols)).isEqualTo(cols.contiguous(arena).data().toArray(ValueLayout.JAVA_BYTE));
            float[] fa = cols.toFloatArray();
            assertThat(fa[200]).isEqualTo(600f + 1);
        }
    }

    @Test
    void heapStorageOfOtherArraysWrites() throws IOException {
        Tensor t = Tensor.ofFloats(new float[] {1, 2, 3, 4}, 2, 2);
        assertThat(written(t)).isEqualTo(leFloats(1, 2, 3, 4));
        assertThat(written(t.transpose(0, 1))).isEqualTo(leFloats(1, 3, 2, 4));
        Tensor l = Tensor.of(MemorySegment.ofArray(new long[] {-1, 7}), DType.I64, 2);
        assertThat(l.getLong(1)).isEqualTo(7);
        assertThat(written(l)).hasSize(16);
    }

    @Test
    void elementReadsOfEveryDtype() {
        byte[] b = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
        MemorySegment s = MemorySegment.ofArray(b);
        assertThat(Tensor.of(s, DType.U8, 1).getLong(0)).isEqualTo(255);
        assertThat(Tensor.of(s, DType.I8, 1).getLong(0)).isEqualTo(-1);
        assertThat(Tensor.of(s, DType.U16, 1).getLong(0)).isEqualTo(65535);
        assertThat(Tensor.of(s, DType.I16, 1).getLong(0)).isEqualTo(-1);
        assertThat(Tensor.of(s, DType.U32, 1).getLong(0)).isEqualTo(4294967295L);
        assertThat(Tensor.of(s, DType.I32, 1).getDouble(0)).isEqualTo(-1.0);
        assertThat(Long.toUnsignedString(Tensor.of(s, DType.U64, 1).getLong(0))).isEqualTo("18446744073709551615");
        assertThat(Tensor.of(s, DType.U64, 1).getDouble(0)).isEqualTo(18446744073709551615.0);
        assertThat(Tensor.of(s, DType.U64, 1).toFloatArray()).containsExactly(1.8446744e19f);
        assertThat(Tensor.of(s, DType.BOOL, 1).getLong(0)).isEqualTo(255); // values are not validated
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, 1).getLong(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, 2).getFloat(0, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.F32, 2).getFloat(2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> Tensor.of(s, DType.C64, 1).toFloatArray()).isInstanceOf(UnsupportedOperationException.class);

        ByteBuffer c = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        c.putFloat(1.5f).putFloat(-2f).putDouble(3.25).putDouble(-0.0).putDouble(Double.NaN).putDouble(7);
        MemorySegment cs = MemorySegment.ofArray(c.array());
        assertThat(Tensor.of(cs.asSlice(0, 8), DType.C64).getComplex()).containsExactly(1.5, -2.0);
        double[] z = Tensor.of(cs.asSlice(8, 16), DType.C128, 1).getComplex(0);
        assertThat(z[0]).isEqualTo(3.25);
        assertThat(Double.doubleToRawLongBits(z[1])).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(Tensor.of(cs.asSlice(24, 24), DType.F64, 3).getComplex(1)).containsExactly(7.0, 0.0);
    }

    static float dec(DType d, int b) {
        return Tensor.of(MemorySegment.ofArray(new byte[] {(byte) b}), d, 1).getFloat(0);
    }

    @Test
    void fp8Decoding() {
        // anchors
        assertThat(dec(DType.F8_E4M3, 0x7E)).isEqualTo(448f);
        assertThat(dec(DType.F8_E4M3, 0x7F)).isNaN();
        assertThat(dec(DType.F8_E4M3, 0xFF)).isNaN();
        assertThat(dec(DType.F8_E4M3, 0x01)).isEqualTo(0.001953125f); // smallest subnormal 2^-9
        assertThat(dec(DType.F8_E4M3, 0x38)).isEqualTo(1f);
        assertThat(Float.floatToRawIntBits(dec(DType.F8_E4M3, 0x80))).isEqualTo(Float.floatToRawIntBits(-0f));
        assertThat(dec(DType.F8_E5M2, 0x7B)).isEqualTo(57344f);
        assertThat(dec(DType.F8_E5M2, 0x7C)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(dec(DType.F8_E5M2, 0xFC)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(dec(DType.F8_E4M3FNUZ, 0x80)).isNaN();
        assertThat(dec(DType.F8_E4M3FNUZ, 0x7F)).isEqualTo(240f);
        assertThat(dec(DType.F8_E5M2FNUZ, 0x80)).isNaN();
        assertThat(dec(DType.F8_E5M2FNUZ, 0x7F)).isEqualTo(57344f);
        assertThat(dec(DType.F8_E8M0, 0x7F)).isEqualTo(1f);
        assertThat(dec(DType.F8_E8M0, 0xFF)).isNaN();
        assertThat(dec(DType.F8_E8M0, 0x00)).isEqualTo(0x1p-127f);
        assertThat(dec(DType.F8_E8M0, 0xFE)).isEqualTo(0x1p127f);
        for (int b = 0; b < 256; b++) {
            // E5M2 is the top byte of an IEEE half
            float half = Float.float16ToFloat((short) (b << 8));
            assertThat(Float.compare(dec(DType.F8_E5M2, b), half)).as("E5M2 %02x", b).isZero();
            // the FNUZ variants have a bias one larger and no infinities or negative zero
            if (b != 0x80) {
                float e4 = dec(DType.F8_E4M3, b);
                if (!Float.isNaN(e4)) {
                    assertThat(dec(DType.F8_E4M3FNUZ, b)).as("E4M3FNUZ %02x", b).isEqualTo(e4 / 2);
                }
                if ((b & 0x7C) != 0x7C) {
                    assertThat(dec(DType.F8_E5M2FNUZ, b)).as("E5M2FNUZ %02x", b).isEqualTo(half / 2);
                }
            }
            assertThat(Float.compare(dec(DType.F8_E8M0, b), b == 0xFF ? Float.NaN : (float) Math.pow(2, b - 127))).isZero();
        }
    }

    @Test
    void halfAndBfloatDecoding() {
        for (int bits = 0; bits < 65536; bits += 7) {
            byte[] le = {(byte) bits, (byte) (bits >> 8)};
            float bf = Tensor.of(MemorySegment.ofArray(le), DType.BF16, 1).getFloat(0);
            // getFloat goes through double: NaN payloads may be quieted, so compare NaN-aware
            assertThat(Float.compare(bf, Float.intBitsToFloat(bits << 16))).isZero();
            assertThat(Float.floatToRawIntBits(Tensor.of(MemorySegment.ofArray(le), DType.BF16, 1).toFloatArray()[0]))
                    .isEqualTo(bits << 16);
            float h = Tensor.of(MemorySegment.ofArray(le), DType.F16, 1).getFloat(0);
            assertThat(Float.compare(h, Float.float16ToFloat((short) bits))).isZero();
        }
    }

    @Test
    void copyAsF32() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(8);
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, Float.floatToFloat16(2.5f));
            s.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2, (short) 0xBF80); // BF16 -1
            MemorySegment dst = arena.allocate(8);
            Tensor.of(s.asSlice(0, 2), DType.F16, 1).copyAsF32(dst);
            assertThat(dst.get(F32, 0)).isEqualTo(2.5f);
            Tensor.of(s.asSlice(2, 2), DType.BF16, 1).copyAsF32(dst);
            assertThat(dst.get(F32, 0)).isEqualTo(-1f);
            assertThatThrownBy(() -> Tensor.of(s, DType.I32, 2).copyAsF32(dst)).isInstanceOf(UnsupportedOperationException.class);
        }
    }
}
