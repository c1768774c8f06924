// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.util.List;

/**
 * What {@link Weights#verify()} checked.
 *
 * @param format    the format name
 * @param tensors   the number of tensors
 * @param files     the number of files
 * @param bytes     the data bytes checked or covered
 * @param checksums the number of recorded checksums recomputed (0 when the format records none)
 * @param checks    short descriptions of what was checked, for example {@code "CRC-32 of every entry matches"}
 */
public record VerifyReport(String format, int tensors, int files, long bytes, int checksums, List<String> checks) {
    /**
     * A report.
     *
     * @param format    the format name
     * @param tensors   the number of tensors
     * @param files     the number of files
     * @param bytes     the data bytes checked or covered
     * @param checksums the number of recorded checksums recomputed
     * @param checks    short descriptions of what was checked
     */
    public VerifyReport {
        checks = List.copyOf(checks);
    }
}
