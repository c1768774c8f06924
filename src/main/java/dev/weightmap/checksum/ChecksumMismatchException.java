// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

import java.util.List;

/**
 * Data did not hash to the recorded value ({@code weightmap verify --manifest}). The message names every
 * tensor or file that differs; {@link #mismatches()} lists them.
 */
public final class ChecksumMismatchException extends dev.weightmap.WeightmapException {
    private static final long serialVersionUID = 1L;
    /** The reason string printed by the CLI. */
    public static final String REASON = "CHECKSUM_MISMATCH";

    /** The tensors or files whose digest differs, in manifest order. */
    private final List<String> mismatches;

    /**
     * A mismatch with a message and the names (tensors or files) that differ.
     *
     * @param message what differs, for the CLI's error line
     * @param mismatches the names of the tensors or files that differ
     */
    public ChecksumMismatchException(String message, List<String> mismatches) {
        super(dev.weightmap.WeightmapException.Common.CHECKSUM_MISMATCH, message);
        this.mismatches = List.copyOf(mismatches);
    }


    /**
     * The tensors or files that differ, in manifest order.
     *
     * @return an unmodifiable list of names
     */
    public List<String> mismatches() {
        return mismatches;
    }
}
