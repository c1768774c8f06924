// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.tensor.Tensor;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The child process of {@link CrashConsistencyTest}: saves one version of a state dict into a folder.
 * Arguments: {@code DIR SPEC} ({@link Version#parse}). Prints {@code ready} before the save and {@code done} after.
 */
public final class CrashSaveChild {
    private CrashSaveChild() {
    }

    /**
     * One version of a checkpoint: {@code tensors} float tensors of {@code floats} values each, contents from
     * {@code seed}, saved with {@code maxShardSize} in {@code format}.
     *
     * @param seed         contents
     * @param tensors      tensor count
     * @param floats       values per tensor
     * @param maxShardSize the shard size
     * @param torch        torch format instead of safetensors
     */
    record Version(int seed, int tensors, int floats, long maxShardSize, boolean torch) {
        static Version parse(String s) {
            String[] p = s.split(":");
            return new Version(Integer.parseInt(p[0]), Integer.parseInt(p[1]), Integer.parseInt(p[2]),
                    Long.parseLong(p[3]), p[4].equals("torch"));
        }

        String spec() {
            return seed + ":" + tensors + ":" + floats + ":" + maxShardSize + ":" + (torch ? "torch" : "st");
        }

        Map<String, Tensor> stateDict() {
            Map<String, Tensor> m = new LinkedHashMap<>();
            for (int t = 0; t < tensors; t++) {
                float[] v = new float[floats];
                for (int i = 0; i < floats; i++) {
                    v[i] = seed * 1_000_003f + t * 7919f + i;
                }
                m.put("layer." + t + ".weight", Tensor.ofFloats(v, floats));
            }
            return m;
        }

        SaveOptions options() {
            return SaveOptions.builder().maxShardSize(maxShardSize)
                    .format(torch ? SaveOptions.Format.TORCH : SaveOptions.Format.SAFETENSORS).build();
        }
    }

    /**
     * Saves.
     *
     * @param args DIR SPEC
     * @throws Exception when the save fails
     */
    public static void main(String[] args) throws Exception {
        Version v = Version.parse(args[1]);
        Map<String, Tensor> sd = v.stateDict();
        SaveOptions o = v.options();
        System.out.println("ready");
        System.out.flush();
        StateDicts.save(sd, Path.of(args[0]), o);
        System.out.println("done");
    }
}
