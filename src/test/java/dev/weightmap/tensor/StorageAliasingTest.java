// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class StorageAliasingTest {

    static Map<String, Tensor> map(Object... kv) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Tensor) kv[i + 1]);
        }
        return m;
    }

    @Test
    void storageIdentity() {
        byte[] arr = new byte[64];
        MemorySegment s = MemorySegment.ofArray(arr);
        Tensor a = Tensor.of(s, DType.F32, 4, 4);
        Tensor b = Tensor.of(MemorySegment.ofArray(arr), DType.F32, 4, 4); // same array, new segment object
        Tensor c = Tensor.of(MemorySegment.ofArray(new byte[64]), DType.F32, 4, 4);
        Tensor d = Tensor.of(s.asSlice(0, 32), DType.F32, 2, 4); // a different (smaller) storage
        assertThat(a.storageId()).isEqualTo(b.storageId()).hasSameHashCodeAs(b.storageId());
        assertThat(a.storageId()).isNotEqualTo(c.storageId()).isNotEqualTo(d.storageId());
        assertThat(a.storageSize()).isEqualTo(64);
        assertThat(d.storageSize()).isEqualTo(32);
        assertThat(a.storageId().toString()).startsWith("heap@");
        Map<StorageId, List<String>> groups = StorageAliasing.byStorage(map("a", a, "b", b, "c", c, "d", d));
        assertThat(groups.values()).containsExactly(List.of("a", "b"), List.of("c"), List.of("d"));
        assertThat(StorageAliasing.sharedStorages(map("a", a, "b", b, "c", c)).values()).containsExactly(List.of("a", "b"));
    }

    @Test
    void clustersByRealByteExtents() {
        MemorySegment s = MemorySegment.ofArray(new byte[64]);
        Tensor full = Tensor.of(s, DType.F32, 4, 4);
        Tensor row0 = full.select(0, 0);
        Tensor row1 = full.select(0, 1);
        Tensor evenCols = full.slice(1, 0, 4, 2); // bytes [0, 60)
        Tensor oddCols = full.slice(1, 1, 4, 2);  // bytes [4, 64)
        assertThat(evenCols.byteExtent()).containsExactly(0, 60);
        assertThat(oddCols.byteExtent()).containsExactly(4, 64);

        // disjoint rows: two clusters, neither covers the storage
        List<StorageAliasing.Cluster> cs = StorageAliasing.clusters(map("row1", row1, "row0", row0));
        assertThat(cs).hasSize(2);
        assertThat(cs.get(0).names()).containsExactly("row1");
        assertThat(cs.get(0).start()).isEqualTo(16);
        assertThat(cs.get(0).end()).isEqualTo(32);
        assertThat(cs.get(0).complete()).isEmpty();
        assertThat(cs.get(0).isShared()).isFalse();

        // interleaved every-other-column views overlap by extent although they share no element
        cs = StorageAliasing.clusters(map("even", evenCols, "odd", oddCols));
        assertThat(cs).hasSize(1);
        assertThat(cs.get(0).names()).containsExactly("even", "odd");
        assertThat(cs.get(0).isShared()).isTrue();
        assertThat(cs.get(0).start()).isZero();
        assertThat(cs.get(0).end()).isEqualTo(64);
        assertThat(cs.get(0).complete()).isEmpty();

        // tied weights, a transpose and a row: one cluster; as hub's _is_complete, every view that starts at the
        // storage's first byte and holds all its bytes covers it, the full transpose included (the row does not)
        cs = StorageAliasing.clusters(map("lm_head", full, "row", row1, "embed", full, "t", full.transpose(0, 1)));
        assertThat(cs).hasSize(1);
        assertThat(cs.get(0).names()).containsExactly("lm_head", "row", "embed", "t");
        assertThat(cs.get(0).complete()).containsExactly("lm_head", "embed", "t");
        assertThat(cs.get(0).end()).isEqualTo(64);

        // a running maximum: a tensor overlapping an earlier long one after a short one is in the same cluster
        Tensor longFirst = full.narrow(0, 0, 3);      // [0, 48)
        Tensor shortOne = full.select(0, 0).narrow(0, 0, 1); // [0, 4)
        Tensor later = full.select(0, 2);           // [32, 48)
        cs = StorageAliasing.clusters(map("long", longFirst, "short", shortOne, "later", later, "tail", full.select(0, 3)));
        assertThat(cs).hasSize(2);
        assertThat(cs.get(0).names()).containsExactly("long", "short", "later");
        assertThat(cs.get(1).names()).containsExactly("tail");
    }

    @Test
    void emptyTensorsNeverAlias() {
        MemorySegment s = MemorySegment.ofArray(new byte[16]);
        Tensor full = Tensor.of(s, DType.F32, 4);
        Tensor empty = full.narrow(0, 1, 0);
        Tensor empty2 = Tensor.of(s, DType.F32, 0, 2);
        assertThat(StorageAliasing.byStorage(map("a", full, "e", empty, "e2", empty2)).values()).containsExactly(List.of("a"));
        assertThat(StorageAliasing.sharedStorages(map("e", empty, "e2", empty2))).isEmpty();
        List<StorageAliasing.Cluster> cs = StorageAliasing.clusters(map("e", empty, "a", full, "e2", empty2));
        assertThat(cs).extracting(StorageAliasing.Cluster::names).containsExactly(List.of("e"), List.of("a"), List.of("e2"));
        assertThat(cs.get(1).complete()).containsExactly("a");
        assertThat(cs.get(0).isShared()).isFalse();
        // an empty tensor over an empty storage covers it
        Tensor z = Tensor.of(MemorySegment.ofArray(new byte[0]), DType.F32, 0);
        assertThat(StorageAliasing.clusters(map("z", z)).get(0).complete()).containsExactly("z");
    }

    @Test
    void sameView() {
        MemorySegment s = MemorySegment.ofArray(new byte[64]);
        Tensor a = Tensor.of(s, DType.F32, 4, 4);
        assertThat(StorageAliasing.sameView(a, Tensor.of(s, DType.F32, 4, 4))).isTrue();
        assertThat(StorageAliasing.sameView(a, a.transpose(0, 1))).isFalse();
        assertThat(StorageAliasing.sameView(a, Tensor.of(s, DType.I32, 4, 4))).isFalse();
        assertThat(StorageAliasing.sameView(a, a.reshape(16))).isFalse();
        assertThat(StorageAliasing.sameView(a.select(0, 1), a.select(0, 1))).isTrue();
        assertThat(StorageAliasing.sameView(a.select(0, 1), a.select(0, 2))).isFalse();
        assertThat(StorageAliasing.sameView(a, Tensor.of(MemorySegment.ofArray(new byte[64]), DType.F32, 4, 4))).isFalse();
    }
}
