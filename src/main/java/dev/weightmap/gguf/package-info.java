// SPDX-License-Identifier: Apache-2.0
/**
 * GGUF, llama.cpp's container: {@link dev.weightmap.gguf.GgufFile} opens a file or image zero-copy and validates
 * its header; {@link dev.weightmap.gguf.GgmlType} is the full table of GGML tensor types with their block
 * geometry; metadata arrays are read on demand through {@link dev.weightmap.gguf.GgufArray};
 * {@link dev.weightmap.gguf.Dequantize} and {@link dev.weightmap.gguf.Quantize} convert blocks to and from
 * float32 exactly as gguf-py does; {@link dev.weightmap.gguf.GgufWriter} writes GGUF v3 as gguf-py's
 * {@code GGUFWriter} does.
 */
package dev.weightmap.gguf;
