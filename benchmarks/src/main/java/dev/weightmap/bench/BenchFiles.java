// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Inputs shared by the benchmarks: real fixtures from the repository and generated files. */
final class BenchFiles {
    private BenchFiles() {
    }

    /** A fixture from src/test/resources/fixtures (benchmarks run from the repository root or benchmarks/). */
    static Path fixture(String rel) {
        for (String root : new String[] {"src/test/resources/fixtures/", "../src/test/resources/fixtures/"}) {
            Path p = Path.of(root, rel);
            if (Files.exists(p)) {
                return p;
            }
        }
        throw new IllegalStateException("fixture " + rel + " not found: run from the repository root");
    }

    /** A safetensors file with {@code n} small F32 tensors named like a transformer's (header-dominated). */
    static Path manyTensors(Path dir, int n) throws IOException {
        Path p = dir.resolve("many_" + n + ".safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int layer = i / 10;
                String[] kinds = {"self_attn.q_proj.weight", "self_attn.k_proj.weight", "self_attn.v_proj.weight",
                    "self_attn.o_proj.weight", "mlp.gate_proj.weight", "mlp.up_proj.weight", "mlp.down_proj.weight",
                    "input_layernorm.weight", "post_attention_layernorm.weight", "self_attn.rotary_emb.inv_freq"};
                m.put("model.layers." + layer + "." + kinds[i % 10], Tensor.of(arena.allocate(16), DType.F32, 2, 2));
            }
            Safetensors.save(m, Map.of("format", "pt"), p);
        }
        return p;
    }

    /** A sparse file of {@code size} bytes holding 4 tensors that cover it (nothing but the header is written). */
    static Path sparse(Path dir, long size) throws IOException {
        Path p = dir.resolve("sparse_" + size + ".safetensors");
        long quarter = 1L << 20;
        String header = null;
        for (int pad = 0; pad < 2; pad++) {
            long hl = header == null ? 0 : header.length();
            long data = size - 8 - hl;
            long q = (data / 4) & ~3L;
            long last = data - 3 * q;
            header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[" + q + "],\"data_offsets\":[0," + q + "]},"
                    + "\"b\":{\"dtype\":\"U8\",\"shape\":[" + q + "],\"data_offsets\":[" + q + "," + 2 * q + "]},"
                    + "\"c\":{\"dtype\":\"U8\",\"shape\":[" + q + "],\"data_offsets\":[" + 2 * q + "," + 3 * q + "]},"
                    + "\"d\":{\"dtype\":\"U8\",\"shape\":[" + last + "],\"data_offsets\":[" + 3 * q + "," + data + "]}}";
            int padded = (header.length() + 7) & ~7;
            header = header + " ".repeat(padded - header.length());
        }
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
            raf.setLength(0);
            byte[] len = new byte[8];
            long n = h.length;
            for (int i = 0; i < 8; i++) {
                len[i] = (byte) (n >>> (8 * i));
            }
            raf.write(len);
            raf.write(h);
            raf.setLength(size);
        }
        return p;
    }

    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
        }
    }

    static MemorySegment heapCopy(Path p) throws IOException {
        return MemorySegment.ofArray(Files.readAllBytes(p));
    }
}
