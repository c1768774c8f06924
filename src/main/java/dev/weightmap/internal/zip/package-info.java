/**
 * Internal ZIP support shared by the DDUF and torch-checkpoint code: {@link dev.weightmap.internal.zip.ZipArchive}
 * reads the structure of an archive held in a {@link java.lang.foreign.MemorySegment} (no entry data is read),
 * {@link dev.weightmap.internal.zip.ZipWriter} writes STORED, aligned archives. Both throw
 * {@link dev.weightmap.internal.zip.ZipFormatException}, which each format maps to its own exception type.
 * Not exported.
 */
package dev.weightmap.internal.zip;
