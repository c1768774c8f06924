// SPDX-License-Identifier: Apache-2.0
/**
 * Checksums and hashes over memory segments, tensors and files: CRC32 and CRC32C (JDK intrinsics, parallel
 * chunks joined by CRC combine math), SHA-256 (JDK, the Hub's LFS oid), XXH64, and XXH3-64/128 with a
 * {@code jdk.incubator.vector} stripe loop and a scalar fallback chosen once at startup
 * ({@code -Dweightmap.vectorization=false} forces the scalar loop).
 *
 * <p>Entry points: {@link dev.weightmap.checksum.Checksums} (one-shot, files, tensors, parallel),
 * {@link dev.weightmap.checksum.Hasher} (streaming), {@link dev.weightmap.checksum.Xxh3} and
 * {@link dev.weightmap.checksum.Crc} (algorithm-level access), and
 * {@link dev.weightmap.checksum.ChecksumMismatchException} (raised by {@code weightmap verify --manifest}).
 * Digests are canonical big-endian bytes, identical to xxhsum, zlib, crc32c and sha256sum output.
 */
package dev.weightmap.checksum;
