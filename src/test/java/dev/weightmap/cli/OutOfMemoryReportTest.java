// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The JVM throws one shared {@link OutOfMemoryError} instance from several threads, so a try-with-resources that
 * meets it twice wraps it in {@code IllegalArgumentException("Self-suppression not permitted")}: the CLI must
 * still report {@code OUT_OF_MEMORY}, not {@code INTERNAL}.
 */
class OutOfMemoryReportTest {
    @Test
    void aWrappedOutOfMemoryErrorIsFound() {
        OutOfMemoryError oom = new OutOfMemoryError("Java heap space");
        assertThat(Main.outOfMemoryCause(new IllegalArgumentException("Self-suppression not permitted", oom)))
                .isSameAs(oom);
        RuntimeException suppressing = new RuntimeException("hashing failed");
        suppressing.addSuppressed(oom);
        assertThat(Main.outOfMemoryCause(new RuntimeException(suppressing))).isSameAs(oom);
    }

    @Test
    void otherFailuresAreNotOutOfMemory() {
        RuntimeException loop = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", loop);
        loop.addSuppressed(b);
        assertThat(Main.outOfMemoryCause(loop)).isNull();
        assertThat(Main.outOfMemoryCause(new IllegalStateException("closed"))).isNull();
    }
}
