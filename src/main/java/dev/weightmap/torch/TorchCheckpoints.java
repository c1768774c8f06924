// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.io.MappedRegion;
import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.internal.zip.ZipWriter;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.StorageAliasing;
import dev.weightmap.tensor.StorageId;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import dev.weightmap.torch.TorchTypes.TorchDtype;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes PyTorch zip checkpoints that {@code torch.load(path, weights_only=True)} reads (torch 1.13 and 2.x).
 *
 * <p>Layout as {@code torch.save} makes it: records {@code <stem>/data.pkl}, {@code .format_version},
 * {@code .storage_alignment}, {@code byteorder} ({@code little}), {@code data/0..N} in numeric order and
 * {@code version} ({@code 3}), all STORED and 64-byte aligned. The pickle (protocol 2) is an {@code OrderedDict}
 * of {@code torch._utils._rebuild_tensor_v2} calls over legacy storage classes, or {@code _rebuild_tensor_v3}
 * over an {@code UntypedStorage} for dtypes that have no storage class (float8, uint16/32/64, F4 as
 * {@code float4_e2m1fn_x2}: those need torch ≥ 2.1 to load).
 *
 * <p>Tensors whose storage segments are identical (same {@link StorageId}) are written as one storage with
 * their own offsets and strides, as torch does for views and tied weights; only the byte range the tensors
 * touch is written. The file is written atomically.
 */
public final class TorchCheckpoints {
    /** Every record's data starts on a multiple of this (torch's {@code kFieldAlignment}). */
    static final int ALIGNMENT = 64;

    private TorchCheckpoints() {
    }

    private static final class StoragePlan {
        final String key;
        final MemorySegment storage;
        final DType dtype;
        final TorchDtype torch;
        final MappedRegion region; // the mapped file the storage is a slice of, or null
        long start = Long.MAX_VALUE;
        long end = Long.MIN_VALUE;

        StoragePlan(String key, MemorySegment storage, MappedRegion region, DType dtype, TorchDtype torch) {
            this.key = key;
            this.storage = storage;
            this.region = region;
            this.dtype = dtype;
            this.torch = torch;
        }

        boolean v3() {
            return !TorchTypes.STORAGE_NAMES.containsKey(dtype);
        }

        MemorySegment record() {
            return start >= end ? storage.asSlice(0, 0) : storage.asSlice(start, end - start);
        }
    }

    private record Entry(String name, Tensor tensor, StoragePlan storage, long[] size, long[] stride, long offset) {
    }

    /**
     * Saves {@code tensors} (name → tensor, in map order) as a zip checkpoint at {@code file}.
     *
     * @param tensors the tensors by name
     * @param file the checkpoint file to write
     * @throws TorchCheckpointException (INVALID_TENSOR) for F6 dtypes, non-contiguous or odd-width F4 tensors, and
     *                                  tensors of different dtypes over one storage
     * @throws IOException              when writing fails (nothing is left under {@code file})
     */
    public static void save(Map<String, Tensor> tensors, Path file) throws IOException {
        save(tensors, file, true);
    }

    /**
     * As {@link #save(Map, Path)}; with {@code durable} false neither the file nor its folder is forced to disk
     * (the file still appears under its name by an atomic rename), for scratch output that need not survive a power
     * loss.
     *
     * @param tensors the tensors by name
     * @param file    the checkpoint file to write
     * @param durable whether to force the file and its folder to disk
     * @throws TorchCheckpointException (INVALID_TENSOR) as for {@link #save(Map, Path)}
     * @throws IOException              when writing fails (nothing is left under {@code file})
     */
    public static void save(Map<String, Tensor> tensors, Path file, boolean durable) throws IOException {
        save(tensors, file, false, durable);
    }

    /** {@code forceZip64}: ZIP64 extra fields on every record, as for files beyond 4 GiB (tests). */
    static void save(Map<String, Tensor> tensors, Path file, boolean forceZip64, boolean durable) throws IOException {
        List<Entry> entries = plan(tensors);
        String prefix = archiveName(file);
        byte[] pickle = pickle(entries);
        List<StoragePlan> storages = new ArrayList<>();
        for (Entry e : entries) {
            if (!storages.contains(e.storage)) {
                storages.add(e.storage);
            }
        }
        AtomicFile.write(file, durable, ch -> {
            ZipWriter z = new ZipWriter(ch, TorchZip.layout(ALIGNMENT, forceZip64));
            z.add(prefix + "/data.pkl", MemorySegment.ofArray(pickle));
            z.add(prefix + "/.format_version", ascii("1"));
            z.add(prefix + "/.storage_alignment", ascii(Integer.toString(ALIGNMENT)));
            z.add(prefix + "/byteorder", ascii("little"));
            for (StoragePlan s : storages) {
                z.add(prefix + "/data/" + s.key, s.record(), s.region);
            }
            z.add(prefix + "/version", ascii("3\n"));
            z.finish();
        });
    }

    private static MemorySegment ascii(String s) {
        return MemorySegment.ofArray(s.getBytes(StandardCharsets.US_ASCII));
    }

    /** torch uses the file name without its extension as the archive folder; odd names fall back to {@code archive}. */
    static String archiveName(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        String stem = dot > 0 ? n.substring(0, dot) : n;
        return stem.matches("[A-Za-z0-9_.\\-]{1,200}") ? stem : "archive";
    }

    private static List<Entry> plan(Map<String, Tensor> tensors) {
        Map<StorageId, StoragePlan> byStorage = new LinkedHashMap<>();
        List<Object[]> pending = new ArrayList<>();
        int keys = 0;
        for (Map.Entry<String, Tensor> me : tensors.entrySet()) {
            String name = me.getKey();
            Tensor t = me.getValue();
            if (name == null || t == null) {
                throw new TorchCheckpointException(Reason.INVALID_TENSOR, "null tensor name or tensor");
            }
            DType d = t.dtype();
            TorchDtype td = TorchTypes.forDType(d);
            if (td == null) {
                throw new TorchCheckpointException(Reason.INVALID_TENSOR, "tensor '" + name + "': dtype " + d
                        + " has no torch equivalent");
            }
            StoragePlan sp = t.numel() == 0 ? null : byStorage.get(t.storageId());
            if (sp == null) {
                // an empty tensor touches no byte, so it never aliases: it gets an empty storage of its own
                sp = new StoragePlan(Integer.toString(keys++), t.storage(), MappedTensors.regionOf(t), d, td);
                if (t.numel() > 0) {
                    byStorage.put(t.storageId(), sp);
                }
            } else if (sp.dtype != d) {
                throw new TorchCheckpointException(Reason.INVALID_TENSOR, "tensor '" + name + "': cannot save tensors"
                        + " that view the same storage as different dtypes (" + sp.dtype + " and " + d + ")");
            }
            if (t.numel() > 0) {
                long[] ext = t.byteExtent();
                sp.start = Math.min(sp.start, ext[0]);
                sp.end = Math.max(sp.end, ext[1]);
            }
            pending.add(new Object[] {name, t, sp});
        }
        List<Entry> out = new ArrayList<>();
        for (Object[] p : pending) {
            String name = (String) p[0];
            Tensor t = (Tensor) p[1];
            StoragePlan sp = (StoragePlan) p[2];
            long base = sp.start >= sp.end ? 0 : sp.start;
            long[] size = t.shape();
            long[] stride = t.strides();
            long offset;
            if (sp.torch.fp4x2()) {
                if (!t.isContiguous() || size.length == 0 || size[size.length - 1] % 2 != 0) {
                    throw new TorchCheckpointException(Reason.INVALID_TENSOR, "tensor '" + name
                            + "': F4 tensors are written as torch.float4_e2m1fn_x2 and must be contiguous with an even"
                            + " last dimension");
                }
                size[size.length - 1] /= 2;
                stride = Tensor.contiguousStrides(size);
            }
            if (t.numel() == 0) {
                offset = 0;
            } else {
                offset = (t.dataStartByte() - base) / sp.torch.elementSize();
            }
            out.add(new Entry(name, t, sp, size, stride, offset));
        }
        return out;
    }

    // ---------------------------------------------------------------- pickle (protocol 2)

    private static final class Pickler {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void op(int b) {
            out.write(b);
        }

        void global(String module, String name) {
            op('c');
            out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X');
            le32(b.length);
            out.writeBytes(b);
        }

        void le32(int v) {
            op(v & 0xFF);
            op(v >>> 8 & 0xFF);
            op(v >>> 16 & 0xFF);
            op(v >>> 24 & 0xFF);
        }

        void integer(long v) {
            if (v >= 0 && v < 256) {
                op('K');
                op((int) v);
            } else if (v >= 0 && v < 65536) {
                op('M');
                op((int) (v & 0xFF));
                op((int) (v >>> 8));
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                op('J');
                le32((int) v);
            } else {
                byte[] be = java.math.BigInteger.valueOf(v).toByteArray();
                op(0x8a);
                op(be.length);
                for (int i = be.length - 1; i >= 0; i--) {
                    op(be[i] & 0xFF);
                }
            }
        }

        void tuple(long[] v) {
            switch (v.length) {
                case 0 -> op(')');
                case 1 -> {
                    integer(v[0]);
                    op(0x85);
                }
                case 2 -> {
                    integer(v[0]);
                    integer(v[1]);
                    op(0x86);
                }
                case 3 -> {
                    integer(v[0]);
                    integer(v[1]);
                    integer(v[2]);
                    op(0x87);
                }
                default -> {
                    op('(');
                    for (long x : v) {
                        integer(x);
                    }
                    op('t');
                }
            }
        }

        void emptyOrderedDict() {
            global("collections", "OrderedDict");
            op(')');
            op('R');
        }
    }

    static byte[] pickle(List<Entry> entries) {
        Pickler p = new Pickler();
        p.op(0x80);
        p.op(2);
        p.emptyOrderedDict();
        Map<StoragePlan, List<Map.Entry<Entry, Integer>>> written = new java.util.IdentityHashMap<>();
        int memo = 0;
        for (int i = 0; i < entries.size(); i += 1000) {
            p.op('(');
            for (Entry e : entries.subList(i, Math.min(entries.size(), i + 1000))) {
                StoragePlan s = e.storage;
                boolean v3 = s.v3();
                p.str(e.name);
                List<Map.Entry<Entry, Integer>> onStorage = written.computeIfAbsent(s, k -> new ArrayList<>());
                int same = -1;
                for (Map.Entry<Entry, Integer> w : onStorage) {
                    if (w.getKey().tensor == e.tensor || StorageAliasing.sameView(w.getKey().tensor, e.tensor)) {
                        same = w.getValue();
                        break;
                    }
                }
                if (same >= 0) { // tied weights: the same tensor object, as torch.save writes it
                    p.op('j');
                    p.le32(same);
                    continue;
                }
                p.global("torch._utils", v3 ? "_rebuild_tensor_v3" : "_rebuild_tensor_v2");
                p.op('(');
                p.op('(');
                p.str("storage");
                if (v3) {
                    p.global("torch.storage", "UntypedStorage");
                } else {
                    p.global("torch", TorchTypes.STORAGE_NAMES.get(s.dtype));
                }
                p.str(s.key);
                p.str("cpu");
                p.integer(v3 ? s.record().byteSize() : s.record().byteSize() / s.torch.elementSize()); // untyped: bytes
                p.op('t');
                p.op('Q');
                p.integer(e.offset);
                p.tuple(e.size);
                p.tuple(e.stride);
                p.op(0x89);
                p.emptyOrderedDict();
                if (v3) {
                    p.global("torch", s.torch.name());
                }
                p.op('t');
                p.op('R');
                p.op('r');
                p.le32(memo);
                onStorage.add(Map.entry(e, memo++));
            }
            p.op('u');
        }
        p.op('.');
        return p.out.toByteArray();
    }
}
