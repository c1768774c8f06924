// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.internal.json.JsonReader;

import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Fixture access and value comparison for the GGUF tests. */
final class GgufTestSupport {
    private GgufTestSupport() {
    }

    static Path fixtures() {
        try {
            return Path.of(GgufTestSupport.class.getResource("/fixtures/gguf/expected.json").toURI()).getParent();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> expected() throws Exception {
        return (Map<String, Object>) JsonReader.parse(Files.readAllBytes(fixtures().resolve("expected.json")));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> expectedFile(String name) throws Exception {
        for (Object o : (List<Object>) expected().get("files")) {
            Map<String, Object> m = (Map<String, Object>) o;
            if (m.get("file").equals(name)) {
                return m;
            }
        }
        throw new IllegalArgumentException(name);
    }

    static String sha256(MemorySegment seg) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        md.update(seg.asByteBuffer());
        return HexFormat.of().formatHex(md.digest());
    }

    /** Whether an actual metadata value equals a value of expected.json (numbers exact, -0.0, NaN as strings). */
    static boolean same(Object actual, Object expected) {
        if (actual instanceof Float || actual instanceof Double) {
            double a = ((Number) actual).doubleValue();
            if (expected instanceof String s) {
                return switch (s) {
                    case "NaN" -> Double.isNaN(a);
                    case "Infinity" -> a == Double.POSITIVE_INFINITY;
                    case "-Infinity" -> a == Double.NEGATIVE_INFINITY;
                    default -> false;
                };
            }
            return expected instanceof Number n && Double.compare(a, n.doubleValue()) == 0;
        }
        if (actual instanceof Number a) {
            return expected instanceof Number e && new BigInteger(a.toString()).equals(new BigInteger(e.toString()));
        }
        if (actual instanceof GgufArray arr && expected instanceof List<?> l) {
            if (arr.size() != l.size()) {
                return false;
            }
            for (int i = 0; i < l.size(); i++) {
                if (!same(arr.get(i), l.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return actual.equals(expected);
    }

    /** A tiny GGUF v3 image builder for hostile-input tests. */
    static final class Builder {
        private final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();

        Builder raw(byte... b) {
            out.writeBytes(b);
            return this;
        }

        Builder u32(long v) {
            for (int i = 0; i < 4; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Builder u64(long v) {
            for (int i = 0; i < 8; i++) {
                out.write((int) (v >>> (8 * i)));
            }
            return this;
        }

        Builder str(String s) {
            byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            u64(b.length);
            return raw(b);
        }

        Builder header(int version, long tensors, long kvs) {
            return raw((byte) 'G', (byte) 'G', (byte) 'U', (byte) 'F').u32(version).u64(tensors).u64(kvs);
        }

        /** A metadata pair with a u32 value. */
        Builder kvU32(String key, long v) {
            return str(key).u32(GgufValueType.UINT32.id()).u32(v);
        }

        Builder kvString(String key, String v) {
            return str(key).u32(GgufValueType.STRING.id()).str(v);
        }

        /** A tensor info. */
        Builder tensor(String name, GgmlType type, long offset, long... ne) {
            str(name).u32(ne.length);
            for (long d : ne) {
                u64(d);
            }
            return u32(type.id()).u64(offset);
        }

        int size() {
            return out.size();
        }

        /** Pads with zeros to a multiple of {@code alignment}. */
        Builder pad(int alignment) {
            while (out.size() % alignment != 0) {
                out.write(0);
            }
            return this;
        }

        Builder zeros(int n) {
            return raw(new byte[n]);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }
}
