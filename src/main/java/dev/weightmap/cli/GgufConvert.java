// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.Weights;
import dev.weightmap.gguf.GgmlType;
import dev.weightmap.gguf.Gguf;
import dev.weightmap.gguf.GgufArray;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.gguf.GgufTensorInfo;
import dev.weightmap.gguf.Quantize;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.shard.Conversion;
import dev.weightmap.shard.SaveOptions;
import dev.weightmap.shard.StateDicts;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code convert FILE.gguf OUT.safetensors [--dtype f32|bf16|f16]}: GGUF tensors dequantized into a checkpoint. */
final class GgufConvert {
    private GgufConvert() {
    }

    static int toCheckpoint(Cli cli, GgufFile g, Path in, Path out, String dtypeName, long maxShard)
            throws IOException {
        DType dtype = null;
        if (dtypeName != null) {
            dtype = switch (dtypeName.toLowerCase(Locale.ROOT)) {
                case "f32" -> DType.F32;
                case "bf16" -> DType.BF16;
                case "f16" -> DType.F16;
                default -> throw new UsageException("--dtype takes f32, bf16 or f16, not " + dtypeName);
            };
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        g.metadata().forEach((k, v) -> {
            if (!(v instanceof GgufArray) && !k.equals("format") && !k.equals("total_size")) {
                metadata.put(k, text(v));
            }
        });
        long total = 0;
        for (GgufTensorInfo t : g.infos()) {
            total += t.length();
        }
        Cli.Progress progress = cli.progress("converting " + in.getFileName(), total);
        try (Arena arena = Arena.ofShared()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            for (GgufTensorInfo t : g.infos()) {
                boolean keep = dtype == null ? !t.type().isQuantized() : t.type().dtype() == dtype;
                tensors.put(t.name(), keep ? g.tensor(t.name())
                        : g.dequantizeTensor(t.name(), dtype == null ? DType.F32 : dtype, arena));
                progress.add(t.length());
            }
            SaveOptions options = SaveOptions.builder().format(Conversion.formatOf(out))
                    .filenamePattern(Conversion.filenamePatternOf(out))
                    .maxShardSize(maxShard < 0 ? Long.MAX_VALUE : maxShard).metadata(metadata)
                    .forceContiguous(true).build();
            Files.createDirectories(out.getParent());
            StateDicts.save(tensors, out.getParent(), options);
            if (Files.isRegularFile(out)) {
                cli.out().printf("converted %s (%d tensors) -> %s: 1 file(s), %d bytes%n", in, tensors.size(),
                        out.getParent(), Files.size(out));
            } else {
                cli.out().printf("converted %s (%d tensors) -> %s: sharded as %s%n", in, tensors.size(),
                        out.getParent(), options.filenamePattern());
            }
        } finally {
            progress.done();
        }
        return 0;
    }

    /** A scalar metadata value as a string: numbers exact (floats as their shortest repr), booleans lower case. */
    static String text(Object v) {
        if (v instanceof Float f) {
            return JsonWriter.python(0).write(Double.parseDouble(Float.toString(f)));
        }
        if (v instanceof Double d) {
            return JsonWriter.python(0).write(d);
        }
        return String.valueOf(v);
    }

    /** {@code convert IN OUT.gguf [--type T]}: any input's tensors into a GGUF file. */
    static int toGguf(Cli cli, Weights w, Path in, Path out, String typeName) throws IOException {
        GgmlType target = null;
        if (typeName != null) {
            target = GgmlType.byName(typeName);
            if (target == null || !Quantize.SUPPORTED.contains(target)) {
                throw new UsageException("--type takes f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, tq1_0, tq2_0 or mxfp4, not "
                        + typeName);
            }
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        w.metadata().forEach((k, v) -> {
            if (v instanceof String s && !k.equals("format")) {
                metadata.put(k, s);
            }
        });
        Files.createDirectories(out.getParent());
        Gguf.Written r = Gguf.write(w.tensors(), metadata, target, out);
        GgmlType stored = target == null ? GgmlType.F32 : target;
        for (String name : r.unquantized()) {
            Tensor t = w.tensor(name);
            long rowLength = t.shape().length == 0 ? 1 : t.shape()[t.shape().length - 1];
            cli.out().printf("%s: row length %d is not a multiple of the %s block size %d: stored as F32%n",
                    name, rowLength, stored, stored.blockSize());
        }
        cli.out().printf("converted %s (%d tensors) -> %s: %d bytes%s%n", in, w.tensorNames().size(), out,
                Files.size(out), r.unquantized().isEmpty() ? "" : ", " + r.unquantized().size()
                        + " tensor(s) stored as F32");
        return 0;
    }
}
