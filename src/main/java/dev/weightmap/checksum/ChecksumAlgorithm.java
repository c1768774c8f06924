// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.checksum;

/** The checksum and hash algorithms weightmap computes, with their CLI names. */
public enum ChecksumAlgorithm {
    /** zlib CRC32 (8 hex digits). */
    CRC32("crc32"),
    /** CRC32C, Castagnoli (8 hex digits). */
    CRC32C("crc32c"),
    /** SHA-256 (64 hex digits): the Hub's LFS oid of a file. */
    SHA256("sha256"),
    /** XXH64 (16 hex digits). */
    XXH64("xxh64"),
    /** XXH3 64-bit (16 hex digits). */
    XXH3_64("xxh3-64"),
    /** XXH3 128-bit (32 hex digits, high half first). */
    XXH3_128("xxh3-128");

    private final String cliName;

    ChecksumAlgorithm(String cliName) {
        this.cliName = cliName;
    }

    /**
     * The name used by {@code weightmap hash --algo}.
     *
     * @return the lower-case name, e.g. {@code sha256} or {@code xxh3-128}
     */
    public String cliName() {
        return cliName;
    }

    /**
     * Whether one input (a file, a tensor) can be hashed on several threads at once: CRC32 and CRC32C, whose
     * pieces are hashed anywhere and joined by the CRC combine math. SHA-256 and the XXH family hash one input as
     * one sequential stream on one thread (their state after a byte depends on every byte before it); they use
     * several cores only across several inputs.
     *
     * @return true for CRC32 and CRC32C
     */
    public boolean splitsOneInput() {
        return this == CRC32 || this == CRC32C;
    }

    /**
     * The algorithm with this CLI name (case-insensitive), or null.
     *
     * @param name a name as typed after {@code --algo}
     * @return the algorithm, or null when no algorithm has that name
     */
    public static ChecksumAlgorithm fromCliName(String name) {
        for (ChecksumAlgorithm a : values()) {
            if (a.cliName.equalsIgnoreCase(name)) {
                return a;
            }
        }
        return null;
    }
}
