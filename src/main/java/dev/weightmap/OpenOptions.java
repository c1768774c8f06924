// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.lang.foreign.Arena;

/**
 * Options of {@link Weights#open(java.nio.file.Path, OpenOptions)}. Immutable; each {@code with...} returns a copy.
 *
 * <h2>Limits on hostile inputs</h2>
 * Every input is bounded before it can cost memory or time; crossing a bound is a typed error naming the file,
 * the limit and how to raise it, never an {@link OutOfMemoryError}:
 * <ul>
 *   <li><b>safetensors header</b> (also of each shard of a checkpoint; the {@code .safetensors} entries of a
 *       DDUF archive keep the default): at most {@link #maxHeaderBytes()}, by default {@value #DEFAULT_MAX_HEADER_BYTES} bytes (the
 *       Rust crate's limit), else {@code HEADER_TOO_LARGE}, checked before the header is read. Opening holds the
 *       header bytes once plus about 80 bytes of tables per tensor (every tensor takes at least 49 header bytes),
 *       so the heap an open needs is at most about 3 times the header length: 223 MiB for a 99 MB header of
 *       1,440,000 tensors; a 99 MB {@code __metadata__} value (the bytes, the decoded String, the decoding
 *       buffer) needs more than 256 MiB and fits 512 MiB. Names cannot degrade the name table (see the format's reader: colliding hashes switch it
 *       to a keyed hash).</li>
 *   <li><b>index JSON</b> of a sharded checkpoint: at most {@link #maxIndexBytes()}, by default
 *       {@value #DEFAULT_MAX_INDEX_BYTES} bytes (10 MiB, huggingface_hub's limit), else {@code LIMIT_EXCEEDED},
 *       checked before the file is read.</li>
 *   <li><b>torch pickles</b>: fixed budgets (stack, memo, objects, string lengths, nesting depth, tensor paths and
 *       their name characters: see {@code TorchCheckpoint.MAX_TENSOR_PATHS}), else {@code LIMIT_EXCEEDED};
 *       memo-shared structure counts by its size, not by the tree it unfolds into. A pickle costs about 1.2 KB of
 *       heap per tensor (200,000 tensors open in a 256 MiB heap).</li>
 * </ul>
 * Work that would materialise far more bytes than a file stores (an expanded view: a 4 TiB tensor over one float)
 * is measured by {@link Weights#amplification()} and refused by the writers and the command line unless allowed.
 */
public final class OpenOptions {
    /** Default limit on a safetensors header: 100,000,000 bytes (the Rust crate's limit). */
    public static final long DEFAULT_MAX_HEADER_BYTES = 100_000_000L;
    /** Default limit on an index JSON file: 10 MiB (huggingface_hub's limit). */
    public static final long DEFAULT_MAX_INDEX_BYTES = 10L << 20;

    private final boolean safe;
    private final String filenamePattern;
    private final long maxHeaderBytes;
    private final long maxIndexBytes;
    private final Arena arena;
    private final boolean allowGguf;

    private OpenOptions(boolean safe, String filenamePattern, long maxHeaderBytes, long maxIndexBytes, Arena arena,
                        boolean allowGguf) {
        this.safe = safe;
        this.filenamePattern = filenamePattern;
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxIndexBytes = maxIndexBytes;
        this.arena = arena;
        this.allowGguf = allowGguf;
    }

    /**
     * The defaults: {@code safe = true}, no filename pattern, the default limits, a reader-owned shared arena.
     *
     * @return the default options
     */
    public static OpenOptions defaults() {
        return new OpenOptions(true, null, DEFAULT_MAX_HEADER_BYTES, DEFAULT_MAX_INDEX_BYTES, null, false);
    }

    /**
     * huggingface_hub 2.0's {@code safe} switch for folders: with {@code true} only safetensors files are
     * considered (a filename pattern that does not describe safetensors files is refused with
     * {@code PICKLE_REFUSED}, and so is a pickle file selected under a safetensors name); with {@code false}
     * the folder is searched for {@code model.safetensors.index.json}, then {@code pytorch_model.bin.index.json},
     * then exactly one {@code *.safetensors} file, then exactly one {@code *.bin} file (so a lone
     * {@code model.safetensors}, or one next to a {@code pytorch_model.bin}, loads either way). A file or index
     * file named directly opens what it names whatever the switch says. weightmap never executes pickle code
     * either way.
     *
     * @param safe the switch
     * @return a copy with the switch set
     */
    public OpenOptions withSafe(boolean safe) {
        return new OpenOptions(safe, filenamePattern, maxHeaderBytes, maxIndexBytes, arena, allowGguf);
    }

    /**
     * An explicit filename pattern for folders, for example {@code model.fp16{suffix}.safetensors}.
     *
     * @param pattern the pattern (must contain {@code {suffix}}), or null for hub's defaults
     * @return a copy with the pattern set
     */
    public OpenOptions withFilenamePattern(String pattern) {
        return new OpenOptions(safe, pattern, maxHeaderBytes, maxIndexBytes, arena, allowGguf);
    }

    /**
     * The largest safetensors header accepted, in each file a checkpoint or archive opens (it also bounds the
     * memory an open may use: see the class comment). A larger header fails with {@code HEADER_TOO_LARGE}.
     *
     * @param bytes the limit, at least 1
     * @return a copy with the limit set
     */
    public OpenOptions withMaxHeaderBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxHeaderBytes must be positive: " + bytes);
        }
        return new OpenOptions(safe, filenamePattern, bytes, maxIndexBytes, arena, allowGguf);
    }

    /**
     * The largest index JSON file accepted; a larger one fails with {@code LIMIT_EXCEEDED} before it is read.
     *
     * @param bytes the limit, at least 1
     * @return a copy with the limit set
     */
    public OpenOptions withMaxIndexBytes(long bytes) {
        if (bytes < 1) {
            throw new IllegalArgumentException("maxIndexBytes must be positive: " + bytes);
        }
        return new OpenOptions(safe, filenamePattern, maxHeaderBytes, bytes, arena, allowGguf);
    }

    /**
     * Maps into the caller's arena instead of a reader-owned one: the mappings then live as long as the arena and
     * {@link Weights#close()} does not unmap them. A confined arena makes open and unmap cheaper, at the price of
     * single-thread access.
     *
     * @param arena the caller's arena, or null for a reader-owned shared arena
     * @return a copy with the arena set
     */
    public OpenOptions withArena(Arena arena) {
        return new OpenOptions(safe, filenamePattern, maxHeaderBytes, maxIndexBytes, arena, allowGguf);
    }

    /**
     * Whether DDUF archives may hold {@code .gguf} entries (as the JavaScript DDUF checker allows).
     *
     * @param allow the switch
     * @return a copy with the switch set
     */
    public OpenOptions withAllowGguf(boolean allow) {
        return new OpenOptions(safe, filenamePattern, maxHeaderBytes, maxIndexBytes, arena, allow);
    }

    /**
     * The {@code safe} switch.
     *
     * @return the switch
     */
    public boolean safe() {
        return safe;
    }

    /**
     * The explicit filename pattern.
     *
     * @return the pattern, or null
     */
    public String filenamePattern() {
        return filenamePattern;
    }

    /**
     * The header limit.
     *
     * @return bytes
     */
    public long maxHeaderBytes() {
        return maxHeaderBytes;
    }

    /**
     * The index file limit.
     *
     * @return bytes
     */
    public long maxIndexBytes() {
        return maxIndexBytes;
    }

    /**
     * The caller's arena.
     *
     * @return the arena, or null for a reader-owned one
     */
    public Arena arena() {
        return arena;
    }

    /**
     * Whether DDUF archives may hold {@code .gguf} entries.
     *
     * @return the switch
     */
    public boolean allowGguf() {
        return allowGguf;
    }
}
