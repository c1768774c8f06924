// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** A checkpoint format that {@code inspect}, {@code verify} and {@code hash} understand. */
interface CliFormat {
    /** The format's name as printed in {@code "format"} ({@code safetensors}, {@code dduf}, {@code torch}, {@code sharded}). */
    String name();

    /** Whether this format handles {@code path} (by extension, magic bytes or folder layout). */
    boolean accepts(Path path) throws IOException;

    /** Opens the input; the CLI closes the result. */
    Opened open(Path path) throws IOException;

    /** An opened input. */
    interface Opened extends AutoCloseable {
        /** The {@code inspect --json} object (ordered; values JsonWriter can print). */
        Map<String, Object> inspectJson();

        /** The human-readable {@code inspect} output. */
        void printTable(PrintStream out);

        /**
         * Validates everything beyond what opening checked; returns the summary printed after {@code "OK "}.
         * Throws the format's exception on failure.
         */
        String verify() throws IOException;

        /** Every tensor keyed as {@code hash --per-tensor} keys it, in output order. */
        Map<String, Tensor> tensors();

        /** The files that make up the input. */
        List<Path> files();

        @Override
        void close();
    }
}
