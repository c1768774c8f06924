// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.testing;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Seeded random tries for property-style tests in plain JUnit 5.
 *
 * <pre>{@code
 * @ExtendWith(Seeded.Extension.class)
 * class SomeProperties {
 *     @Test
 *     void holds(Seeded seeded) {
 *         seeded.tries(300, g -> { ... draw inputs from g, assert ... });
 *     }
 * }
 * }</pre>
 *
 * <p>One run seed is drawn per JVM, or taken from the system property {@value #SEED_PROPERTY}. Each test mixes it
 * with its own name, and each try with its index, so a try's inputs depend only on the run seed, the test and the
 * try index. A failing try is reported with the seed and the index; {@code -Dweightmap.seed=S} replays the whole
 * run, and {@code -Dweightmap.try=I} with it runs only try {@code I}. The system property
 * {@value #TRIES_FACTOR_PROPERTY} (a positive decimal, default 1) scales every test's number of tries.
 */
public final class Seeded {

    /** System property fixing the run seed (a decimal {@code long}). */
    public static final String SEED_PROPERTY = "weightmap.seed";

    /** System property scaling the number of tries of every property (a positive decimal). */
    public static final String TRIES_FACTOR_PROPERTY = "weightmap.tries.factor";

    /** System property restricting every property to the one try of that index (for replaying a failure). */
    public static final String TRY_PROPERTY = "weightmap.try";

    private static final long RUN_SEED = runSeedFromProperty();

    private final String name;
    private final long seed;
    private final Map<String, Map<String, Integer>> tallies = new TreeMap<>();

    private Seeded(String name) {
        this.name = name;
        this.seed = mix(RUN_SEED ^ mix(name.hashCode() * 0x9E3779B97F4A7C15L + name.length()));
    }

    /** A source of tries for the test called {@code name} (normally made by {@link Extension}). */
    public static Seeded named(String name) {
        return new Seeded(name);
    }

    /** The seed of this run: {@value #SEED_PROPERTY} when set, else random. */
    public static long runSeed() {
        return RUN_SEED;
    }

    /** {@code tries} scaled by {@value #TRIES_FACTOR_PROPERTY}, at least 1. */
    public static int scaled(int tries) {
        String f = System.getProperty(TRIES_FACTOR_PROPERTY, "").trim();
        if (f.isEmpty()) {
            return tries;
        }
        double factor = Double.parseDouble(f);
        if (!(factor > 0)) {
            throw new IllegalArgumentException(TRIES_FACTOR_PROPERTY + " must be positive: " + f);
        }
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, Math.ceil(tries * factor)));
    }

    /** The name this source was made for. */
    public String name() {
        return name;
    }

    /** The generator of try {@code index}: the same for the same run seed, test name and index. */
    public Gen generator(int index) {
        return new Gen(mix(seed + (index + 1L) * 0xBF58476D1CE4E5B9L));
    }

    /**
     * Runs {@code body} {@code scaled(tries)} times, each time with the generator of that try. The first failing try
     * ends the test with an {@link AssertionError} that names the seed and the try (its cause is the failure).
     */
    public void tries(int tries, Body body) {
        int n = scaled(tries);
        String only = System.getProperty(TRY_PROPERTY, "").trim();
        int from = 0;
        int to = n;
        if (!only.isEmpty()) {
            from = Integer.parseInt(only);
            to = Math.min(n, from + 1);
        }
        for (int i = from; i < to; i++) {
            try {
                body.run(generator(i));
            } catch (Throwable t) {
                String replay = String.format(Locale.ROOT, "%s failed on try %d of %d (seed %d); replay with -D%s=%d"
                        + " (only this try: add -D%s=%d): %s", name, i, n, RUN_SEED, SEED_PROPERTY, RUN_SEED,
                        TRY_PROPERTY, i, t);
                throw new AssertionError(replay, t);
            }
        }
        if (!tallies.isEmpty()) {
            StringBuilder b = new StringBuilder(name).append(" (").append(to - from).append(" tries)");
            tallies.forEach((label, counts) -> b.append(' ').append(label).append(": ").append(counts));
            System.out.println(b);
        }
    }

    /**
     * Counts {@code value} under {@code label}; after the tries the counts are printed as one line
     * (a look at what the generator produced).
     */
    public void tally(String label, Object value) {
        tallies.computeIfAbsent(label, k -> new TreeMap<>()).merge(String.valueOf(value), 1, Integer::sum);
    }

    /** Runs one hand-picked case; a failure is reported with {@code description}. */
    public static void example(Object description, Example body) {
        try {
            body.run();
        } catch (Throwable t) {
            throw new AssertionError("case " + description + " failed: " + t, t);
        }
    }

    /** The body of a property: draws its inputs from the generator and checks them. */
    @FunctionalInterface
    public interface Body {
        /** Checks one try. */
        void run(Gen g) throws Exception;
    }

    /** A hand-picked case. */
    @FunctionalInterface
    public interface Example {
        /** Checks the case. */
        void run() throws Exception;
    }

    /** SplitMix64's finalizer: spreads the bits of {@code z}. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static long runSeedFromProperty() {
        String s = System.getProperty(SEED_PROPERTY, "").trim();
        return s.isEmpty() ? ThreadLocalRandom.current().nextLong() : Long.parseLong(s);
    }

    /** Resolves a {@link Seeded} parameter of a test method, named after the test class and method. */
    public static final class Extension implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == Seeded.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return named(context.getRequiredTestClass().getName() + "#" + context.getRequiredTestMethod().getName());
        }
    }
}
