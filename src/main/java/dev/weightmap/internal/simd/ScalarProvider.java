// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

/** Portable kernels: plain Java loops, always available. */
final class ScalarProvider extends VectorizationProvider {
    static final ScalarProvider INSTANCE = new ScalarProvider();

    private final Xxh3Kernel xxh3 = new Xxh3ScalarKernel();
    private final ConversionKernel conversions = new ConversionKernel();

    private ScalarProvider() {
    }

    @Override
    public String describe() {
        return "scalar";
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
