package dev.weightmap.torch;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

class ScratchWriteTest {
    @Test
    void write() throws Exception {
        Path dir = Path.of("/tmp/torchout");
        Files.createDirectories(dir);
        float[] v = new float[24];
        for (int i = 0; i < 24; i++) v[i] = i * 0.5f - 3;
        Tensor w = Tensor.ofFloats(v, 4, 6);
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("embed.weight", w);
        m.put("lm_head.weight", w);
        m.put("row2", w.select(0, 2));
        m.put("wT", w.transpose(0, 1));
        m.put("cols", w.slice(1, 1, 6, 2));
        m.put("scalar", Tensor.ofFloats(new float[]{7f}));
        m.put("empty", Tensor.ofFloats(new float[0], 0, 3));
        long[] l = {1, -2, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 40};
        m.put("i64", Tensor.of(MemorySegment.ofArray(l), DType.I64, 5));
        byte[] b = {1, 0, 1};
        m.put("bool", Tensor.of(MemorySegment.ofArray(b), DType.BOOL, 3));
        short[] h = {0x3c00, (short) 0xbc00, 0x4000, 0};
        m.put("bf16", Tensor.of(MemorySegment.ofArray(h), DType.BF16, 2, 2));
        m.put("f16", Tensor.of(MemorySegment.ofArray(h.clone()), DType.F16, 4));
        double[] c = {1, 2, 3, 4};
        m.put("c128", Tensor.of(MemorySegment.ofArray(c), DType.C128, 2));
        m.put("c64", Tensor.of(MemorySegment.ofArray(new float[]{1, 2, 3, 4}), DType.C64, 2));
        m.put("i8", Tensor.of(MemorySegment.ofArray(new byte[]{-1, 2}), DType.I8, 2));
        m.put("u8", Tensor.of(MemorySegment.ofArray(new byte[]{-1, 2}), DType.U8, 2));
        m.put("i16", Tensor.of(MemorySegment.ofArray(new short[]{-1, 2}), DType.I16, 2));
        m.put("i32", Tensor.of(MemorySegment.ofArray(new int[]{-1, 2}), DType.I32, 2));
        m.put("f64", Tensor.of(MemorySegment.ofArray(new double[]{-1.5, 2}), DType.F64, 2));
        TorchCheckpoints.save(m, dir.resolve("v2_all.pt"));
        Map<String, Tensor> n = new LinkedHashMap<>();
        n.put("f8", Tensor.of(MemorySegment.ofArray(new byte[]{0, (byte) 0x7e, 0x38, 1}), DType.F8_E4M3, 2, 2));
        n.put("f8t", n.get("f8").transpose(0, 1));
        n.put("f8e5", Tensor.of(MemorySegment.ofArray(new byte[]{0x3c, 0x7b}), DType.F8_E5M2, 2));
        n.put("u16", Tensor.of(MemorySegment.ofArray(new short[]{-1, 2}), DType.U16, 2));
        n.put("u32", Tensor.of(MemorySegment.ofArray(new int[]{-1, 2}), DType.U32, 2));
        n.put("u64", Tensor.of(MemorySegment.ofArray(new long[]{-1, 2}), DType.U64, 2));
        n.put("f4", Tensor.of(MemorySegment.ofArray(new byte[]{0x12, 0x34, 0x56, 0x78}), DType.F4, 2, 4));
        n.put("e8m0", Tensor.of(MemorySegment.ofArray(new byte[]{127, (byte) 128}), DType.F8_E8M0, 2));
        TorchCheckpoints.save(n, dir.resolve("v3_new_dtypes.pt"));
        try (TorchCheckpoint ck = TorchCheckpoint.open(dir.resolve("v2_all.pt"))) {
            System.out.println(ck.stateDict().keySet());
        }
    }
}
