// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import jdk.incubator.vector.LongVector;

/**
 * Kernels on {@code jdk.incubator.vector}. Loaded by {@link VectorizationProvider} only after it found the
 * module in the boot layer. A kernel whose vector form does not fit the preferred species (XXH3 needs at least
 * 256 bits) falls back to its scalar form.
 */
final class VectorProvider extends VectorizationProvider {
    private final Xxh3Kernel xxh3 = xxh3Kernel();
    /**
     * The conversion kernel, created on first use, so that a process that only hashes never initialises the int and
     * float vector classes (about 15 ms of a cold {@code weightmap hash}); the scalar kernel if it cannot be created.
     */
    private static final class Conversions {
        static final ConversionKernel INSTANCE = create();

        private static ConversionKernel create() {
            try {
                return new VectorConversions();
            } catch (RuntimeException | LinkageError e) {
                return ScalarProvider.INSTANCE.conversions();
            }
        }
    }

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
        return "vector (" + LongVector.SPECIES_PREFERRED.vectorBitSize() + "-bit)";
    }

    @Override
    public Xxh3Kernel xxh3() {
        return xxh3;
    }

    @Override
    public ConversionKernel conversions() {
        return Conversions.INSTANCE;
    }
}
