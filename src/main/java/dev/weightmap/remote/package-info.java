// SPDX-License-Identifier: Apache-2.0
/**
 * Remote weights over HTTP range requests ({@code java.net.http} only): headers, whole tensors and slices fetched
 * on demand, nothing written to disk. {@link dev.weightmap.remote.RemoteWeights} is the reader
 * ({@link dev.weightmap.Weights#open(java.net.URI)} returns one), {@link dev.weightmap.remote.HttpRangeSource} the
 * byte source with the HTTP rules, {@link dev.weightmap.remote.RangeSource} what a format reads through.
 */
package dev.weightmap.remote;
