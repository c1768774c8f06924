// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.simd;

/**
 * Detects once whether the Vector API ({@code jdk.incubator.vector}) can be used: the module must be in the
 * boot layer and the system property {@code weightmap.vectorization} must not be {@code false}. Classes that
 * import the Vector API are only ever loaded when {@link #ENABLED} is true, so the library works without the
 * module (scalar code paths).
 */
public final class Simd {
    /** Whether SIMD implementations are used. */
    public static final boolean ENABLED = detect();

    private Simd() {
    }

    private static boolean detect() {
        if ("false".equalsIgnoreCase(System.getProperty("weightmap.vectorization"))) {
            return false;
        }
        try {
            return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /**
     * Loads {@code className} (a class using the Vector API) and returns its no-argument instance when SIMD is
     * enabled and the class initialises; {@code fallback} otherwise.
     */
    public static <T> T load(String className, Class<T> type, T fallback) {
        if (!ENABLED) {
            return fallback;
        }
        try {
            Class<?> c = Class.forName(className, true, Simd.class.getClassLoader());
            // implementations are package-private classes in other packages of this module: without
            // setAccessible the constructor call failed with IllegalAccessException and the fallback was always used
            java.lang.reflect.Constructor<?> ctor = c.getDeclaredConstructor();
            ctor.setAccessible(true);
            return type.cast(ctor.newInstance());
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return fallback;
        }
    }

    /** Which implementation family is active, for diagnostics ("vector (512-bit)" or "scalar"). */
    public static String describe() {
        if (!ENABLED) {
            return "scalar";
        }
        try {
            Class<?> c = Class.forName("dev.weightmap.internal.simd.VectorInfo", true, Simd.class.getClassLoader());
            return (String) c.getMethod("describe").invoke(null);
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return "scalar";
        }
    }
}
