// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The one place that decides whether weightmap uses the Vector API ({@code jdk.incubator.vector}), and the
 * factory of every kernel that has a vector implementation. The decision is made once, on first use: the vector
 * provider is used when the module is in the boot layer and the system property {@value #PROPERTY} is not
 * {@code false}; otherwise the scalar provider. The vector provider's class (and every class that imports the
 * Vector API) is only loaded after that check, so the library runs without the module, on the module path and
 * on the class path. One {@code DEBUG} line on the logger of this class names the choice.
 */
public abstract class VectorizationProvider {
    /** Name of the system property that forces the scalar provider when set to {@code false}. */
    public static final String PROPERTY = "weightmap.vectorization";

    /** Implementations live in this package. */
    VectorizationProvider() {
    }

    private static final class Holder {
        static final VectorizationProvider INSTANCE = select();
    }

    /**
     * The provider chosen for this process.
     *
     * @return the vector provider when usable, else the scalar one
     */
    public static VectorizationProvider get() {
        return Holder.INSTANCE;
    }

    /**
     * The scalar provider, whatever was chosen: the reference that vector kernels are compared against.
     *
     * @return the scalar provider
     */
    public static VectorizationProvider scalar() {
        return ScalarProvider.INSTANCE;
    }

    /**
     * Which implementation family this is, for diagnostics.
     *
     * @return {@code "scalar"} or {@code "vector (N-bit)"}
     */
    public abstract String describe();

    /**
     * Whether this is the Vector API provider: kernels that live in a format's own package (the GGUF block
     * dequantizers) load their vector implementation only when this is true, so the choice stays this one.
     *
     * @return true for the vector provider
     */
    public boolean vectorized() {
        return this != ScalarProvider.INSTANCE;
    }

    /**
     * The XXH3 stripe kernel.
     *
     * @return this provider's kernel (the scalar one when the vector species is too narrow)
     */
    public abstract Xxh3Kernel xxh3();

    /**
     * The F32 ⇄ BF16/F16 conversion kernel.
     *
     * @return this provider's kernel
     */
    public abstract ConversionKernel conversions();

    private static VectorizationProvider select() {
        System.Logger log = System.getLogger(VectorizationProvider.class.getName());
        VectorizationProvider p = ScalarProvider.INSTANCE;
        String why;
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            why = "-D" + PROPERTY + "=false";
        } else if (!vectorModulePresent()) {
            why = "jdk.incubator.vector not in the boot layer";
        } else {
            try {
                // same package: the lookup may call the package-private constructor, no setAccessible needed
                Class<?> c = Class.forName(VectorizationProvider.class.getPackageName() + ".VectorProvider");
                p = (VectorizationProvider) MethodHandles.lookup()
                        .findConstructor(c, MethodType.methodType(void.class)).invoke();
                why = "jdk.incubator.vector in the boot layer";
            } catch (Throwable t) {
                why = "vector provider unavailable: " + t;
            }
        }
        log.log(System.Logger.Level.DEBUG, "weightmap SIMD: " + p.describe() + " (xxh3 kernel "
                + p.xxh3().name() + "; " + why + ")");
        return p;
    }

    private static boolean vectorModulePresent() {
        try {
            return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
