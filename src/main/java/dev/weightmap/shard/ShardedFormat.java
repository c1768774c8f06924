// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;
import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Sharded checkpoints for {@link Weights#open(Path, OpenOptions)}: a folder (huggingface_hub's selection rules, see
 * {@link Checkpoints#open(Path, LoadOptions)}) or an index file: a JSON object with a {@code weight_map} key. A
 * {@code .index.json} name alone is a weak claim.
 */
public final class ShardedFormat implements WeightsFormat {
    /** How far into a JSON file {@code "weight_map"} is looked for. */
    private static final int SCAN = 1 << 20;
    /** The index files of the hub's default filename patterns. */
    private static final String SAFETENSORS_INDEX = FilenamePattern.of(FilenamePattern.SAFETENSORS).index();
    private static final String PYTORCH_INDEX = FilenamePattern.of(FilenamePattern.PYTORCH).index();

    /** The service-loader constructor. */
    public ShardedFormat() {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "sharded"}
     */
    @Override
    public String name() {
        return Weights.SHARDED;
    }

    /**
     * {@inheritDoc}
     *
     * @param probe the input
     * @return {@link #CONTENT} for an index file or a folder holding one of the hub's index files
     *         ({@code model.safetensors.index.json}, {@code pytorch_model.bin.index.json}), {@link #CONTENT_WEAK}
     *         for another folder (the hub's rules may still find one weights file in it), {@link #NAME} for an
     *         {@code .index.json} name
     * @throws IOException when reading fails
     */
    @Override
    public int detect(Probe probe) throws IOException {
        if (probe.isDirectory()) {
            Path dir = probe.path();
            return java.nio.file.Files.isRegularFile(dir.resolve(SAFETENSORS_INDEX))
                    || java.nio.file.Files.isRegularFile(dir.resolve(PYTORCH_INDEX)) ? CONTENT : CONTENT_WEAK;
        }
        if (probe.startsWithJson('{') && hasWeightMap(probe)) {
            return CONTENT;
        }
        return probe.fileName().endsWith(".index.json") ? NAME : NONE;
    }

    private static boolean hasWeightMap(Probe p) throws IOException {
        byte[] b = p.headLength() < p.size() ? p.read(0, SCAN) : p.head();
        String text = new String(b, StandardCharsets.UTF_8);
        int i = -1;
        while ((i = text.indexOf("\"weight_map\"", i + 1)) >= 0) {
            int j = i + "\"weight_map\"".length();
            while (j < text.length() && Character.isWhitespace(text.charAt(j))) {
                j++;
            }
            if (j < text.length() && text.charAt(j) == ':') {
                return true;
            }
        }
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * @param path    the folder or index file
     * @param options the {@code safe} switch and filename pattern (folders)
     * @return a {@link Checkpoint}
     * @throws IOException when a file cannot be read
     */
    @Override
    public Weights open(Path path, OpenOptions options) throws IOException {
        LoadOptions lo = LoadOptions.defaults().withSafe(options.safe())
                .withFilenamePattern(options.filenamePattern()).withMaxHeaderBytes(options.maxHeaderBytes())
                .withMaxIndexBytes(options.maxIndexBytes()).withArena(options.arena());
        if (probeIsIndex(path)) {
            return Checkpoints.openIndex(path, lo.withSafe(false)); // a named index opens what it names, as a named file does
        }
        return Checkpoints.open(path, lo);
    }

    private static boolean probeIsIndex(Path path) {
        return !java.nio.file.Files.isDirectory(path);
    }
}
