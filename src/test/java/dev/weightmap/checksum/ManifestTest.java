// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.safetensors.TestFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Manifest}: the library side of {@code hash --manifest} / {@code verify --manifest}. */
class ManifestTest {
    @TempDir
    Path tmp;

    @Test
    void createWriteReadVerifyOverWeights() throws IOException {
        Path model = Files.copy(TestFiles.fixture("with_metadata.safetensors"), tmp.resolve("model.safetensors"));
        Path out = tmp.resolve("m.json");
        AtomicLong tensorBytes = new AtomicLong();
        AtomicLong fileBytes = new AtomicLong();
        try (Weights w = Weights.open(model)) {
            Manifest m = Manifest.create(w, ChecksumAlgorithm.XXH3_64, 3, tensorBytes::addAndGet, fileBytes::addAndGet);
            assertThat(m.format()).isEqualTo("safetensors");
            assertThat(m.tensors()).containsOnlyKeys(w.tensorNames());
            assertThat(m.tensors()).isEqualTo(Checksums.hexOfTensors(ChecksumAlgorithm.XXH3_64, w.tensors(), 1));
            assertThat(m.files()).containsExactly(Map.entry("model.safetensors",
                    Checksums.hexOfFile(ChecksumAlgorithm.XXH3_64, model, 1)));
            assertThat(fileBytes.get()).isEqualTo(Files.size(model));
            assertThat(tensorBytes.get()).isEqualTo(w.tensors().values().stream().mapToLong(t -> t.byteLength()).sum());
            m.write(out);
            assertThat(Files.readString(out)).isEqualTo(m.toJson()).startsWith("{\n  \"algo\": \"xxh3-64\",\n")
                    .endsWith("}\n");
            Manifest back = Manifest.read(out);
            assertThat(back.tensors()).isEqualTo(m.tensors());
            assertThat(back.files()).isEqualTo(m.files());
            assertThat(back.source()).isEqualTo(out.toString());
            Manifest.Verification v = back.verify(w, 2);
            assertThat(v).isEqualTo(new Manifest.Verification(3, 1, ChecksumAlgorithm.XXH3_64));
        }
        byte[] b = Files.readAllBytes(model);
        b[b.length - 1] ^= 1;
        Files.write(model, b);
        try (Weights w = Weights.open(model)) {
            assertThatThrownBy(() -> Manifest.read(out).verify(w, 1))
                    .isInstanceOfSatisfying(ChecksumMismatchException.class, e -> {
                        assertThat(e.code()).isEqualTo("CHECKSUM_MISMATCH");
                        assertThat(e.mismatches()).containsExactly("weight", "model.safetensors");
                        assertThat(e.getMessage()).startsWith(model + " does not match " + out + ": 2 differences: ");
                    });
        }
    }

    @Test
    void parallelHashingEqualsSequentialForEveryAlgorithm() throws IOException {
        List<Path> files = List.of(TestFiles.fixture("all_dtypes.safetensors"), TestFiles.fixture("scalars.safetensors"),
                TestFiles.fixture("all_dtypes.safetensors"));
        for (ChecksumAlgorithm a : ChecksumAlgorithm.values()) {
            Map<Path, String> one = Manifest.hashFiles(a, files, 1, null);
            assertThat(one).hasSize(2); // a file listed twice is hashed once
            assertThat(Manifest.hashFiles(a, files, 4, n -> { })).isEqualTo(one);
            try (Weights w = Weights.open(files.get(0))) {
                assertThat(Manifest.hashTensors(a, w.tensors(), 4, null))
                        .isEqualTo(Manifest.hashTensors(a, w.tensors(), 1, null));
            }
        }
    }

    @Test
    void malformedManifestsAreRefusedWithTheRule() {
        Map<String, String> cases = Map.of(
                "[1,", "is not valid JSON",
                "[1]", "must be a JSON object",
                "{\"algo\":\"md5\"}", "\"algo\" must be one of",
                "{\"algo\":\"crc32\",\"tensors\":[]}", "\"tensors\" must be an object",
                "{\"algo\":\"crc32\",\"tensors\":{\"a\":1}}", "\"tensors\".a must be a hex string",
                "{\"algo\":\"crc32\",\"files\":{\"../x\":\"00\"}}", "file key \"../x\" must be a relative path",
                "{\"algo\":\"crc32\",\"files\":{\"/etc/passwd\":\"00\"}}", "must be a relative path");
        cases.forEach((json, rule) -> assertThatThrownBy(() -> Manifest.parse(json.getBytes(StandardCharsets.UTF_8), "m.json"))
                .as(json).isInstanceOfSatisfying(WeightmapException.class, e -> {
                    assertThat(e.code()).isEqualTo("IO_ERROR");
                    assertThat(e.getMessage()).startsWith("manifest m.json").contains(rule);
                }));
        assertThatThrownBy(() -> Manifest.of(ChecksumAlgorithm.SHA256, null, Map.of(), Map.of("a/../../b", "00")))
                .isInstanceOf(WeightmapException.class).hasMessageContaining("no absolute path, no ..");
    }
}
