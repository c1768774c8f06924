// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.TensorLocation;
import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufException;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.gguf.GgufPrefix;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.SafetensorsHeader;
import dev.weightmap.shard.CheckpointException;
import dev.weightmap.tensor.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** Headers parsed from bytes alone: a sharded checkpoint from its index and shard headers, GGUF from a prefix. */
class HeaderOnlyTest {
    static final Path SHARDED = Path.of("src/test/resources/fixtures/safetensors/sharded");
    static final Path GGUF = Path.of("src/test/resources/fixtures/gguf");

    static List<Path> ggufFixtures() throws IOException {
        try (Stream<Path> s = Files.list(GGUF)) {
            return s.filter(p -> p.toString().endsWith(".gguf")).sorted().toList();
        }
    }

    /** The first 8 + N bytes of a safetensors file. */
    static MemorySegment headerBytes(Path f) throws IOException {
        byte[] all = Files.readAllBytes(f);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return MemorySegment.ofArray(Arrays.copyOf(all, (int) (8 + n)));
    }

    static ShardedHeader fromFiles(Path dir) throws IOException {
        Path indexFile = dir.resolve("model.safetensors.index.json");
        ShardedHeader.Index index = ShardedHeader.parseIndex(Files.readAllBytes(indexFile), indexFile.toString());
        List<SafetensorsHeader> headers = new ArrayList<>();
        for (String shard : index.shardFiles()) {
            Path f = dir.resolve(shard);
            headers.add(SafetensorsFile.parseHeader(headerBytes(f), Files.size(f), f.toString()));
        }
        return ShardedHeader.of(index, headers);
    }

    @Test
    void aShardedCheckpointFromItsIndexAndShardHeadersIsTheLocalOne() throws IOException {
        ShardedHeader h = fromFiles(SHARDED);
        try (Weights local = Weights.open(SHARDED.resolve("model.safetensors.index.json"))) {
            assertThat(h.index().shardFiles()).hasSize(3);
            assertThat(h.locations()).extracting(TensorLocation::name).isEqualTo(local.tensorNames());
            List<TensorLocation> mine = h.locations();
            List<TensorLocation> theirs = local.locations();
            for (int i = 0; i < mine.size(); i++) {
                TensorLocation a = mine.get(i);
                TensorLocation b = theirs.get(i);
                assertThat(a.dtype()).as(a.name()).isEqualTo(b.dtype());
                assertThat(a.shape()).as(a.name()).isEqualTo(b.shape());
                assertThat(a.offset()).as(a.name()).isEqualTo(b.offset());
                assertThat(a.length()).as(a.name()).isEqualTo(b.length());
                assertThat(b.file().getFileName().toString()).isEqualTo(a.extras().get("file"));
            }
            assertThat(h.metadata()).isEqualTo(local.metadata());
            long total = 0;
            for (String n : local.tensorNames()) {
                total += local.tensor(n).numel();
            }
            assertThat(h.parameterCount()).isEqualTo(total);
            assertThat(h.parameterCounts().values().stream().mapToLong(Long::longValue).sum()).isEqualTo(total);
            assertThat(h.warnings()).isEmpty();
        }
    }

    @Test
    void badIndexesAndMismatchedShardsAreTypedErrors() throws IOException {
        assertThat(catchThrowableOfType(CheckpointException.class,
                () -> ShardedHeader.parseIndex("{\"weight_map\": 3}".getBytes(StandardCharsets.UTF_8), "i.json"))
                .reason()).isEqualTo(CheckpointException.Reason.INVALID_INDEX);
        assertThat(catchThrowableOfType(CheckpointException.class,
                () -> ShardedHeader.parseIndex("{\"weight_map\": {\"a\": 1}}".getBytes(StandardCharsets.UTF_8), "i"))
                .reason()).isEqualTo(CheckpointException.Reason.INVALID_INDEX);
        assertThat(catchThrowableOfType(CheckpointException.class,
                () -> ShardedHeader.parseIndex("{\"weight_map\":".getBytes(StandardCharsets.UTF_8), "i"))
                .reason()).isEqualTo(CheckpointException.Reason.INVALID_INDEX);
        assertThat(catchThrowableOfType(CheckpointException.class,
                () -> ShardedHeader.parseIndex("{\"weight_map\":{}, \"metadata\": []}".getBytes(StandardCharsets.UTF_8),
                        "i")).reason()).isEqualTo(CheckpointException.Reason.INVALID_INDEX);

        Path shard = SHARDED.resolve("model-00001-of-00003.safetensors");
        SafetensorsHeader h = SafetensorsFile.parseHeader(headerBytes(shard), Files.size(shard), "s1");
        String first = h.names().get(0);
        ShardedHeader.Index wrong = new ShardedHeader.Index("i", Map.of("no.such.tensor", "s1"), Map.of());
        assertThat(catchThrowableOfType(CheckpointException.class, () -> ShardedHeader.of(wrong, List.of(h)))
                .reason()).isEqualTo(CheckpointException.Reason.INDEX_MISMATCH);
        assertThatThrownBy(() -> ShardedHeader.of(wrong, List.of(h, h))).isInstanceOf(IllegalArgumentException.class);

        ShardedHeader partial = ShardedHeader.of(new ShardedHeader.Index("i", Map.of(first, "s1"), Map.of()),
                List.of(h));
        assertThat(partial.locations()).hasSize(h.names().size());
        assertThat(partial.warnings()).singleElement().asString().contains("absent from the index");
    }

    @Test
    void everyGgufPrefixIsEitherTheWholeHeaderOrAsksForMoreBytes() throws IOException {
        for (Path f : ggufFixtures()) {
            byte[] all = Files.readAllBytes(f);
            try (GgufFile local = GgufFile.open(f)) {
                int steps = 0;
                byte[] prefix = Arrays.copyOf(all, 0);
                GgufPrefix p;
                while (!(p = GgufPrefix.parse(MemorySegment.ofArray(prefix), all.length, f.toString())).complete()) {
                    assertThat(p.bytesNeeded()).as(f + " at " + prefix.length).isGreaterThan(prefix.length)
                            .isLessThanOrEqualTo(all.length);
                    assertThatThrownBy(p::infos).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("need more bytes: " + p.bytesNeeded());
                    prefix = Arrays.copyOf(all, (int) p.bytesNeeded()); // the least: the most steps
                    steps++;
                }
                assertThat(steps).as(f.toString()).isPositive();
                assertThat(p.bytesNeeded()).isLessThanOrEqualTo(local.dataOffset());
                assertThat(p.version()).isEqualTo(local.version());
                assertThat(p.alignment()).isEqualTo(local.alignment());
                assertThat(p.dataOffset()).isEqualTo(local.dataOffset());
                assertThat(p.metadata().keySet()).isEqualTo(local.metadata().keySet());
                assertThat(p.infos()).hasSameSizeAs(local.infos());
                for (int i = 0; i < p.infos().size(); i++) {
                    assertThat(p.infos().get(i).name()).isEqualTo(local.infos().get(i).name());
                    assertThat(p.infos().get(i).offset()).isEqualTo(local.infos().get(i).offset());
                    assertThat(p.infos().get(i).ne()).isEqualTo(local.infos().get(i).ne());
                    assertThat(p.infos().get(i).type()).isEqualTo(local.infos().get(i).type());
                }
                assertThat(p.parameterCounts()).isEqualTo(local.parameterCounts());
                for (String k : local.metadata().keySet()) {
                    assertThat(String.valueOf(p.metadata().get(k))).as(k)
                            .isEqualTo(String.valueOf(local.metadata().get(k)));
                }
            }
        }
    }

    @Test
    void ggufRulesAreCheckedAgainstTheFileSizeNotThePrefix() throws IOException {
        byte[] all = Files.readAllBytes(GGUF.resolve("tiny_llama_f32.gguf"));
        // a bad magic fails at once, whatever is left to read
        byte[] bad = Arrays.copyOf(all, 64);
        bad[0] = 'X';
        assertThat(catchThrowableOfType(GgufException.class,
                () -> GgufPrefix.parse(MemorySegment.ofArray(bad), all.length, "x")).reason())
                .isEqualTo(GgufException.Reason.INVALID_MAGIC);
        // a count the whole file could not hold: refused from the first bytes
        byte[] counts = Arrays.copyOf(all, 64);
        ByteBuffer.wrap(counts).order(ByteOrder.LITTLE_ENDIAN).putLong(16, 1L << 40);
        assertThat(catchThrowableOfType(GgufException.class,
                () -> GgufPrefix.parse(MemorySegment.ofArray(counts), all.length, "x")).reason())
                .isEqualTo(GgufException.Reason.COUNT_TOO_LARGE);
        try (GgufFile local = GgufFile.open(GGUF.resolve("tiny_llama_f32.gguf"))) {
            int header = (int) local.dataOffset();
            // a file that really ends inside its tensor infos is truncated, not short of bytes
            int cut = header - 40;
            assertThat(catchThrowableOfType(GgufException.class,
                    () -> GgufPrefix.parse(MemorySegment.ofArray(Arrays.copyOf(all, cut)), cut, "x")).reason())
                    .isEqualTo(GgufException.Reason.TRUNCATED);
            assertThat(GgufPrefix.parse(MemorySegment.ofArray(Arrays.copyOf(all, cut)), all.length, "x").complete())
                    .isFalse();
            // tensors beyond the end of the file are found once the tensor infos are in
            assertThat(catchThrowableOfType(GgufException.class,
                    () -> GgufPrefix.parse(MemorySegment.ofArray(Arrays.copyOf(all, header)), header + 16, "x"))
                    .reason()).isEqualTo(GgufException.Reason.OUT_OF_BOUNDS);
        }
        assertThatThrownBy(() -> GgufPrefix.parse(MemorySegment.ofArray(all), all.length - 1, "x"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(GgufPrefix.parse(MemorySegment.ofArray(new byte[2]), all.length, "x").bytesNeeded()).isEqualTo(4);
    }

    @Test
    void safetensorsParameterCountsPerDtypeAndTotal() throws IOException {
        Path f = SHARDED.resolve("model-00002-of-00003.safetensors");
        SafetensorsHeader h = SafetensorsFile.parseHeader(headerBytes(f), Files.size(f), "s");
        long sum = 0;
        for (Map.Entry<DType, Long> e : h.parameterCounts().entrySet()) {
            sum += e.getValue();
        }
        assertThat(h.parameterCount()).isEqualTo(sum).isPositive();
    }
}
