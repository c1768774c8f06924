// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import java.util.List;

/**
 * Keys that did not match in {@link Checkpoint#loadInto}: hub's {@code _IncompatibleKeys}.
 *
 * @param missingKeys    destination names the checkpoint does not have (destination order)
 * @param unexpectedKeys checkpoint names the destination does not have (checkpoint order)
 */
public record LoadResult(List<String> missingKeys, List<String> unexpectedKeys) {
    /** Copies the lists. */
    public LoadResult {
        missingKeys = List.copyOf(missingKeys);
        unexpectedKeys = List.copyOf(unexpectedKeys);
    }

    /**
     * Whether every key matched.
     *
     * @return true when no key is missing and none is unexpected
     */
    public boolean allMatched() {
        return missingKeys.isEmpty() && unexpectedKeys.isEmpty();
    }

    @Override
    public String toString() {
        return allMatched() ? "<All keys matched successfully>"
                : "LoadResult[missingKeys=" + missingKeys + ", unexpectedKeys=" + unexpectedKeys + "]";
    }
}
