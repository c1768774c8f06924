// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;
import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The GGUF format for {@link Weights#open(Path, OpenOptions)}: the magic {@code GGUF} at offset 0, whatever the
 * file is called (a {@code .gguf} name alone is a weak claim, so a damaged file still gets the precise GGUF error).
 */
public final class GgufFormat implements WeightsFormat {
    /** The service-loader constructor. */
    public GgufFormat() {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "gguf"}
     */
    @Override
    public String name() {
        return Weights.GGUF;
    }

    /**
     * {@inheritDoc}
     *
     * @param probe the input
     * @return {@link #CONTENT} for the magic, {@link #NAME} for a {@code .gguf} name
     */
    @Override
    public int detect(Probe probe) {
        if (probe.isDirectory()) {
            return NONE;
        }
        if (probe.headByte(0) == 'G' && probe.headByte(1) == 'G' && probe.headByte(2) == 'U'
                && probe.headByte(3) == 'F') {
            return CONTENT;
        }
        return probe.fileName().endsWith(".gguf") ? NAME : NONE;
    }

    /**
     * {@inheritDoc}
     *
     * @param path    the file
     * @param options the arena
     * @return a {@link GgufFile}
     * @throws IOException when the file cannot be read
     */
    @Override
    public Weights open(Path path, OpenOptions options) throws IOException {
        return GgufFile.open(path, options);
    }
}
