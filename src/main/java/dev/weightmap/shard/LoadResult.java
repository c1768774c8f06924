// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.util.List;

/**
 * Keys that did not match in {@link Checkpoint#loadInto}: hub's {@code _IncompatibleKeys}, plus what hub logs as
 * warnings while loading.
 *
 * @param missingKeys    destination names the checkpoint does not have (destination order)
 * @param unexpectedKeys checkpoint names the destination does not have (checkpoint order)
 * @param warnings       what hub 2.0 logs as a warning for this checkpoint (see {@link Checkpoint#warnings()})
 */
public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys, List<String> warnings) {
    /**
     * Copies the lists.
     *
     * @param missingKeys    destination names the checkpoint does not have
     * @param unexpectedKeys checkpoint names the destination does not have
     * @param warnings       the checkpoint's warnings
     */
    public LoadResult {
        missingKeys = List.copyOf(missingKeys);
        unexpectedKeys = List.copyOf(unexpectedKeys);
        warnings = List.copyOf(warnings);
    }

    /**
     * A result without warnings.
     *
     * @param missingKeys    destination names the checkpoint does not have
     * @param unexpectedKeys checkpoint names the destination does not have
     */
    public LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {
        this(missingKeys, unexpectedKeys, List.of());
    }

    /**
     * Whether every key matched (warnings do not count).
     *
     * @return true when no key is missing or unexpected
     */
    public boolean allMatched() {
        return missingKeys.isEmpty() && unexpectedKeys.isEmpty();
    }

    @Override
    public String toString() {
        String keys = allMatched() ? "<All keys matched successfully>"
                : "LoadResult[missingKeys=" + missingKeys + ", unexpectedKeys=" + unexpectedKeys + "]";
        return warnings.isEmpty() ? keys : keys + " warnings=" + warnings;
    }
}
