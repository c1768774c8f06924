// SPDX-License-Identifier: Apache-2.0
/**
 * PyTorch checkpoints without Python: {@link dev.weightmap.torch.TorchCheckpoint} reads {@code torch.save} output
 * (zip format and the legacy pre-1.6 stream) zero-copy through a restricted pickle machine that never executes
 * anything, and {@link dev.weightmap.torch.TorchCheckpoints} writes zip checkpoints that
 * {@code torch.load(weights_only=True)} accepts.
 */
package dev.weightmap.torch;
