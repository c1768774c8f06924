// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The one way every command opens its input: {@link Weights#open(Path, OpenOptions)}, so {@code inspect},
 * {@code verify}, {@code hash}, {@code shard} and {@code convert} accept exactly the same inputs (a file of any
 * name, a folder, an index file) and fail the same way.
 */
final class Input {
    private Input() {
    }

    /**
     * The CLI's options: huggingface_hub's {@code safe=false} folder rule (safetensors first, {@code .bin} files
     * when that gives no single checkpoint). weightmap never executes pickle code, so a torch checkpoint is as safe
     * to read as a safetensors file.
     */
    static final OpenOptions OPTIONS = OpenOptions.defaults().withSafe(false);

    /** Whether a command-line input names a remote file ({@code http://} or {@code https://}). */
    static boolean isUrl(String input) {
        String s = input.toLowerCase(java.util.Locale.ROOT);
        return s.startsWith("http://") || s.startsWith("https://");
    }

    /** Opens a URL input with the remote defaults (the token from {@code HF_TOKEN}). */
    static dev.weightmap.remote.RemoteWeights openRemote(String url) {
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new UsageException("not a valid URL: " + e.getReason());
        }
        return Weights.open(uri, dev.weightmap.remote.RemoteOptions.defaults());
    }

    /** Opens any input with {@link #OPTIONS}. */
    static Weights open(Path path) throws IOException {
        return open(path, OPTIONS);
    }

    /** Opens any input with the given options. */
    static Weights open(Path path, OpenOptions options) throws IOException {
        return Weights.open(path, options);
    }

    /**
     * How a file of an input is printed: as the input was given. A single-file input prints as given; a file
     * of a folder or next to an index prints as the input's folder (as given) joined with its relative name.
     */
    static String display(Path given, Path file) {
        Path abs = file.toAbsolutePath().normalize();
        Path givenAbs = given.toAbsolutePath().normalize();
        if (abs.equals(givenAbs)) {
            return given.toString();
        }
        boolean folder = java.nio.file.Files.isDirectory(given);
        Path base = folder ? given : given.getParent();
        Path baseAbs = folder ? givenAbs : givenAbs.getParent();
        if (baseAbs == null || !abs.startsWith(baseAbs)) {
            return file.toString();
        }
        Path rel = baseAbs.relativize(abs);
        return base == null ? rel.toString() : base.resolve(rel).toString();
    }
}
