// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.io.FsSteps;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code durable(false)} saves skip forcing to disk and still appear atomically under their final names. */
class NonDurableSaveTest {
    @TempDir
    Path tmp;

    private static void writeBytes(Path p, boolean durable, byte[] bytes) throws Exception {
        AtomicFile.write(p, durable, ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    @Test
    void aNonDurableWriteSkipsTheForceButStillRenames() throws Exception {
        Path p = tmp.resolve("a.bin");
        long before = FsSteps.count();
        writeBytes(p, true, new byte[] {1, 2, 3});
        long durableSteps = FsSteps.count() - before; // create, force, rename
        before = FsSteps.count();
        writeBytes(p, false, new byte[] {4, 5});
        long scratchSteps = FsSteps.count() - before; // create, rename
        assertThat(scratchSteps).isEqualTo(durableSteps - 1);
        assertThat(Files.readAllBytes(p)).containsExactly(4, 5);
        try (var files = Files.list(tmp)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("a.bin"); // no temporary left
        }
    }

    @Test
    void aNonDurableSafetensorsSaveTakesNoForceStep() throws Exception {
        Path p = tmp.resolve("m.safetensors");
        Map<String, Tensor> one = Map.of("w", Tensor.of(MemorySegment.ofArray(new float[] {1, 2}), DType.F32, 2));
        long before = FsSteps.count();
        dev.weightmap.safetensors.Safetensors.save(one, Map.of(), p, true);
        long durableSteps = FsSteps.count() - before;
        before = FsSteps.count();
        dev.weightmap.safetensors.Safetensors.save(one, Map.of(), p, false);
        assertThat(FsSteps.count() - before).isEqualTo(durableSteps - 1);
        try (var f = dev.weightmap.safetensors.SafetensorsFile.open(p)) {
            assertThat(f.tensor("w").toFloatArray()).containsExactly(1f, 2f);
        }
    }

    @Test
    void aNonDurableShardedSaveLoadsBack() throws Exception {
        Map<String, Tensor> values = sixLayers();
        SaveOptions options = SaveOptions.builder().maxShardSize(8).durable(false).build();
        assertThat(options.durable()).isFalse();
        assertThat(SaveOptions.defaults().durable()).isTrue();
        StateDicts.save(values, tmp, options);
        try (Checkpoint c = Checkpoints.open(tmp)) {
            assertThat(c.tensorNames()).hasSize(6);
            assertThat(c.tensor("layer_5").toFloatArray()).containsExactly(5f, 5.5f);
        }
    }

    private static Map<String, Tensor> sixLayers() {
        Map<String, Tensor> values = new LinkedHashMap<>();
        for (int i = 0; i < 6; i++) {
            values.put("layer_" + i, Tensor.of(MemorySegment.ofArray(new float[] {i, i + 0.5f}), DType.F32, 2));
        }
        return values;
    }

    private static long stepsOfTorchSave(Path dir, SaveOptions.Builder options) throws Exception {
        Files.createDirectories(dir);
        long before = FsSteps.count();
        StateDicts.save(sixLayers(), dir, options.format(SaveOptions.Format.TORCH).maxShardSize(8).build());
        return FsSteps.count() - before;
    }

    @Test
    void aNonDurableTorchSaveForcesNoShard() throws Exception {
        long durable = stepsOfTorchSave(tmp.resolve("durable"), SaveOptions.builder());
        long scratch = stepsOfTorchSave(tmp.resolve("scratch"), SaveOptions.builder().durable(false));
        long shards;
        try (var files = Files.list(tmp.resolve("scratch"))) {
            shards = files.filter(f -> f.getFileName().toString().endsWith(".bin")).count();
        }
        assertThat(shards).isGreaterThan(1);
        // durable: per shard a file force and a folder force, then one force of the staging folder
        assertThat(durable - scratch).isEqualTo(2 * shards + 1);
        try (Checkpoint c = Checkpoints.open(tmp.resolve("scratch"), LoadOptions.defaults().withSafe(false))) {
            assertThat(c.tensorNames()).hasSize(6);
            assertThat(c.tensor("layer_5").toFloatArray()).containsExactly(5f, 5.5f);
        }
    }
}
