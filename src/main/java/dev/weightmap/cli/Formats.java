// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The formats the CLI reads, in detection order. */
final class Formats {
    private Formats() {
    }

    static final List<CliFormat> ALL = List.of(
            new ShardedFormat(),
            new DdufFormat(),
            new TorchFormat(),
            new SafetensorsFormat()
    );

    /** The first format that accepts {@code path}. */
    static CliFormat detect(Path path) throws IOException {
        for (CliFormat f : ALL) {
            if (f.accepts(path)) {
                return f;
            }
        }
        if (!java.nio.file.Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(path.toString());
        }
        throw new UsageException("unrecognised input: " + path);
    }

    /** Opens {@code path} with the format that accepts it. */
    static CliFormat.Opened open(Path path) throws IOException {
        return detect(path).open(path);
    }
}
