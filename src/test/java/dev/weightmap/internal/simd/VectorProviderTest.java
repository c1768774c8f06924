// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The chosen provider against the contract. The test run adds {@code jdk.incubator.vector}, so the chosen one is
 * the vector provider; without the module these tests skip (the scalar provider is tested on its own).
 */
class VectorProviderTest extends ProviderContract {
    @BeforeAll
    static void vectorProviderChosen() {
        assumeTrue(VectorizationProvider.get() != VectorizationProvider.scalar(),
                "jdk.incubator.vector is not in the boot layer (or -D" + VectorizationProvider.PROPERTY
                        + "=false): the scalar provider is the chosen one");
    }

    @Override
    VectorizationProvider provider() {
        return VectorizationProvider.get();
    }

    @Test
    void isTheVectorProviderWithItsKernels() {
        assertThat(provider().getClass().getSimpleName()).isEqualTo("VectorProvider");
        assertThat(provider().describe()).matches("vector \\(\\d+-bit\\)");
        assertThat(provider().conversions().getClass().getSimpleName()).isEqualTo("VectorConversions");
        assertThat(VectorizationProvider.get()).isSameAs(provider()); // picked once
    }
}
