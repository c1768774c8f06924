// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import dev.weightmap.gguf.GgmlType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * Writes GGUF v3 files for the benchmarks: a llama-like header (a vocabulary of {@code vocab} tokens with scores
 * and token types, the usual hyper-parameters) and {@code tensors} tensors whose data is left sparse (zeros).
 *
 * <p>{@code main(path, vocab, tensors)} writes one for measuring gguf-py's {@code GGUFReader} and
 * {@code @huggingface/gguf} by hand.
 */
public final class GgufBenchFiles {
    private GgufBenchFiles() {
    }

    /** A growable little-endian byte buffer. */
    static final class Out {
        ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        Out room(int n) {
            if (b.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n))
                        .order(ByteOrder.LITTLE_ENDIAN);
                bigger.put(b.flip());
                b = bigger;
            }
            return this;
        }

        Out u32(int v) {
            room(4).b.putInt(v);
            return this;
        }

        Out u64(long v) {
            room(8).b.putLong(v);
            return this;
        }

        Out f32(float v) {
            room(4).b.putFloat(v);
            return this;
        }

        Out str(String s) {
            byte[] x = s.getBytes(StandardCharsets.UTF_8);
            u64(x.length);
            room(x.length).b.put(x);
            return this;
        }

        Out kvStr(String k, String v) {
            return str(k).u32(8).str(v);
        }

        Out kvU32(String k, int v) {
            return str(k).u32(4).u32(v);
        }

        Out kvF32(String k, float v) {
            return str(k).u32(6).f32(v);
        }
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
        Out o = new Out();
        o.room(4).b.put("GGUF".getBytes(StandardCharsets.US_ASCII));
        o.u32(3).u64(tensors).u64(12);
        o.kvStr("general.architecture", "llama").kvStr("general.name", "bench");
        o.kvU32("llama.context_length", 4096).kvU32("llama.embedding_length", 256).kvU32("llama.block_count",
                tensors / 10).kvU32("llama.attention.head_count", 8).kvF32("llama.rope.freq_base", 10000f);
        o.kvStr("tokenizer.ggml.model", "llama");
        Random r = new Random(1);
        o.str("tokenizer.ggml.tokens").u32(9).u32(8).u64(vocab);
        for (int i = 0; i < vocab; i++) {
            o.str("▁tok" + Integer.toString(i, 36) + (char) ('a' + r.nextInt(26)));
        }
        o.str("tokenizer.ggml.scores").u32(9).u32(6).u64(vocab);
        for (int i = 0; i < vocab; i++) {
            o.f32(-i);
        }
        o.str("tokenizer.ggml.token_type").u32(9).u32(5).u64(vocab);
        for (int i = 0; i < vocab; i++) {
            o.u32(1);
        }
        o.kvU32("tokenizer.ggml.bos_token_id", 1);
        long length = GgmlType.Q8_0.byteLength(new long[] {256, 256});
        long offset = 0;
        for (int i = 0; i < tensors; i++) {
            o.str("blk." + (i / 10) + ".t" + (i % 10) + ".weight").u32(2).u64(256).u64(256).u32(GgmlType.Q8_0.id())
                    .u64(offset);
            offset += (length + 31) & ~31L;
        }
        int header = o.b.position();
        long data = (header + 31) & ~31L;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer h = o.b.flip();
            while (h.hasRemaining()) {
                ch.write(h);
            }
            ch.write(ByteBuffer.allocate(1), data + offset - 1); // sparse zeros up to the end
        }
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
