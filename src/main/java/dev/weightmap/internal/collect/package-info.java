// SPDX-License-Identifier: Apache-2.0
/** Read-only collections whose elements are made on access, shared by the readers. */
package dev.weightmap.internal.collect;
