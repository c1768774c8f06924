// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;
import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The DDUF format for {@link Weights#open(Path, OpenOptions)}: a ZIP archive whose central directory holds a root
 * {@code model_index.json}. A {@code .dduf} name alone is a weak claim (a damaged archive still gets the DDUF
 * error).
 */
public final class DdufFormat implements WeightsFormat {
    /** The service-loader constructor. */
    public DdufFormat() {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "dduf"}
     */
    @Override
    public String name() {
        return Weights.DDUF;
    }

    /**
     * {@inheritDoc}
     *
     * @param probe the input
     * @return {@link #CONTENT} for a ZIP with a root {@code model_index.json}, {@link #NAME} for a {@code .dduf} name
     * @throws IOException when reading fails
     */
    @Override
    public int detect(Probe probe) throws IOException {
        if (probe.isDirectory()) {
            return NONE;
        }
        if (probe.isZip() && probe.zipNames().contains(DdufRules.MODEL_INDEX)) {
            return CONTENT;
        }
        return probe.fileName().endsWith(".dduf") ? NAME : NONE;
    }

    /**
     * {@inheritDoc}
     *
     * @param path    the archive
     * @param options the arena
     * @return a {@link DdufFile}
     * @throws IOException when the file cannot be read
     */
    @Override
    public Weights open(Path path, OpenOptions options) throws IOException {
        return DdufFile.open(path, options);
    }

    /**
     * {@inheritDoc} Without a caller's arena, takes the probe's channel, so the archive is opened once.
     *
     * @param probe   the archive
     * @param options the arena
     * @return a {@link DdufFile}
     * @throws IOException when the file cannot be read
     */
    @Override
    public Weights open(Probe probe, OpenOptions options) throws IOException {
        return DdufFile.open(probe, options);
    }
}
