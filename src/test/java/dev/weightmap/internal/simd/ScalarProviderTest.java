// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The scalar provider against the contract (its own reference: the formulas and the kernels agree). */
class ScalarProviderTest extends ProviderContract {
    @Override
    VectorizationProvider provider() {
        return VectorizationProvider.scalar();
    }

    @Test
    void describesItselfAsScalar() {
        assertThat(provider().describe()).isEqualTo("scalar");
        assertThat(provider().xxh3().name()).isEqualTo("scalar");
    }
}
