// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.tensor;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Groups named tensors by the storage they view and splits each group into clusters whose byte extents
 * (strides included) overlap: the analysis huggingface_hub runs before saving shared tensors.
 *
 * <p>Empty tensors never alias anything.
 */
public final class StorageAliasing {
    private StorageAliasing() {
    }

    /**
     * Tensors that overlap in one storage.
     *
     * @param storage  the storage they share
     * @param names    member names, in the input map's order
     * @param complete the members that cover the whole storage (in the input map's order)
     * @param start    first byte of the cluster's union extent within the storage
     * @param end      one past the last byte of that extent
     */
    public record Cluster(StorageId storage, List<String> names, List<String> complete, long start, long end) {
        /**
         * Whether the cluster has more than one member.
         *
         * @return true for two or more members
         */
        public boolean isShared() {
            return names.size() > 1;
        }
    }

    /**
     * Every storage of the map with more than one non-empty tensor, as name lists in input order.
     *
     * @param tensors the tensors by name
     * @return the names of each shared storage, by storage
     */
    public static Map<StorageId, List<String>> sharedStorages(Map<String, Tensor> tensors) {
        Map<StorageId, List<String>> groups = byStorage(tensors);
        groups.values().removeIf(l -> l.size() < 2);
        return groups;
    }

    /**
     * Every non-empty tensor grouped by storage identity, groups and members in input order.
     *
     * @param tensors the tensors by name
     * @return the names of each storage, by storage
     */
    public static Map<StorageId, List<String>> byStorage(Map<String, Tensor> tensors) {
        Map<StorageId, List<String>> groups = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getValue().numel() == 0) {
                continue;
            }
            groups.computeIfAbsent(e.getValue().storageId(), k -> new ArrayList<>()).add(e.getKey());
        }
        return groups;
    }

    /**
     * All overlap clusters of the map, including single-member ones, in order of their first member.
     * Two tensors are in one cluster when their byte extents in one storage intersect (transitively).
     *
     * @param tensors the tensors by name
     * @return the clusters
     */
    public static List<Cluster> clusters(Map<String, Tensor> tensors) {
        List<Cluster> out = new ArrayList<>();
        Map<String, Integer> order = new LinkedHashMap<>();
        int i = 0;
        for (String n : tensors.keySet()) {
            order.put(n, i++);
        }
        for (Map.Entry<StorageId, List<String>> g : byStorage(tensors).entrySet()) {
            List<String> names = new ArrayList<>(g.getValue());
            names.sort(Comparator.comparingLong((String n) -> tensors.get(n).byteExtent()[0])
                    .thenComparingInt(order::get));
            List<String> cur = new ArrayList<>();
            long curStart = 0;
            long curEnd = -1;
            for (String n : names) {
                long[] ext = tensors.get(n).byteExtent();
                if (!cur.isEmpty() && ext[0] >= curEnd) {
                    out.add(cluster(g.getKey(), cur, curStart, curEnd, tensors, order));
                    cur = new ArrayList<>();
                }
                if (cur.isEmpty()) {
                    curStart = ext[0];
                    curEnd = ext[1];
                } else {
                    curEnd = Math.max(curEnd, ext[1]);
                }
                cur.add(n);
            }
            if (!cur.isEmpty()) {
                out.add(cluster(g.getKey(), cur, curStart, curEnd, tensors, order));
            }
        }
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getValue().numel() == 0) {
                long[] ext = e.getValue().byteExtent();
                boolean complete = e.getValue().storageSize() == 0;
                out.add(new Cluster(e.getValue().storageId(), List.of(e.getKey()),
                        complete ? List.of(e.getKey()) : List.of(), ext[0], ext[1]));
            }
        }
        out.sort(Comparator.comparingInt(c -> order.get(c.names().get(0))));
        return out;
    }

    private static Cluster cluster(StorageId id, List<String> members, long start, long end,
                                   Map<String, Tensor> tensors, Map<String, Integer> order) {
        List<String> names = new ArrayList<>(members);
        names.sort(Comparator.comparingInt(order::get));
        List<String> complete = new ArrayList<>();
        for (String n : names) {
            if (tensors.get(n).coversStorage()) {
                complete.add(n);
            }
        }
        return new Cluster(id, List.copyOf(names), List.copyOf(complete), start, end);
    }

    /**
     * Whether two tensors are the same view: same storage, dtype, shape, strides and offset (tied weights).
     *
     * @param a one tensor
     * @param b the other tensor
     * @return true when both tensors read the same elements of the same storage
     */
    public static boolean sameView(Tensor a, Tensor b) {
        return a.storageId().equals(b.storageId()) && a.dtype() == b.dtype()
                && java.util.Arrays.equals(a.shape(), b.shape())
                && java.util.Arrays.equals(a.strides(), b.strides())
                && a.storageOffset() == b.storageOffset();
    }
}
