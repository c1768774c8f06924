// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.TensorLocation;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Converting an opened checkpoint of any format into safetensors or PyTorch files, sharded or not: what
 * {@code weightmap convert} and {@code weightmap shard} do, as a library call.
 *
 * <pre>{@code
 * try (Weights in = Weights.open(Path.of("pytorch_model.bin"))) {
 *     Conversion.Result r = Conversion.convert(in, Path.of("out/model.safetensors"));
 *     r.files();   // [out/model.safetensors]
 * }
 * }</pre>
 *
 * <p>The rules:
 * <ul>
 *   <li>the output format comes from the output name: {@code .safetensors}, or {@code .bin}/{@code .pt}/{@code .pth}
 *       for the torch format ({@link #formatOf(Path)}); shards are named after it, as huggingface_hub names them
 *       ({@code out/model.safetensors} gives {@code model-00001-of-00003.safetensors} and
 *       {@code model.safetensors.index.json});</li>
 *   <li>a sharded input gives as many shards: the largest input shard's tensor bytes bound each output shard
 *       ({@link #inputShardSize(Weights)}); an explicit size shards any input;</li>
 *   <li>the input's string metadata is carried over, except {@code format} and {@code total_size}, which the
 *       writer sets itself ({@link #carriedMetadata(Weights)});</li>
 *   <li>everything else is {@link StateDicts#save}: tied tensors saved once ({@code removed -> kept} metadata),
 *       strided tensors made contiguous, {@code {"format":"pt"}} in safetensors files, aliasing safetensors cannot
 *       express refused with {@code SHARED_TENSORS}, files staged and renamed into place only when complete.</li>
 * </ul>
 */
public final class Conversion {
    private Conversion() {
    }

    /**
     * What a conversion wrote.
     *
     * @param directory the output folder
     * @param files     the files written, shards in name order, then the index when there is one
     * @param bytes     their total size
     * @param tensors   the number of tensors read from the input
     */
    public record Result(Path directory, List<Path> files, long bytes, int tensors) {
        /**
         * A result.
         *
         * @param directory the output folder
         * @param files     the files written
         * @param bytes     their total size
         * @param tensors   the number of tensors read
         */
        public Result {
            files = List.copyOf(files);
        }
    }

    /**
     * The output format an output file name asks for.
     *
     * @param out the output file, for example {@code out/model.safetensors}
     * @return {@link SaveOptions.Format#SAFETENSORS} for {@code .safetensors}, {@link SaveOptions.Format#TORCH} for
     *         {@code .bin}, {@code .pt} and {@code .pth}
     * @throws WeightmapException {@code INVALID_ARGUMENT} for any other name, or a name with braces
     */
    public static SaveOptions.Format formatOf(Path out) {
        String name = nameOf(out);
        String lower = name.toLowerCase(Locale.ROOT);
        if (name.contains("{") || name.contains("}")) {
            throw new WeightmapException(WeightmapException.Common.INVALID_ARGUMENT, out.toString(), null,
                    "OUT must not contain braces: " + name, null);
        }
        if (lower.endsWith(".safetensors")) {
            return SaveOptions.Format.SAFETENSORS;
        }
        if (lower.endsWith(".bin") || lower.endsWith(".pt") || lower.endsWith(".pth")) {
            return SaveOptions.Format.TORCH;
        }
        throw new WeightmapException(WeightmapException.Common.INVALID_ARGUMENT, out.toString(), null,
                "OUT must end in .safetensors, .bin, .pt or .pth: " + name, null);
    }

    /**
     * The shard filename pattern an output file name gives: {@code model.safetensors} gives
     * {@code model{suffix}.safetensors}.
     *
     * @param out the output file
     * @return the pattern for {@link SaveOptions.Builder#filenamePattern(String)}
     * @throws WeightmapException {@code INVALID_ARGUMENT} as {@link #formatOf(Path)}
     */
    public static String filenamePatternOf(Path out) {
        formatOf(out);
        String name = nameOf(out);
        int dot = name.toLowerCase(Locale.ROOT).endsWith(".safetensors") ? name.length() - ".safetensors".length()
                : name.lastIndexOf('.');
        return name.substring(0, dot) + "{suffix}" + name.substring(dot);
    }

    private static String nameOf(Path out) {
        Path n = out.getFileName();
        if (n == null) {
            throw new WeightmapException(WeightmapException.Common.INVALID_ARGUMENT, out.toString(), null,
                    "OUT must be a file name ending in .safetensors, .bin, .pt or .pth: " + out, null);
        }
        return n.toString();
    }

    /**
     * The metadata a conversion carries over: the string entries of a safetensors file's or an index's metadata,
     * without {@code format} and {@code total_size} (the writer sets those). Other formats' metadata (a DDUF
     * archive's model index, torch state-dict attributes) has no place in a safetensors header and is not carried.
     *
     * @param in the input
     * @return the metadata, in the input's order
     */
    public static Map<String, String> carriedMetadata(Weights in) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!in.format().equals(Weights.SAFETENSORS) && !in.format().equals(Weights.SHARDED)) {
            return out;
        }
        in.metadata().forEach((k, v) -> {
            if (v instanceof String s && !k.equals("format") && !k.equals("total_size")) {
                out.put(k, s);
            }
        });
        return out;
    }

    /**
     * The shard size that gives as many shards as the input: the largest tensor byte count of one input file when
     * the tensors live in several files, else {@link Long#MAX_VALUE} (one output file).
     *
     * @param in the input
     * @return the largest shard size in bytes, at least 1
     */
    public static long inputShardSize(Weights in) {
        Map<Path, Long> perFile = new LinkedHashMap<>();
        for (TensorLocation l : in.locations()) {
            perFile.merge(l.file(), in.tensor(l.name()).byteLength(), Long::sum);
        }
        if (perFile.size() <= 1) {
            return Long.MAX_VALUE;
        }
        return Math.max(1, perFile.values().stream().mapToLong(Long::longValue).max().orElse(1));
    }

    /**
     * Converts into the format {@code out} names, with as many shards as the input.
     *
     * @param in  the input
     * @param out the output file name; its folder is created when missing and receives the shards and index
     * @return what was written
     * @throws WeightmapException {@code INVALID_ARGUMENT} for an output name of no known format, the format's
     *                            exceptions ({@code SHARED_TENSORS} ...)
     * @throws IOException        when writing fails
     */
    public static Result convert(Weights in, Path out) throws IOException {
        return convert(in, out, inputShardSize(in));
    }

    /**
     * Converts into the format {@code out} names, with shards of at most {@code maxShardSize} bytes.
     *
     * @param in           the input
     * @param out          the output file name; its folder is created when missing
     * @param maxShardSize the largest shard in bytes ({@link ShardSize#parse(String)} reads size strings)
     * @return what was written
     * @throws WeightmapException {@code INVALID_ARGUMENT} for an output name of no known format, the format's
     *                            exceptions ({@code SHARED_TENSORS} ...)
     * @throws IOException        when writing fails
     */
    public static Result convert(Weights in, Path out, long maxShardSize) throws IOException {
        return convert(in, out, maxShardSize, false);
    }

    /**
     * {@link #convert(Weights, Path, long)}, optionally allowing amplification ({@link
     * SaveOptions.Builder#allowAmplification(boolean)}).
     *
     * @param in                 the input
     * @param out                the output file name; its folder is created when missing
     * @param maxShardSize       the largest shard in bytes
     * @param allowAmplification whether expanded views may be written out in full
     * @return what was written
     * @throws WeightmapException {@code AMPLIFICATION} when not allowed and the input's tensors would
     *                            materialise far more bytes than they store; as {@link #convert(Weights, Path, long)}
     * @throws IOException        when writing fails
     */
    public static Result convert(Weights in, Path out, long maxShardSize, boolean allowAmplification)
            throws IOException {
        Path abs = out.toAbsolutePath();
        SaveOptions options = SaveOptions.builder().format(formatOf(abs)).filenamePattern(filenamePatternOf(abs))
                .maxShardSize(maxShardSize).metadata(carriedMetadata(in)).forceContiguous(true)
                .allowAmplification(allowAmplification).build();
        Path dir = abs.getParent();
        Files.createDirectories(dir);
        return save(in, dir, options);
    }

    /**
     * Saves every tensor of {@code in} into a folder with {@link StateDicts#save} and lists what was written.
     * Pass {@link #carriedMetadata(Weights)} in the options to keep the input's metadata.
     *
     * @param in        the input
     * @param directory an existing folder
     * @param options   the save options
     * @return what was written
     * @throws IOException when writing fails
     */
    public static Result save(Weights in, Path directory, SaveOptions options) throws IOException {
        List<Path> files = StateDicts.save(in.tensors(), directory, options);
        long bytes = 0;
        for (Path f : files) {
            bytes += Files.size(f);
        }
        return new Result(directory, files, bytes, in.tensorNames().size());
    }
}
