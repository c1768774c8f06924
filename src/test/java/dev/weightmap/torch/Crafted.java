// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.internal.zip.ZipWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;

/** Builders for hand-crafted (often hostile) pickles and torch zip archives. */
final class Crafted {
    private Crafted() {
    }

    /** A pickle byte builder. */
    static final class P {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        static P proto2() {
            return new P().op(0x80).op(2);
        }

        P op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        P raw(String s) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        P global(String module, String name) {
            return op('c').raw(module + "\n" + name + "\n");
        }

        P str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op('X').le32(b.length);
            out.writeBytes(b);
            return this;
        }

        P shortStr(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            op(0x8c, b.length);
            out.writeBytes(b);
            return this;
        }

        P le32(long v) {
            return op((int) (v & 0xFF), (int) (v >>> 8 & 0xFF), (int) (v >>> 16 & 0xFF), (int) (v >>> 24 & 0xFF));
        }

        P integer(long v) {
            if (v >= 0 && v < 256) {
                return op('K', (int) v);
            }
            if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                return op('J').le32(v);
            }
            op(0x8a, 8);
            for (int i = 0; i < 8; i++) {
                op((int) (v >>> (8 * i) & 0xFF));
            }
            return this;
        }

        P tuple(long... v) {
            op('(');
            for (long x : v) {
                integer(x);
            }
            return op('t');
        }

        /** Pushes a persistent-id storage. */
        P storage(String storageClass, String key, long numel) {
            int dot = storageClass.lastIndexOf('.');
            op('(').str("storage").global(storageClass.substring(0, dot), storageClass.substring(dot + 1)).str(key)
                    .str("cpu").integer(numel).op('t').op('Q');
            return this;
        }

        /** Pushes a {@code _rebuild_tensor_v2} tensor. */
        P tensorV2(String storageClass, String key, long numel, long offset, long[] size, long[] stride) {
            global("torch._utils", "_rebuild_tensor_v2").op('(');
            storage(storageClass, key, numel);
            integer(offset).tuple(size).tuple(stride).op(0x89);
            global("collections", "OrderedDict").op(')', 'R');
            return op('t', 'R');
        }

        byte[] bytes() {
            return out.toByteArray();
        }

        byte[] stop() {
            return op('.').bytes();
        }
    }

    /** A pickle of {@code {name: FloatStorage tensor}}. */
    static byte[] oneTensor(String key, long numel, long offset, long[] size, long[] stride) {
        return P.proto2().op('}').op('(').str("w").tensorV2("torch.FloatStorage", key, numel, offset, size, stride)
                .op('u').stop();
    }

    /** Writes a torch-like zip: {@code archive/data.pkl}, the given records and {@code archive/version}. */
    static Path zip(Path file, byte[] pickle, Map<String, byte[]> data) throws IOException {
        Map<String, byte[]> recs = new LinkedHashMap<>();
        recs.put("archive/data.pkl", pickle);
        for (Map.Entry<String, byte[]> e : data.entrySet()) {
            recs.put(e.getKey().contains("/") ? e.getKey() : "archive/data/" + e.getKey(), e.getValue());
        }
        recs.putIfAbsent("archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ZipWriter z = new ZipWriter(ch, TorchZip.layout(TorchCheckpoints.ALIGNMENT, false));
            for (Map.Entry<String, byte[]> e : recs.entrySet()) {
                z.add(e.getKey(), MemorySegment.ofArray(e.getValue()));
            }
            z.finish();
        }
        return file;
    }

    static Path zip(Path file, byte[] pickle) throws IOException {
        return zip(file, pickle, Map.of());
    }

    static byte[] floats(int n) {
        return new byte[n * 4];
    }
}
