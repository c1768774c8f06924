// SPDX-License-Identifier: Apache-2.0
/**
 * The tensor model: {@link dev.weightmap.tensor.DType}, {@link dev.weightmap.tensor.Tensor} (a strided view
 * over a storage segment) and storage identity and aliasing ({@link dev.weightmap.tensor.StorageId},
 * {@link dev.weightmap.tensor.StorageAliasing}).
 */
package dev.weightmap.tensor;
