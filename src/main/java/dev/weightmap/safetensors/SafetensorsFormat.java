// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;
import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The safetensors format for {@link Weights#open(Path, OpenOptions)}: an 8-byte little-endian header length N with
 * {@code 8 + N} no larger than the file, then (after optional JSON whitespace, which the Rust crate accepts) a
 * <code>&#123;</code>. A {@code .safetensors} name alone is a weak claim, so a damaged file still gets the precise safetensors
 * error.
 */
public final class SafetensorsFormat implements WeightsFormat {
    /** The service-loader constructor. */
    public SafetensorsFormat() {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "safetensors"}
     */
    @Override
    public String name() {
        return Weights.SAFETENSORS;
    }

    /**
     * {@inheritDoc}
     *
     * @param probe the input
     * @return {@link #CONTENT} for a safetensors header, {@link #NAME} for a {@code .safetensors} name
     */
    @Override
    public int detect(Probe probe) {
        if (probe.isDirectory()) {
            return NONE;
        }
        if (matches(probe)) {
            return CONTENT;
        }
        return probe.fileName().endsWith(".safetensors") ? NAME : NONE;
    }

    /** The content rule. */
    static boolean matches(Probe p) {
        if (p.headLength() < 10) {
            return false;
        }
        long n = 0;
        for (int i = 7; i >= 0; i--) {
            n = (n << 8) | p.headByte(i);
        }
        if (n < 2 || n > p.size() - 8) {
            return false;
        }
        long end = Math.min(8 + n, p.headLength());
        for (int i = 8; i < end; i++) {
            int b = p.headByte(i);
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                continue;
            }
            return b == '{';
        }
        return false;
    }

    /**
     * {@inheritDoc}
     *
     * @param path    the file
     * @param options the header limit and arena
     * @return a {@link SafetensorsFile}
     * @throws IOException when the file cannot be read
     */
    @Override
    public Weights open(Path path, OpenOptions options) throws IOException {
        return SafetensorsFile.open(path, options);
    }

    /**
     * {@inheritDoc} Without a caller's arena, takes the probe's channel: the file is opened once, and the header
     * bytes the probe's head holds are not read again.
     *
     * @param probe   the file
     * @param options the header limit and arena
     * @return a {@link SafetensorsFile}
     * @throws IOException when the file cannot be read
     */
    @Override
    public Weights open(Probe probe, OpenOptions options) throws IOException {
        return SafetensorsFile.open(probe, options);
    }
}
