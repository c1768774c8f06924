// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ahead-of-time cache's training workload runs every command it names to success (a failing command would
 * record only its error path), except its last one, the missing-file error the cache also covers.
 */
class TrainingTest {
    @Test
    void everyCommandOfTheWorkloadSucceedsButTheDeliberateError(@TempDir Path dir) throws IOException {
        List<Integer> codes = Training.run(dir);
        assertThat(codes.subList(0, codes.size() - 1)).containsOnly(0);
        assertThat(codes.getLast()).isEqualTo(1);
        try (var s = Files.list(dir.resolve("shards"))) {
            assertThat(s.filter(p -> p.toString().endsWith(".safetensors")).count())
                    .as("the sample is sharded into several files").isGreaterThan(1);
        }
    }

    @Test
    void theSampleHasTheTensorsOfTheStartUpBenchmark() {
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            assertThat(Training.sample(arena)).hasSize(300);
        }
    }
}
