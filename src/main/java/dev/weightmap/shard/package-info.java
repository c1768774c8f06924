// SPDX-License-Identifier: Apache-2.0
/**
 * State dicts and (sharded) checkpoints: huggingface_hub's serialization API on the JVM.
 *
 * <ul>
 *   <li>{@link dev.weightmap.shard.StateDicts}: shard planning ({@code split}, hub's greedy algorithm) and saving
 *       ({@code save}, {@code saveModel}) with {@link dev.weightmap.shard.SaveOptions};</li>
 *   <li>{@link dev.weightmap.shard.Checkpoints}: opening a file, an index or a folder as a zero-copy
 *       {@link dev.weightmap.shard.Checkpoint}, and loading it into destination tensors;</li>
 *   <li>{@link dev.weightmap.shard.ShardSize}: size strings ({@code "5GB"}, {@code "512MiB"}).</li>
 * </ul>
 * Every failure is a {@link dev.weightmap.shard.CheckpointException} with a reason, or a
 * {@link java.nio.file.NoSuchFileException} for a missing path.
 */
package dev.weightmap.shard;
