// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Hostile index files: opening a folder whose index holds arbitrary bytes either works or fails with a
 * {@link CheckpointException} (or NoSuchFileException for a shard that is not there), never anything else.
 * Regression mode runs the seed inputs; {@code JAZZER_FUZZ=1} explores.
 */
class IndexFuzzTest {
    @FuzzTest(maxDuration = "30s")
    void arbitraryIndexBytes(byte[] data) throws IOException {
        Path dir = Files.createTempDirectory("wm-index-fuzz");
        Path index = dir.resolve("model.safetensors.index.json");
        try {
            Files.write(index, data);
            try (Checkpoint c = Checkpoints.open(dir)) {
                c.verifyIndex();
            } catch (CheckpointException | NoSuchFileException expected) {
                // the only acceptable failures
            }
        } finally {
            try (var s = Files.list(dir)) {
                s.forEach(p -> p.toFile().delete());
            }
            Files.deleteIfExists(dir);
        }
    }

    @FuzzTest(maxDuration = "10s")
    void arbitrarySizeStrings(String s) {
        try {
            ShardSize.parse(s);
        } catch (CheckpointException expected) {
            // fine
        }
    }
}
