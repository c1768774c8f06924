// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import jdk.incubator.vector.IntVector;

/** Loaded only when the Vector API is present. */
final class VectorInfo {
    private VectorInfo() {
    }

    public static String describe() {
        return "vector (" + IntVector.SPECIES_PREFERRED.vectorBitSize() + "-bit)";
    }
}
