// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.zip.TestLayouts;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** torch's writer layout is the one whose bytes {@code ZipWriterGoldenTest} pins. */
class TorchZipLayoutTest {
    @Test
    void layoutIsThePinnedOne() {
        assertThat(TorchZip.layout(64, false)).isEqualTo(TestLayouts.torch(64, false));
        assertThat(TorchZip.layout(64, true)).isEqualTo(TestLayouts.torch(64, true));
    }
}
