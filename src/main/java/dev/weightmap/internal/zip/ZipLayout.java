// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

/**
 * How {@link ZipWriter} lays out the headers of a STORED archive; each format that writes ZIP defines its own
 * (DDUF Python's {@code zipfile} with {@code force_zip64=True}, torch {@code torch.save}'s). Data bytes and the
 * order of the structures are the same in every layout.
 *
 * @param alignment          power of two between 1 and 32768: every entry's data offset is a multiple of it
 * @param localSizes         where the local header's sizes are
 * @param paddingExtraId     the id of the extra field that pads a local header to the alignment (not 0x0001)
 * @param padding            the body and presence of that extra field
 * @param madeByHost         the host of "version made by" (upper byte: 0 MS-DOS, 3 Unix); its lower byte is the
 *                           version needed
 * @param utf8FlagAlways     whether flag bit 11 is set on every entry (else only on names that are not ASCII)
 * @param externalAttributes the central records' external attributes
 * @param zip64              when ZIP64 fields and end records are written
 */
public record ZipLayout(int alignment, LocalSizes localSizes, int paddingExtraId, Padding padding, int madeByHost,
                        boolean utf8FlagAlways, long externalAttributes, Zip64 zip64) {
    /** Extra field id of the alignment padding of Android's zipalign. */
    public static final int ZIPALIGN_EXTRA_ID = 0xD935;
    /** "Made by" host MS-DOS. */
    public static final int HOST_MS_DOS = 0;
    /** "Made by" host Unix. */
    public static final int HOST_UNIX = 3;
    /** External attributes of a regular Unix file, {@code rw-r--r--}. */
    public static final long UNIX_REGULAR_FILE = 0100644L << 16;

    /** Where the sizes of an entry are in its local header. */
    public enum LocalSizes {
        /**
         * Saturated ({@code 0xFFFFFFFF}) in the fixed fields, in a ZIP64 extra field that every local header
         * carries and that is patched once the data is written (so entries may be streamed, size unknown).
         */
        DEFERRED,
        /**
         * In the fixed fields, written before the data (the size must be known up front); a ZIP64 extra field
         * holds them only for entries of 4 GiB or more (or when {@link Zip64#EVERYWHERE}).
         */
        UP_FRONT
    }

    /** The padding extra field. */
    public enum Padding {
        /** A u16 alignment then zeros; omitted when no padding is needed, at least 6 bytes when present. */
        ZIPALIGN,
        /** Zeros; omitted when no padding is needed, at least 6 bytes when present. */
        ZEROS,
        /** {@code 'Z'} bytes; always present, with an empty body when no padding is needed. */
        ALWAYS_Z
    }

    /** When ZIP64 fields and the ZIP64 end record and locator are written. */
    public enum Zip64 {
        /** Only for values that do not fit their fields. */
        AS_NEEDED,
        /** Fields as needed; the end record and locator always. */
        END_RECORD_ALWAYS,
        /** Every local and central header gets ZIP64 fields, as if every size and offset were beyond 4 GiB. */
        EVERYWHERE
    }

    /** Checks the parameters. */
    public ZipLayout {
        if (alignment < 1 || alignment > 32768 || Integer.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two in [1, 32768]: " + alignment);
        }
        if (paddingExtraId < 0 || paddingExtraId > 0xFFFF || paddingExtraId == ZipArchive.ZIP64_EXTRA_ID) {
            throw new IllegalArgumentException("invalid padding extra id: " + paddingExtraId);
        }
        if (localSizes == null || padding == null || zip64 == null) {
            throw new IllegalArgumentException("null layout part");
        }
    }

    /**
     * Python's {@code zipfile} with {@code force_zip64=True}: deferred local sizes, zipalign padding, made by Unix,
     * regular-file attributes, flag bit 11 on names that are not ASCII, ZIP64 end records as needed.
     *
     * @param alignment the data alignment
     * @return the layout
     */
    public static ZipLayout forceZip64(int alignment) {
        return new ZipLayout(alignment, LocalSizes.DEFERRED, ZIPALIGN_EXTRA_ID, Padding.ZIPALIGN, HOST_UNIX, false,
                UNIX_REGULAR_FILE, Zip64.AS_NEEDED);
    }

    /**
     * This layout with another padding extra field.
     *
     * @param id   the extra field id
     * @param body its body
     * @return the layout
     */
    public ZipLayout withPadding(int id, Padding body) {
        return new ZipLayout(alignment, localSizes, id, body, madeByHost, utf8FlagAlways, externalAttributes, zip64);
    }
}
