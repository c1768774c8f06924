// SPDX-License-Identifier: Apache-2.0
/**
 * DDUF archives (Diffusers pipelines in one STORED ZIP file): {@link dev.weightmap.dduf.DdufFile} maps and
 * validates an archive, {@link dev.weightmap.dduf.DdufEntry} is one entry as a zero-copy slice (and a zero-copy
 * safetensors view), {@link dev.weightmap.dduf.Dduf} writes 64-byte-aligned archives atomically. Errors form
 * huggingface_hub's family: {@link dev.weightmap.dduf.DdufException} &sup;
 * {@link dev.weightmap.dduf.DdufCorruptedFileException}, {@link dev.weightmap.dduf.DdufExportException} &sup;
 * {@link dev.weightmap.dduf.DdufInvalidEntryNameException}.
 */
package dev.weightmap.dduf;
