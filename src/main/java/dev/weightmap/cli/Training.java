// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The workload {@code bin/weightmap} records the JVM's ahead-of-time cache with
 * ({@code java -XX:AOTCacheOutput=FILE -cp weightmap.jar dev.weightmap.cli.Training}): the same commands on the same
 * generated sample every time, so the cache of one jar and JDK holds the same classes and profiles whichever command
 * a user happens to run first. It writes a 300-tensor safetensors file into a temporary folder, then runs the
 * start-up-sensitive commands on it through {@link Main#run} with their output thrown away: {@code inspect} (table
 * and {@code --json}), {@code verify}, {@code hash} (whole file, per tensor, a manifest checked by
 * {@code verify --manifest}, and XXH3 of a 9 MiB file, large enough for the vector loop), {@code shard} into three files and {@code inspect} of that folder, {@code convert} to a
 * torch zip checkpoint and back (the torch reader and writer), {@code export-dduf} of a one-component folder holding
 * the sample. Nothing is printed; the folder is deleted; a failing step only leaves the cache with fewer classes.
 */
final class Training {
    /** Tensors of the sample: as many as the 300-tensor start-up benchmark prints. */
    static final int TENSORS = 300;

    private Training() {
    }

    /**
     * Runs the workload.
     *
     * @param args ignored
     * @throws IOException when the temporary folder cannot be created or written
     */
    public static void main(String[] args) throws IOException {
        Path dir = Files.createTempDirectory("weightmap-aot");
        try {
            run(dir);
        } finally {
            deleteTree(dir);
        }
        System.exit(0); // as Main ends: its exit path is recorded too
    }

    /** Writes the sample into {@code dir} and runs every command of the workload on it; returns their exit codes. */
    static List<Integer> run(Path dir) throws IOException {
        Path file = dir.resolve("model.safetensors");
        try (Arena arena = Arena.ofConfined()) {
            Safetensors.save(sample(arena), Map.of("format", "pt"), file, false);
        }
        String f = file.toString();
        String manifest = dir.resolve("manifest.json").toString();
        String shards = dir.resolve("shards").toString();
        String torch = dir.resolve("model.bin").toString();
        Path pipeline = dir.resolve("pipeline");
        Files.createDirectories(pipeline.resolve("unet"));
        Files.writeString(pipeline.resolve("model_index.json"),
                "{\"_class_name\": \"Pipeline\", \"unet\": [\"diffusers\", \"UNet2DConditionModel\"]}");
        Files.writeString(pipeline.resolve("unet/config.json"), "{}");
        Files.copy(file, pipeline.resolve("unet/diffusion_pytorch_model.safetensors"));
        // over the 8 MiB after which XXH3 takes its vector loop: the cache then holds the Vector API's classes too
        Path stream = dir.resolve("stream.bin");
        byte[] bytes = new byte[9 << 20];
        new Random(1).nextBytes(bytes);
        Files.write(stream, bytes);
        String[][] commands = {
                {"--version"},
                {"inspect", f},
                {"inspect", "--json", f},
                {"verify", f},
                {"verify", "--json", f},
                {"hash", f},
                {"hash", "--algo", "xxh3-64", f},
                {"hash", "--algo", "xxh3-64", stream.toString()},
                {"hash", "--per-tensor", "--algo", "crc32c", f},
                {"hash", "--manifest", manifest, f},
                {"verify", "--manifest", manifest, f},
                {"shard", "--max-shard-size", "8KB", f, shards},
                {"inspect", shards},
                {"inspect", "--json", shards},
                {"convert", f, torch},
                {"convert", torch, dir.resolve("converted").resolve("model.safetensors").toString()},
                {"export-dduf", pipeline.toString(), dir.resolve("pipeline.dduf").toString()},
                {"inspect", dir.resolve("missing.safetensors").toString()},
        };
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream(), false, System.out.charset());
        List<Integer> codes = new ArrayList<>();
        for (String[] c : commands) {
            codes.add(Main.run(c, sink, sink, Main.systemCli(sink, sink)));
        }
        return codes;
    }

    /** {@link #TENSORS} small tensors of every common dtype, named as a transformer's layers are. */
    static Map<String, Tensor> sample(Arena arena) {
        DType[] dtypes = {DType.F32, DType.BF16, DType.F16, DType.I64, DType.U8, DType.F8_E4M3};
        Map<String, Tensor> sd = new LinkedHashMap<>();
        for (int i = 0; i < TENSORS; i++) {
            DType dt = dtypes[i % dtypes.length];
            long rows = 1 + i % 7;
            long cols = 8 + i % 5;
            String name = "model.layers." + i / 10 + ".mlp.proj_" + i % 10 + ".weight";
            sd.put(name, Tensor.of(arena.allocate(dt.byteLength(rows * cols), 64), dt, rows, cols));
        }
        return sd;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
