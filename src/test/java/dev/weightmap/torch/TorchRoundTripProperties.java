// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.StorageId;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Gen;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** weightmap-write then weightmap-read returns the same tensors, with shared storages still shared. */
@ExtendWith(Seeded.Extension.class)
class TorchRoundTripProperties {

    /** One storage and the views taken of it. */
    record Spec(DType dtype, int rows, int cols, byte[] bytes, List<Integer> views) {
    }

    static final List<DType> DTYPES = List.of(DType.values()).stream().filter(d -> !d.isSubByte()).toList();

    /** A storage of {@code rows x cols} random elements and the views taken of it. */
    static Spec spec(DType d, int rows, int cols, List<Integer> views, Gen g) {
        byte[] b = new byte[rows * cols * d.byteSize()];
        g.nextBytes(b);
        return new Spec(d, rows, cols, b, views);
    }

    /** Up to 5 storages, each with 1 to 4 views. */
    static List<Spec> stateDict(Gen g) {
        return g.list(0, 5, () -> spec(g.pick(DTYPES), g.intIn(0, 6), g.intIn(1, 7), g.ints(1, 4, 0, 6), g));
    }

    private static Tensor view(Tensor base, int kind) {
        long r = base.size(0);
        long c = base.size(1);
        return switch (kind) {
            case 0 -> base;
            case 1 -> base.transpose(0, 1);
            case 2 -> r > 0 ? base.select(0, r / 2) : base;
            case 3 -> base.slice(1, 0, c, 2);
            case 4 -> base.narrow(0, r / 3, r - r / 3);
            case 5 -> r > 1 ? base.narrow(0, 1, 1).select(0, 0).narrow(0, c / 2, c - c / 2) : base.transpose(0, 1);
            default -> r * c > 0 ? base.view(new long[] {}, new long[] {}, (r * c) / 2) : base; // 0-dim
        };
    }

    static byte[] logical(Tensor t) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        t.writeTo(Channels.newChannel(out));
        return out.toByteArray();
    }

    @Test
    void writeThenReadGivesTheSameTensors(Seeded seeded) {
        seeded.tries(60, g -> writeThenReadGivesTheSameTensors(stateDict(g)));
    }

    @Test
    void writeThenReadGivesTheSameTensorsEdgeCases() {
        Gen g = new Gen(0);
        List<Integer> everyView = List.of(0, 1, 2, 3, 4, 5, 6);
        Seeded.example("empty state dict", () -> writeThenReadGivesTheSameTensors(List.of()));
        List<Spec> everyDtype = new ArrayList<>();
        for (DType d : DTYPES) {
            everyDtype.add(spec(d, 3, 4, everyView, g));
        }
        Seeded.example("every dtype, every view", () -> writeThenReadGivesTheSameTensors(everyDtype));
        List<Spec> everyBorder = new ArrayList<>();
        for (int rows : new int[] {0, 1, 2, 6}) {
            for (int cols : new int[] {1, 2, 7}) {
                everyBorder.add(spec(DType.F32, rows, cols, everyView, g));
            }
        }
        Seeded.example("rows 0, 1, 2, 6 by cols 1, 2, 7, every view",
                () -> writeThenReadGivesTheSameTensors(everyBorder));
        for (int v : everyView) {
            List<Spec> one = List.of(spec(DType.BF16, 6, 7, List.of(v, v), g));
            Seeded.example("view " + v + " twice", () -> writeThenReadGivesTheSameTensors(one));
        }
    }

    private static void writeThenReadGivesTheSameTensors(List<Spec> specs) throws IOException {
        Map<String, Tensor> in = new LinkedHashMap<>();
        for (int s = 0; s < specs.size(); s++) {
            Spec sp = specs.get(s);
            Tensor base = Tensor.of(MemorySegment.ofArray(sp.bytes()), sp.dtype(), sp.rows(), sp.cols());
            for (int v = 0; v < sp.views().size(); v++) {
                in.put("s" + s + ".v" + v, view(base, sp.views().get(v)));
            }
        }
        Path dir = Files.createTempDirectory("wm-torch-prop");
        Path p = dir.resolve("sd.bin");
        try {
            TorchCheckpoints.save(in, p);
            try (TorchCheckpoint c = TorchCheckpoint.open(p)) {
                Map<String, Tensor> out = c.stateDict();
                if (in.isEmpty()) {
                    org.assertj.core.api.Assertions.assertThat(out).isEmpty();
                }
                org.assertj.core.api.Assertions.assertThat(out.keySet()).containsExactlyElementsOf(in.keySet());
                for (String n : in.keySet()) {
                    Tensor a = in.get(n);
                    Tensor b = out.get(n);
                    org.assertj.core.api.Assertions.assertThat(b.dtype()).isEqualTo(a.dtype());
                    org.assertj.core.api.Assertions.assertThat(b.shape()).isEqualTo(a.shape());
                    org.assertj.core.api.Assertions.assertThat(b.strides()).as(n).isEqualTo(a.strides());
                    org.assertj.core.api.Assertions.assertThat(logical(b)).as(n).isEqualTo(logical(a));
                }
                // the storage partition of non-empty tensors is preserved
                org.assertj.core.api.Assertions.assertThat(partition(out)).isEqualTo(partition(in));
            }
        } finally {
            Files.deleteIfExists(p);
            Files.deleteIfExists(dir);
        }
    }

    private static Set<Set<String>> partition(Map<String, Tensor> m) {
        Map<String, Tensor> nonEmpty = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (v.numel() > 0) {
                nonEmpty.put(k, v);
            }
        });
        Set<Set<String>> out = new HashSet<>();
        for (Map.Entry<StorageId, List<String>> e : StorageAliasing.byStorage(nonEmpty).entrySet()) {
            out.add(Set.copyOf(new ArrayList<>(e.getValue())));
        }
        return out;
    }
}
