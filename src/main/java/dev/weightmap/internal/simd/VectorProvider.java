// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import jdk.incubator.vector.IntVector;

/**
 * Kernels on {@code jdk.incubator.vector}. Loaded by {@link VectorizationProvider} only after it found the
 * module in the boot layer. A kernel whose vector form does not fit the preferred species (XXH3 needs at least
 * 256 bits) falls back to its scalar form.
 */
final class VectorProvider extends VectorizationProvider {
    private final Xxh3Kernel xxh3 = xxh3Kernel();
    private final ConversionKernel conversions = new VectorConversions();

    VectorProvider() {
    }

    private static Xxh3Kernel xxh3Kernel() {
        try {
            return new Xxh3VectorKernel();
        } catch (UnsupportedOperationException e) {
            return ScalarProvider.INSTANCE.xxh3();
        }
    }

    @Override
    public String describe() {
        return "vector (" + IntVector.SPECIES_PREFERRED.vectorBitSize() + "-bit)";
    }

    @Override
    public Xxh3Kernel xxh3() {
        return xxh3;
    }

    @Override
    public ConversionKernel conversions() {
        return conversions;
    }
}
