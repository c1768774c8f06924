// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code weightmap demo}: the README's main job on a built-in sample, no download. */
final class DemoCommand implements Command {
    @Override
    public String name() {
        return "demo";
    }

    @Override
    public String summary() {
        return "write a small sample model, reopen it zero-copy and show it";
    }

    @Override
    public String usage() {
        return """
                weightmap demo [--keep]
                  Writes a small sample model (F32, BF16, F16, F8_E4M3 and I64 tensors) to a temporary folder as
                  safetensors, reopens it zero-copy, prints its tensor table, a few values and the open time.
                  --keep   leave the sample file in place (its path is printed)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--keep"), Set.of());
        a.positionals(0, "no arguments");
        Path dir = Files.createTempDirectory("weightmap-demo");
        Path file = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> sd = sample(arena);
            Map<String, String> md = new LinkedHashMap<>();
            md.put("format", "pt");
            md.put("producer", "weightmap demo");
            Safetensors.save(sd, md, file);
        }
        cli.out().println("wrote " + file + " (" + Files.size(file) + " bytes)");
        // warm the code path once, then time a cold-in-process open
        try (SafetensorsFile warm = SafetensorsFile.open(file)) {
            warm.size();
        }
        long t0 = System.nanoTime();
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            long openNanos = System.nanoTime() - t0;
            cli.out().printf("opened zero-copy in %.1f µs (mapped, header parsed and validated; a cold JVM, see"
                    + " benchmarks/README.md for steady-state numbers); SIMD code paths: %s%n%n", openNanos / 1000.0,
                    dev.weightmap.internal.simd.VectorizationProvider.get().describe());
            try (dev.weightmap.Weights table = Input.open(file)) {
                Describe.printTable(table, file, cli.out());
            }
            cli.out().println();
            Tensor emb = f.tensor("model.embed_tokens.weight");
            cli.out().printf("model.embed_tokens.weight[1, 0:4] = %s%n", fmt(f.slice("model.embed_tokens.weight",
                    dev.weightmap.safetensors.SliceIndex.parse("1, 0:4")).toFloatArray()));
            cli.out().printf("model.layers.0.self_attn.q_proj.weight (BF16)[0, 0:4] = %s%n",
                    fmt(f.slice("model.layers.0.self_attn.q_proj.weight",
                            dev.weightmap.safetensors.SliceIndex.parse("0, 0:4")).toFloatArray()));
            cli.out().printf("model.norm.weight (F16)[0:4] = %s%n",
                    fmt(f.tensor("model.norm.weight").narrow(0, 0, 4).toFloatArray()));
            cli.out().printf("lm_head.weight_scale (F8_E4M3)[0:4] = %s%n",
                    fmt(f.tensor("lm_head.weight_scale").narrow(0, 0, 4).toFloatArray()));
            cli.out().printf("step (I64) = %d%n", f.tensor("step").getLong());
            cli.out().printf("embedding data address alignment: %d bytes; storage is a %d-byte slice of the mapping%n",
                    emb.alignment(), emb.storageSize());
        }
        if (a.flag("--keep")) {
            cli.out().println("kept " + file);
        } else {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(q -> q.toFile().delete());
            }
        }
        return 0;
    }

    private static String fmt(float[] v) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(String.format("%.4f", v[i]));
        }
        return sb.append(']').toString();
    }

    /** A small deterministic llama-like state dict. */
    static Map<String, Tensor> sample(Arena arena) {
        Map<String, Tensor> sd = new LinkedHashMap<>();
        int vocab = 64;
        int dim = 32;
        sd.put("model.embed_tokens.weight", filled(arena, DType.F32, vocab, dim));
        sd.put("model.layers.0.self_attn.q_proj.weight", filled(arena, DType.BF16, dim, dim));
        sd.put("model.layers.0.self_attn.k_proj.weight", filled(arena, DType.BF16, dim, dim));
        sd.put("model.layers.0.mlp.up_proj.weight", filled(arena, DType.BF16, 2 * dim, dim));
        sd.put("model.norm.weight", filled(arena, DType.F16, dim));
        sd.put("lm_head.weight_scale", filled(arena, DType.F8_E4M3, dim));
        MemorySegment step = arena.allocate(8);
        step.set(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0, 1000);
        sd.put("step", Tensor.of(step, DType.I64));
        return sd;
    }

    private static Tensor filled(Arena arena, DType dt, long... shape) {
        long n = DType.numel(shape);
        MemorySegment s = arena.allocate(dt.byteLength(n), 64);
        for (long i = 0; i < n; i++) {
            float v = (float) Math.sin(i * 0.1) * 0.5f;
            switch (dt) {
                case F32 -> s.set(ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 4, v);
                case BF16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2,
                        (short) (Float.floatToRawIntBits(v) >>> 16));
                case F16 -> s.set(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i * 2,
                        Float.floatToFloat16(v + 1f));
                case F8_E4M3 -> s.set(ValueLayout.JAVA_BYTE, i, (byte) (0x30 + (i % 16)));
                default -> throw new IllegalArgumentException(dt.toString());
            }
        }
        return Tensor.of(s, dt, shape);
    }
}
