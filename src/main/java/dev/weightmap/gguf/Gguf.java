// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;
import dev.weightmap.tensor.Casts;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes any tensors as a GGUF file: the tensors of a safetensors file, a sharded checkpoint, a torch checkpoint
 * or a DDUF entry, quantized on the way when a target type is given.
 *
 * <p>Names are kept and shapes become GGUF's {@code ne} (the row-major shape reversed). Without a target type a
 * tensor whose dtype is a GGML plain type (F32, F16, BF16, F64, I8, I16, I32, I64) is stored as it is. With one,
 * every floating-point tensor is converted to F32 and quantized with {@link Quantize} (on all processors, with
 * the same bytes as on one), integer tensors stay as they are, and a tensor whose row length ({@code ne[0]}) is
 * not a multiple of the target's block size is stored as F32 and named in {@link Written#unquantized()}.
 * Metadata values become typed pairs: {@link String} STRING, {@link Boolean} BOOL, {@link Integer} INT32,
 * {@link Long} INT64, {@link Float} FLOAT32, {@link Double} FLOAT64 and {@link GgufArray} ARRAY; for other types
 * use {@link GgufWriter}.
 *
 * <pre>{@code
 * try (Weights w = Weights.open(Path.of("model.safetensors"))) {
 *     Gguf.Written r = Gguf.write(w.tensors(), w.metadata(), GgmlType.Q8_0, Path.of("model.gguf"));
 * }
 * }</pre>
 */
public final class Gguf {
    private Gguf() {
    }

    /**
     * What a write stored.
     *
     * @param types       the GGML type each tensor was stored as, in file order
     * @param unquantized the tensors stored as F32 because their row length is not a multiple of the target's
     *                    block size
     */
    public record Written(Map<String, GgmlType> types, List<String> unquantized) {
        /**
         * A result.
         *
         * @param types       the stored types
         * @param unquantized the tensors stored unquantized
         */
        public Written {
            types = Collections.unmodifiableMap(new LinkedHashMap<>(types));
            unquantized = List.copyOf(unquantized);
        }
    }

    /**
     * Writes {@code tensors} with their plain types kept, atomically.
     *
     * @param tensors  the tensors, in file order
     * @param metadata the metadata pairs, in file order
     * @param file     the target, replaced atomically
     * @return what was stored
     * @throws GgufException {@code INVALID_ARGUMENT} for a tensor of more than 4 dims, a dtype GGUF has no type
     *                       for, or a metadata value of another type
     * @throws IOException   when writing fails
     */
    public static Written write(Map<String, Tensor> tensors, Map<String, ?> metadata, Path file) throws IOException {
        return write(tensors, metadata, null, file);
    }

    /**
     * Writes {@code tensors}, quantized to {@code type}, atomically.
     *
     * @param tensors  the tensors, in file order
     * @param metadata the metadata pairs, in file order
     * @param type     the target type (one of {@link Quantize#SUPPORTED}), or null to keep plain types
     * @param file     the target, replaced atomically
     * @return what was stored
     * @throws GgufException {@code INVALID_ARGUMENT} as for {@link #write(Map, Map, Path)}, and for a target type
     *                       that cannot be quantized to or a tensor too large to quantize in memory
     * @throws IOException   when writing fails
     */
    public static Written write(Map<String, Tensor> tensors, Map<String, ?> metadata, GgmlType type, Path file)
            throws IOException {
        List<String> unquantized = new ArrayList<>();
        Map<String, GgmlType> types = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            writer(tensors, metadata, type, arena, types, unquantized).write(file);
        }
        return new Written(types, unquantized);
    }

    /**
     * Writes {@code tensors}, quantized to {@code type}, to a channel.
     *
     * @param tensors  the tensors, in file order
     * @param metadata the metadata pairs, in file order
     * @param type     the target type (one of {@link Quantize#SUPPORTED}), or null to keep plain types
     * @param out      the channel
     * @return what was stored
     * @throws GgufException {@code INVALID_ARGUMENT} as for {@link #write(Map, Map, GgmlType, Path)}
     * @throws IOException   when writing fails
     */
    public static Written write(Map<String, Tensor> tensors, Map<String, ?> metadata, GgmlType type,
                                WritableByteChannel out) throws IOException {
        List<String> unquantized = new ArrayList<>();
        Map<String, GgmlType> types = new LinkedHashMap<>();
        try (Arena arena = Arena.ofConfined()) {
            writer(tensors, metadata, type, arena, types, unquantized).write(out);
        }
        return new Written(types, unquantized);
    }

    private static GgufWriter writer(Map<String, Tensor> tensors, Map<String, ?> metadata, GgmlType target,
                                     Arena arena, Map<String, GgmlType> types, List<String> unquantized) {
        if (target != null && !Quantize.SUPPORTED.contains(target)) {
            throw bad(target.name(), "cannot be quantized to; the targets are " + Quantize.SUPPORTED);
        }
        GgufWriter writer = new GgufWriter();
        metadata.forEach((k, v) -> writer.put(k, valueType(k, v), v));
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            long[] ne = ne(name, t.shape());
            GgmlType plain = plainType(t.dtype());
            if (plain != null && (target == null || !floating(t.dtype()))) { // integers are never quantized
                writer.tensor(name, plain, ne, t.contiguous(arena).data());
                types.put(name, plain);
                continue;
            }
            if (t.numel() > Integer.MAX_VALUE - 8) {
                throw bad(name, "is too large to quantize in memory (" + t.numel() + " elements)");
            }
            if (!Casts.supports(t.dtype(), DType.F32)) {
                throw bad(name, t.dtype() + " cannot be converted to GGUF");
            }
            float[] values = new float[(int) t.numel()];
            Casts.copy(t, Tensor.of(MemorySegment.ofArray(values), DType.F32, t.numel()));
            GgmlType type = target == null ? GgmlType.F32 : target;
            if (ne[0] % type.blockSize() != 0) {
                unquantized.add(name);
                type = GgmlType.F32;
            }
            writer.tensor(name, type, ne, MemorySegment.ofArray(Quantize.quantize(type, values, 0, values.length,
                    Runtime.getRuntime().availableProcessors()))); // the same bytes on any count
            types.put(name, type);
        }
        return writer;
    }

    /** GGUF's dims of a row-major shape: reversed, a scalar as {@code [1]}. */
    private static long[] ne(String name, long[] shape) {
        if (shape.length > 4) {
            throw bad(name, "has " + shape.length + " dims; GGUF tensors have at most 4");
        }
        long[] ne = new long[Math.max(1, shape.length)];
        Arrays.fill(ne, 1);
        for (int i = 0; i < shape.length; i++) {
            ne[i] = shape[shape.length - 1 - i];
        }
        return ne;
    }

    private static GgufValueType valueType(String key, Object v) {
        return switch (v) {
            case String s -> GgufValueType.STRING;
            case Boolean b -> GgufValueType.BOOL;
            case Integer i -> GgufValueType.INT32;
            case Long l -> GgufValueType.INT64;
            case Float f -> GgufValueType.FLOAT32;
            case Double d -> GgufValueType.FLOAT64;
            case GgufArray a -> GgufValueType.ARRAY;
            case null, default -> throw bad(key, "a metadata value of type "
                    + (v == null ? "null" : v.getClass().getSimpleName()) + " has no GGUF type here (use GgufWriter)");
        };
    }

    private static boolean floating(DType d) {
        return d == DType.F32 || d == DType.F16 || d == DType.BF16 || d == DType.F64;
    }

    /** The GGML plain type stored like {@code d}, or null. */
    private static GgmlType plainType(DType d) {
        for (GgmlType g : GgmlType.values()) {
            if (g.dtype() == d) {
                return g;
            }
        }
        return null;
    }

    private static GgufException bad(String item, String message) {
        return new GgufException(Reason.INVALID_ARGUMENT, null, item, "`" + item + "` " + message);
    }
}
