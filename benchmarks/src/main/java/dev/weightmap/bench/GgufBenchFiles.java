// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.gguf.GgmlType;
import dev.weightmap.gguf.GgufValueType;
import dev.weightmap.gguf.GgufWriter;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Writes GGUF v3 files for the benchmarks through {@link GgufWriter}: a llama-like header (a vocabulary of
 * {@code vocab} tokens with scores and token types, the usual hyper-parameters) and {@code tensors} Q8_0 tensors
 * of 256 x 256 whose data is zeros.
 *
 * <p>{@code main(path, vocab, tensors)} writes one for measuring gguf-py's {@code GGUFReader} and
 * {@code @huggingface/gguf} by hand.
 */
public final class GgufBenchFiles {
    private GgufBenchFiles() {
    }

    /**
     * Writes the file.
     *
     * @param file    the output
     * @param vocab   tokens in {@code tokenizer.ggml.tokens}
     * @param tensors tensors of type Q8_0, 256 x 256 each
     * @return the file
     * @throws IOException when writing fails
     */
    public static Path llamaLike(Path file, int vocab, int tensors) throws IOException {
        GgufWriter w = new GgufWriter()
                .put("general.architecture", GgufValueType.STRING, "llama")
                .put("general.name", GgufValueType.STRING, "bench")
                .put("llama.context_length", GgufValueType.UINT32, 4096)
                .put("llama.embedding_length", GgufValueType.UINT32, 256)
                .put("llama.block_count", GgufValueType.UINT32, tensors / 10)
                .put("llama.attention.head_count", GgufValueType.UINT32, 8)
                .put("llama.rope.freq_base", GgufValueType.FLOAT32, 10000f)
                .put("tokenizer.ggml.model", GgufValueType.STRING, "llama");
        Random r = new Random(1);
        List<String> tokens = new ArrayList<>(vocab);
        List<Float> scores = new ArrayList<>(vocab);
        for (int i = 0; i < vocab; i++) {
            tokens.add("▁tok" + Integer.toString(i, 36) + (char) ('a' + r.nextInt(26)));
            scores.add((float) -i);
        }
        w.putArray("tokenizer.ggml.tokens", GgufValueType.STRING, tokens)
                .putArray("tokenizer.ggml.scores", GgufValueType.FLOAT32, scores)
                .putArray("tokenizer.ggml.token_type", GgufValueType.INT32, Collections.nCopies(vocab, 1))
                .put("tokenizer.ggml.bos_token_id", GgufValueType.UINT32, 1);
        long[] ne = {256, 256};
        MemorySegment zeros = MemorySegment.ofArray(new byte[Math.toIntExact(GgmlType.Q8_0.byteLength(ne))]);
        for (int i = 0; i < tensors; i++) {
            w.tensor("blk." + (i / 10) + ".t" + (i % 10) + ".weight", GgmlType.Q8_0, ne, zeros);
        }
        w.write(file);
        return file;
    }

    /**
     * Writes a file for measuring other readers by hand.
     *
     * @param args the path, the vocabulary size, the tensor count
     * @throws IOException when writing fails
     */
    public static void main(String[] args) throws IOException {
        llamaLike(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]));
    }
}
