// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import java.util.Arrays;

/** Order statistics over the per-round figures of the interleaved timing classes. */
final class Stats {
    private Stats() {
    }

    /** The median of {@code v} (the mean of the middle two for an even count); {@code v} is not changed. */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** The least of {@code v}, or NaN when it is empty. */
    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(Double.NaN);
    }
}
