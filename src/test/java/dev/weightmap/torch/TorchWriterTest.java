// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The writer: files torch 1.13 and torch 2.13 read with {@code weights_only=True} (the committed
 * {@code fixtures/torch-written} files, checked by hand, with what torch read in {@code torch_read.json}).
 */
class TorchWriterTest {
    @TempDir
    Path dir;

    /** Every dtype torch 1.13 knows, tied weights, views, an empty and a 0-dim tensor. */
    static Map<String, Tensor> v2Sample() {
        float[] v = new float[24];
        for (int i = 0; i < 24; i++) {
            v[i] = i * 0.5f - 3;
        }
        Tensor w = Tensor.ofFloats(v, 4, 6);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("embed.weight", w);
        m.put("lm_head.weight", w);
        m.put("row2", w.select(0, 2));
        m.put("wT", w.transpose(0, 1));
        m.put("cols", w.slice(1, 1, 6, 2));
        m.put("scalar", Tensor.ofFloats(new float[] {7f}));
        m.put("empty", Tensor.ofFloats(new float[0], 0, 3));
        m.put("i64", Tensor.of(MemorySegment.ofArray(new long[] {1, -2, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40}), DType.I64, 5));
        m.put("bool", Tensor.of(MemorySegment.ofArray(new byte[] {1, 0, 1}), DType.BOOL, 3));
        m.put("bf16", Tensor.of(MemorySegment.ofArray(new short[] {0x3c00, (short) 0xbc00, 0x4000, 0}), DType.BF16, 2, 2));
        m.put("f16", Tensor.of(MemorySegment.ofArray(new short[] {0x3c00, (short) 0xbc00, 0x4000, 0}), DType.F16, 4));
        m.put("c128", Tensor.of(MemorySegment.ofArray(new double[] {1, 2, 3, 4}), DType.C128, 2));
        m.put("c64", Tensor.of(MemorySegment.ofArray(new float[] {1, 2, 3, 4}), DType.C64, 2));
        m.put("i8", Tensor.of(MemorySegment.ofArray(new byte[] {-1, 2}), DType.I8, 2));
        m.put("u8", Tensor.of(MemorySegment.ofArray(new byte[] {-1, 2}), DType.U8, 2));
        m.put("i16", Tensor.of(MemorySegment.ofArray(new short[] {-1, 2}), DType.I16, 2));
        m.put("i32", Tensor.of(MemorySegment.ofArray(new int[] {-1, 2}), DType.I32, 2));
        m.put("f64", Tensor.of(MemorySegment.ofArray(new double[] {-1.5, 2}), DType.F64, 2));
        return m;
    }

    /** dtypes that need _rebuild_tensor_v3 (torch ≥ 2.1). */
    static Map<String, Tensor> v3Sample() {
        Map<String, Tensor> n = new LinkedHashMap<>();
        n.put("f8", Tensor.of(MemorySegment.ofArray(new byte[] {0, (byte) 0x7e, 0x38, 1}), DType.F8_E4M3, 2, 2));
        n.put("f8t", n.get("f8").transpose(0, 1));
        n.put("f8e5", Tensor.of(MemorySegment.ofArray(new byte[] {0x3c, 0x7b}), DType.F8_E5M2, 2));
        n.put("u16", Tensor.of(MemorySegment.ofArray(new short[] {-1, 2}), DType.U16, 2));
        n.put("u32", Tensor.of(MemorySegment.ofArray(new int[] {-1, 2}), DType.U32, 2));
        n.put("u64", Tensor.of(MemorySegment.ofArray(new long[] {-1, 2}), DType.U64, 2));
        n.put("f4", Tensor.of(MemorySegment.ofArray(new byte[] {0x12, 0x34, 0x56, 0x78}), DType.F4, 2, 4));
        n.put("e8m0", Tensor.of(MemorySegment.ofArray(new byte[] {127, (byte) 128}), DType.F8_E8M0, 2));
        return n;
    }

    @Test
    void writerOutputIsDeterministicAndEqualsTheFilesTorchRead() throws IOException {
        Path a = dir.resolve("v2_all.pt");
        Path b = dir.resolve("v3_new_dtypes.pt");
        TorchCheckpoints.save(v2Sample(), a);
        TorchCheckpoints.save(v3Sample(), b);
        assertThat(Files.readAllBytes(a)).isEqualTo(TorchFixturesTest.bytes("torch-written/v2_all.pt"));
        assertThat(Files.readAllBytes(b)).isEqualTo(TorchFixturesTest.bytes("torch-written/v3_new_dtypes.pt"));
    }

    @Test
    void zipLayoutIsTorchs() throws IOException {
        Path a = dir.resolve("model.pt");
        TorchCheckpoints.save(v2Sample(), a);
        try (ZipFile z = new ZipFile(a.toFile())) { // java.util.zip checks the CRCs while reading
            assertThat(z.stream().map(e -> e.getName()).toList()).startsWith("model/data.pkl", "model/.format_version",
                    "model/.storage_alignment", "model/byteorder", "model/data/0");
            z.stream().forEach(e -> {
                try {
                    z.getInputStream(e).readAllBytes();
                } catch (IOException ex) {
                    throw new AssertionError(ex);
                }
            });
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(a)) {
            for (TorchCheckpoint.Record r : c.records()) {
                assertThat(r.dataOffset() % 64).as(r.name()).isZero();
            }
            assertThat(c.zipPrefix()).isEqualTo("model");
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void readBackEqualsWhatTorchRead() throws IOException {
        Map<String, Object> json = (Map<String, Object>) JsonReader.parse(TorchFixturesTest.bytes("torch-written/torch_read.json"));
        for (String version : List.of("torch_1_13", "torch_2_13")) {
            Map<String, Object> files = (Map<String, Object>) ((Map<String, Object>) json.get(version)).get("files");
            for (Map.Entry<String, Object> f : files.entrySet()) {
                Map<String, Object> exp = (Map<String, Object>) f.getValue();
                if (exp.containsKey("error")) {
                    assertThat(version).isEqualTo("torch_1_13"); // torch 1.13 has no float8/uint16... dtypes
                    continue;
                }
                try (TorchCheckpoint c = TorchCheckpoint.open(TorchFixturesTest.fixture("torch-written/" + f.getKey()))) {
                    Map<String, Object> tensors = (Map<String, Object>) exp.get("tensors");
                    assertThat(c.stateDict().keySet()).containsExactlyElementsOf(tensors.keySet());
                    for (Map.Entry<String, Object> t : tensors.entrySet()) {
                        compare(c.entries().get(t.getKey()), (Map<String, Object>) t.getValue());
                    }
                    for (List<String> group : (List<List<String>>) exp.get("shared_storages")) {
                        for (String n : group) {
                            assertThat(c.tensor(n).storageId()).isEqualTo(c.tensor(group.get(0)).storageId());
                        }
                    }
                    for (List<String> same : (List<List<String>>) exp.get("same_object")) {
                        assertThat(c.tensor(same.get(0))).isSameAs(c.tensor(same.get(1)));
                    }
                }
            }
        }
    }

    private static void compare(TorchCheckpoint.TensorEntry e, Map<String, Object> exp) {
        Tensor t = e.tensor();
        assertThat(e.torchDtype()).isEqualTo(exp.get("dtype"));
        if (t.dtype() == DType.F4) {
            byte[] bytes = new byte[(int) t.byteLength()];
            t.copyTo(MemorySegment.ofArray(bytes));
            List<?> expBytes = (List<?>) exp.get("bytes");
            for (int i = 0; i < bytes.length; i++) {
                assertThat(bytes[i] & 0xFF).isEqualTo(((Number) expBytes.get(i)).intValue());
            }
            return;
        }
        assertThat(t.shape()).isEqualTo(TorchFixturesTest.longs(exp.get("shape")));
        assertThat(t.strides()).isEqualTo(TorchFixturesTest.longs(exp.get("stride")));
        assertThat(t.storageOffset()).isEqualTo(((Number) exp.get("storage_offset")).longValue());
        List<?> values = (List<?>) exp.get("values");
        long[] shape = t.shape();
        long[] idx = new long[shape.length];
        for (int i = 0; i < values.size(); i++) {
            long r = i;
            for (int d = shape.length - 1; d >= 0; d--) {
                idx[d] = r % shape[d];
                r /= shape[d];
            }
            Object v = values.get(i);
            if (t.dtype().isComplex()) {
                double[] z = t.getComplex(idx);
                assertThat(z[0]).isEqualTo(((Number) ((List<?>) v).get(0)).doubleValue());
                assertThat(z[1]).isEqualTo(((Number) ((List<?>) v).get(1)).doubleValue());
            } else if (v instanceof Boolean b) {
                assertThat(t.getLong(idx)).isEqualTo(b ? 1 : 0);
            } else if (v instanceof Double d) {
                assertThat(t.getDouble(idx)).isEqualTo(d);
            } else if (v instanceof BigInteger big) {
                assertThat(Long.toUnsignedString(t.getLong(idx))).isEqualTo(big.toString());
            } else {
                long l = ((Number) v).longValue();
                assertThat(t.dtype().isFloatingPoint() ? (long) t.getDouble(idx) : t.getLong(idx)).isEqualTo(l);
            }
        }
    }

    @Test
    void roundTripKeepsSharingAndTrimsUnusedStorage(@TempDir Path d) throws IOException {
        float[] big = new float[100];
        for (int i = 0; i < big.length; i++) {
            big[i] = i;
        }
        Tensor base = Tensor.ofFloats(big, 10, 10);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("block", base.narrow(0, 2, 3).narrow(1, 1, 4)); // rows 2..4, cols 1..4
        m.put("row3", base.select(0, 3));
        Path p = d.resolve("x.bin");
        TorchCheckpoints.save(m, p);
        try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
            assertThat(c.storages()).hasSize(1);
            TorchCheckpoint.Storage s = c.storages().get("0");
            assertThat(s.numel()).isEqualTo(24); // elements 21 .. 44 only
            assertThat(c.tensor("block").getFloat(0, 0)).isEqualTo(21f);
            assertThat(c.tensor("block").getFloat(2, 3)).isEqualTo(44f);
            assertThat(c.tensor("row3").getFloat(9)).isEqualTo(39f);
            assertThat(StorageAliasing.sharedStorages(c.stateDict())).hasSize(1);
        }
    }

    @Test
    void writerRefusals(@TempDir Path d) {
        Path p = d.resolve("bad.pt");
        assertThatThrownBy(() -> TorchCheckpoints.save(Map.of("x", Tensor.of(MemorySegment.ofArray(new byte[3]),
                DType.F6_E2M3, 4)), p)).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("tensor 'x': dtype F6_E2M3 has no torch equivalent")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.INVALID_TENSOR);
        MemorySegment seg = MemorySegment.ofArray(new byte[8]);
        Map<String, Tensor> mixed = new LinkedHashMap<>();
        mixed.put("a", Tensor.of(seg, DType.F32, 2));
        mixed.put("b", Tensor.of(seg, DType.I32, 2));
        assertThatThrownBy(() -> TorchCheckpoints.save(mixed, p)).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("tensor 'b': cannot save tensors that view the same storage as different dtypes");
        assertThatThrownBy(() -> TorchCheckpoints.save(Map.of("f", Tensor.of(MemorySegment.ofArray(new byte[3]),
                DType.F4, 2, 3)), p)).isInstanceOf(TorchCheckpointException.class).hasMessageContaining("even last dimension");
        assertThat(p).doesNotExist();
        assertThat(d.toFile().list()).isEmpty();
    }

    /** An empty U8 view and a BOOL tensor over one storage; empty tensors never alias. */
    @Test
    void emptyTensorsNeverAliasOtherDtypes(@TempDir Path d) throws IOException {
        MemorySegment seg = MemorySegment.ofArray(new byte[] {1, 0, 1, 1});
        Map<String, Tensor> sd = new LinkedHashMap<>();
        sd.put("empty", Tensor.of(seg, DType.U8, new long[] {0}, new long[] {1}, 0));
        sd.put("mask", Tensor.of(seg, DType.BOOL, 4));
        sd.put("empty2", Tensor.of(seg, DType.I64, new long[] {0, 5}, new long[] {5, 1}, 0));
        Path p = d.resolve("e.bin");
        TorchCheckpoints.save(sd, p);
        try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
            assertThat(c.tensor("empty").numel()).isZero();
            assertThat(c.tensor("empty").dtype()).isEqualTo(DType.U8);
            assertThat(c.tensor("empty2").shape()).containsExactly(0, 5);
            assertThat(c.tensor("mask").data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                    .containsExactly(1, 0, 1, 1);
        }
    }

    @Test
    void zip64ExtraFieldsRoundTrip(@TempDir Path d) throws IOException {
        Path p = d.resolve("z64.pt");
        TorchCheckpoints.save(v2Sample(), p, true, true);
        try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
            assertThat(c.stateDict().keySet()).containsExactlyElementsOf(v2Sample().keySet());
            assertThat(c.tensor("cols").getFloat(3, 2)).isEqualTo(v2Sample().get("cols").getFloat(3, 2));
            for (TorchCheckpoint.Record r : c.records()) {
                assertThat(r.dataOffset() % 64).isZero();
            }
            assertThat((long) c.verify().checksums()).isEqualTo(c.records().stream().filter(r -> r.length() > 0).count());
            try (ZipFile z = new ZipFile(p.toFile())) { // java.util.zip reads the ZIP64 extras too
                assertThat(z.size()).isEqualTo(c.records().size());
                assertThat(z.getEntry("z64/data/0").getSize()).isEqualTo(c.storages().get("0").segment().byteSize());
            }
        }
    }
}
