// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import dev.weightmap.internal.simd.Simd;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * Chooses the XXH3 stripe kernel once, on first use (lazy holder idiom, as Lucene's vectorization provider
 * does). The Vector API kernel is used only when the {@code jdk.incubator.vector} module is in the boot layer,
 * the system property {@code weightmap.vectorization} is not {@code false}, and the preferred species has at
 * least 256 bits. It is found by name, so its class is never loaded when the module is absent.
 */
final class Xxh3Kernels {
    /** Name of the system property that forces the scalar kernel when set to {@code false}. */
    static final String PROPERTY = "weightmap.vectorization";

    static final Xxh3Kernel SCALAR = new Xxh3ScalarKernel();

    private Xxh3Kernels() {
    }

    private static final class Holder {
        static final Xxh3Kernel BEST = select();
    }

    /** The kernel chosen at startup. */
    static Xxh3Kernel best() {
        return Holder.BEST;
    }

    /**
     * The kernel to use over {@code s}: the chosen one for native (including mapped) segments, the scalar one
     * for heap segments. Vector loads from heap segments measured at less than half the scalar loop's speed
     * (and need a {@code byte[]} base), and keeping heap data out of the vector loop keeps its JIT profile clean.
     */
    static Xxh3Kernel forSegment(MemorySegment s) {
        return s.isNative() ? Holder.BEST : SCALAR;
    }

    private static Xxh3Kernel select() {
        System.Logger log = System.getLogger(Xxh3Kernels.class.getName());
        if (!Simd.ENABLED) { // same decision as the rest of weightmap (module in boot layer, property)
            log.log(System.Logger.Level.DEBUG, "XXH3: scalar kernel (-D" + PROPERTY
                    + "=false or jdk.incubator.vector not in the boot layer)");
            return SCALAR;
        }
        try {
            Class<?> c = Class.forName(Xxh3Kernels.class.getPackageName() + ".Xxh3VectorKernel");
            Object k = MethodHandles.lookup().findConstructor(c, MethodType.methodType(void.class)).invoke();
            return (Xxh3Kernel) k;
        } catch (Throwable t) {
            log.log(System.Logger.Level.DEBUG, "XXH3: vector kernel unavailable (" + t + "), scalar kernel");
            return SCALAR;
        }
    }
}
