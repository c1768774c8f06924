// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.tensor.DType;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class HeaderOnlyTest {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures/safetensors");

    static List<Path> fixtures() throws IOException {
        try (Stream<Path> s = Stream.concat(Files.list(FIXTURES), Files.list(FIXTURES.resolve("dtypes")))) {
            return s.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList();
        }
    }

    static long headerLength(byte[] b) {
        return ByteBuffer.wrap(b, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
    }

    @Test
    void theHeaderAloneGivesWhatOpeningTheWholeFileGives() throws IOException {
        for (Path f : fixtures()) {
            byte[] all = Files.readAllBytes(f);
            byte[] prefix = Arrays.copyOf(all, (int) (8 + headerLength(all)));
            try (SafetensorsFile local = SafetensorsFile.open(f)) {
                SafetensorsHeader h = SafetensorsFile.parseHeader(MemorySegment.ofArray(prefix), all.length, "x");
                assertThat(h.infos()).as(f.toString()).isEqualTo(local.infos());
                assertThat(h.names()).isEqualTo(local.names());
                assertThat(h.metadata()).isEqualTo(local.metadata());
                assertThat(h.dataStart()).isEqualTo(local.dataStart());
                assertThat(h.fileSize()).isEqualTo(all.length);
                assertThat(local.header().parameterCounts()).isEqualTo(h.parameterCounts());
                long total = 0;
                for (TensorInfo t : local.infos()) {
                    total += DType.numel(t.shape());
                }
                assertThat(h.parameterCount()).isEqualTo(total);
                // a longer prefix (the speculative first request) is the same header
                SafetensorsHeader longer = SafetensorsFile.parseHeader(MemorySegment.ofArray(all), all.length, "x");
                assertThat(longer.infos()).isEqualTo(h.infos());
            }
        }
    }

    @Test
    void parameterCountsPerDtype() throws IOException {
        byte[] all = Files.readAllBytes(FIXTURES.resolve("with_metadata.safetensors"));
        SafetensorsHeader h = SafetensorsFile.parseHeader(MemorySegment.ofArray(all), all.length, "w");
        long sum = h.parameterCounts().values().stream().mapToLong(Long::longValue).sum();
        assertThat(sum).isEqualTo(h.parameterCount()).isPositive();
        assertThat(h.info("weight")).isNotNull();
        assertThat(h.info("nope")).isNull();
    }

    @Test
    void aPrefixShorterThanTheHeaderOrAWrongFileSizeIsRefused() throws IOException {
        byte[] all = Files.readAllBytes(FIXTURES.resolve("with_metadata.safetensors"));
        long n = headerLength(all);
        byte[] cut = Arrays.copyOf(all, (int) (8 + n - 1));
        assertThat(catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.parseHeader(
                MemorySegment.ofArray(cut), all.length, "w")).reason()).isEqualTo(SafetensorsException.Reason.INVALID_HEADER_LENGTH);
        assertThat(catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.parseHeader(
                MemorySegment.ofArray(all), all.length + 1, "w")).reason()).isEqualTo(SafetensorsException.Reason.INCOMPLETE_BUFFER);
        assertThat(catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.parseHeader(
                MemorySegment.ofArray(new byte[4]), 100, "w")).reason()).isEqualTo(SafetensorsException.Reason.HEADER_TOO_SMALL);
        byte[] huge = all.clone();
        ByteBuffer.wrap(huge).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 60);
        assertThat(catchThrowableOfType(SafetensorsException.class, () -> SafetensorsFile.parseHeader(
                MemorySegment.ofArray(huge), Long.MAX_VALUE, "w")).reason()).isEqualTo(SafetensorsException.Reason.HEADER_TOO_LARGE);
    }
}
