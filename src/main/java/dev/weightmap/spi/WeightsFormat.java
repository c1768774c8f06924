// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.spi;

import dev.weightmap.OpenOptions;
import dev.weightmap.Weights;

import java.io.IOException;
import java.nio.file.Path;

/**
 * One format {@link Weights#open(Path, OpenOptions)} can open. The opener asks formats to
 * {@linkplain #detect(Probe) rate} the input and opens it with the highest non-zero claim, ties going to the
 * format asked first: weightmap's own formats first, in a fixed order (safetensors, DDUF, torch, sharded, GGUF),
 * then, unless one of them claimed the input's {@link #CONTENT}, the implementations other libraries register
 * with {@link java.util.ServiceLoader} (module {@code provides}, or {@code META-INF/services} on the class path),
 * in service-loader order. A registered format therefore opens what the built-in ones do not recognise by
 * content (its own magic bytes, a name of its own); it cannot take over a built-in format's content.
 */
public interface WeightsFormat {
    /** A claim from the file's content: magic bytes and structure. */
    int CONTENT = 100;
    /** A weaker claim from the content (for example a ZIP whose records suggest this format). */
    int CONTENT_WEAK = 50;
    /** A claim from the file name alone. */
    int NAME = 10;
    /** No claim. */
    int NONE = 0;

    /**
     * The format's name, as {@link Weights#format()} returns it.
     *
     * @return the name
     */
    String name();

    /**
     * How strongly this format claims the input: {@link #NONE}, {@link #NAME}, {@link #CONTENT_WEAK} or
     * {@link #CONTENT} (or values between). Must be cheap, and read only through the probe.
     *
     * @param probe the input's first bytes and name
     * @return the claim
     * @throws IOException when reading the input fails
     */
    int detect(Probe probe) throws IOException;

    /**
     * Opens the input.
     *
     * @param path    the input
     * @param options the caller's options
     * @return the reader
     * @throws IOException when reading fails
     */
    Weights open(Path path, OpenOptions options) throws IOException;

    /**
     * Opens the input this format was chosen for by {@link #detect(Probe)}; the opener calls this method. The
     * default opens {@link Probe#path()} with {@link #open(Path, OpenOptions)}. A format may instead
     * {@linkplain Probe#takeChannel() take} the probe's open channel and use its size and head, so the file is
     * opened once: it then owns the channel and must close it exactly once, when the returned reader is closed or
     * when this method throws. A channel not taken is closed by the opener after this method returns or throws.
     *
     * @param probe   the probe {@link #detect(Probe)} rated
     * @param options the caller's options
     * @return the reader
     * @throws IOException when reading fails
     */
    default Weights open(Probe probe, OpenOptions options) throws IOException {
        return open(probe.path(), options);
    }

    /**
     * Whether this format fails cleanly rather than opens: a known format that is not supported yet. Such a format
     * is used only when it is the best claim; its {@link #open} throws {@code UNSUPPORTED_FORMAT}.
     *
     * @return true for a placeholder
     */
    default boolean placeholder() {
        return false;
    }
}
