// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.StorageId;
import dev.weightmap.tensor.Tensor;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

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
class TorchRoundTripProperties {

    /** One storage and the views taken of it. */
    record Spec(DType dtype, int rows, int cols, byte[] bytes, List<Integer> views) {
    }

    static final List<DType> DTYPES = List.of(DType.values()).stream().filter(d -> !d.isSubByte()).toList();

    @Provide
    Arbitrary<List<Spec>> stateDicts() {
        Arbitrary<Spec> spec = Combinators.combine(Arbitraries.of(DTYPES), Arbitraries.integers().between(0, 6),
                Arbitraries.integers().between(1, 7), Arbitraries.integers().between(0, 6).list().ofMinSize(1).ofMaxSize(4),
                Arbitraries.randoms()).as((d, r, c, views, rnd) -> {
                    byte[] b = new byte[r * c * d.byteSize()];
                    rnd.nextBytes(b);
                    return new Spec(d, r, c, b, views);
                });
        return spec.list().ofMinSize(0).ofMaxSize(5);
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

    @Property(tries = 60)
    void writeThenReadGivesTheSameTensors(@ForAll("stateDicts") List<Spec> specs) throws IOException {
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
                    assert out.isEmpty();
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
