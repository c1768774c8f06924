// SPDX-License-Identifier: Apache-2.0
/**
 * Internal ZIP support: {@link dev.weightmap.internal.zip.ZipArchive} reads the structure of an archive by
 * positional reads from a {@link dev.weightmap.internal.zip.ZipSource} (no entry data is read) and reports facts
 * that DDUF and torch each judge by their own rules, and
 * {@link dev.weightmap.internal.zip.ZipWriter} writes STORED, aligned archives in the
 * {@link dev.weightmap.internal.zip.ZipLayout} a format defines (DDUF's and torch's). Both throw
 * {@link dev.weightmap.internal.zip.ZipFormatException}, which each format maps to its own exception type.
 * Not exported.
 */
package dev.weightmap.internal.zip;
