// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.TensorLocation;
import dev.weightmap.WeightmapException;
import dev.weightmap.internal.zip.RawZip;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An archive opened from a file reads its safetensors entries' headers by positional reads: listing tensors and
 * their locations maps nothing, tensor bytes are still slices of the one mapping, and bad headers are rejected
 * before anything is allocated for them.
 */
class DdufHeaderReadsTest {
    private static final Path FOLDER = Path.of("src/test/resources/fixtures/dduf/pipeline-folder.dduf");

    @TempDir
    Path dir;

    @Test
    void tensorNamesAndLocationsMapNothing() throws IOException {
        DdufFile reference = DdufFile.parse(MemorySegment.ofArray(Files.readAllBytes(FOLDER)), FOLDER.toString());
        try (DdufFile f = DdufFile.open(FOLDER)) {
            List<String> names = f.tensorNames();
            assertThat(names).isNotEmpty().containsExactlyElementsOf(reference.tensorNames());
            List<TensorLocation> locations = f.locations();
            assertThat(locations).hasSize(names.size());
            assertThat(locations.getFirst().offset()).isEqualTo(reference.locations().getFirst().offset());
            assertThat(f.safetensorsEntries().keySet()).containsExactlyElementsOf(
                    reference.safetensorsEntries().keySet());
            assertThat(f.hasMapping()).as("listing tensors maps nothing").isFalse();

            String last = names.getLast();
            Tensor t = f.tensor(last);
            assertThat(f.hasMapping()).as("tensor bytes map the archive").isTrue();
            Tensor expected = reference.tensor(last);
            assertThat(t.storage().toArray(ValueLayout.JAVA_BYTE))
                    .isEqualTo(expected.storage().toArray(ValueLayout.JAVA_BYTE));
            long base = f.segment().address();
            assertThat(t.storage().address() - base).as("a slice of the archive's mapping")
                    .isBetween(0L, f.segment().byteSize());
        }
    }

    private Path archiveWith(byte[] safetensors) throws IOException {
        Path p = dir.resolve("t.dduf");
        Files.write(p, DdufValidationTest.base().add("vae/w.safetensors", safetensors).build());
        return p;
    }

    private static byte[] withLength(long n, String json) {
        byte[] j = json.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + j.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(n).put(j);
        return b.array();
    }

    private static void rejected(DdufFile f, String detail) {
        assertThatThrownBy(f::tensorNames).isExactlyInstanceOf(DdufCorruptedFileException.class)
                .hasMessageContaining("entry 'vae/w.safetensors': invalid safetensors: ")
                .hasMessageContaining(detail)
                .extracting(e -> ((WeightmapException) e).code()).isEqualTo("DDUF_CORRUPTED");
        assertThat(f.hasMapping()).isFalse();
    }

    @Test
    void aHeaderLengthPastTheEntryEndIsCorrupted() throws IOException {
        // the archive goes on past the entry (central directory): only the entry's own size bounds the header
        try (DdufFile f = DdufFile.open(archiveWith(withLength(40, "{}")))) {
            rejected(f, "invalid header length: 40 header bytes announced");
        }
    }

    @Test
    void aHostileHeaderLengthAllocatesNothing() throws IOException {
        try (DdufFile f = DdufFile.open(archiveWith(withLength(Long.MAX_VALUE / 2, "{}")))) {
            rejected(f, "header too large");
        }
        try (DdufFile f = DdufFile.open(archiveWith(withLength(90_000_000, "{}")))) {
            rejected(f, "invalid header length");
        }
    }

    @Test
    void aShortOrInvalidEntryIsCorrupted() throws IOException {
        try (DdufFile f = DdufFile.open(archiveWith(new byte[] {1, 2, 3}))) {
            rejected(f, "header too small: 3 bytes");
        }
        try (DdufFile f = DdufFile.open(archiveWith(withLength(6, "{\"a\": ")))) {
            rejected(f, "invalid JSON");
        }
    }

    @Test
    void anEmptySafetensorsEntryListsNoTensors() throws IOException {
        try (DdufFile f = DdufFile.open(archiveWith(withLength(8, "{}      ")))) {
            assertThat(f.tensorNames()).isEmpty();
            assertThat(f.tensors()).isEmpty();
        }
    }
}
