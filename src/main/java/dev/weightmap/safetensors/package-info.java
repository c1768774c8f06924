// SPDX-License-Identifier: Apache-2.0
/** safetensors support. */
package dev.weightmap.safetensors;
