// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;
import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The PyTorch checkpoint format for {@link Weights#open(Path, OpenOptions)}: a ZIP archive holding a
 * {@code <folder>/data.pkl} record, or a legacy pickle stream starting with torch's magic number. A {@code .bin},
 * {@code .pt}, {@code .pth} or {@code .ckpt} name alone is a weak claim (a damaged file still gets the torch error).
 */
public final class TorchFormat implements WeightsFormat {
    private static final List<String> EXTENSIONS = List.of(".bin", ".pt", ".pth", ".ckpt");

    /** The service-loader constructor. */
    public TorchFormat() {
    }

    /**
     * {@inheritDoc}
     *
     * @return {@code "torch"}
     */
    @Override
    public String name() {
        return Weights.TORCH;
    }

    /**
     * {@inheritDoc}
     *
     * @param probe the input
     * @return {@link #CONTENT} for a torch ZIP or legacy stream, {@link #NAME} for a torch file name
     * @throws IOException when reading fails
     */
    @Override
    public int detect(Probe probe) throws IOException {
        if (probe.isDirectory()) {
            return NONE;
        }
        if (TorchCheckpoint.looksLegacy(probe.head())) {
            return CONTENT;
        }
        if (probe.isZip()) {
            for (String n : probe.zipNames()) {
                int slash = n.indexOf('/');
                if (slash > 0 && n.indexOf('/', slash + 1) < 0 && n.endsWith("/data.pkl")) {
                    return CONTENT;
                }
            }
        }
        String name = probe.fileName();
        for (String ext : EXTENSIONS) { // a loop, not a stream: every input that no format before claims gets here
            if (name.endsWith(ext)) {
                return NAME;
            }
        }
        return NONE;
    }

    /**
     * {@inheritDoc} The tensor names are checked to be unique (two paths flattening to one name fail here).
     *
     * @param path    the checkpoint
     * @param options the arena
     * @return a {@link TorchCheckpoint}
     * @throws IOException when the file cannot be read
     */
    @Override
    public Weights open(Path path, OpenOptions options) throws IOException {
        TorchCheckpoint c = TorchCheckpoint.open(path, options);
        try {
            c.entries();
            return c;
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
    }
}
