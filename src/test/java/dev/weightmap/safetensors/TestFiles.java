// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.safetensors;

import dev.weightmap.internal.json.JsonReader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Test helpers: fixture location, expected.json, and hand-built safetensors images. */
public final class TestFiles {
    private TestFiles() {
    }

    /** The copied fixture folder {@code src/test/resources/fixtures/safetensors}. */
    public static Path fixtures() {
        try {
            return Path.of(TestFiles.class.getResource("/fixtures/safetensors/expected.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path fixture(String relative) {
        return fixtures().resolve(relative);
    }

    /** The "files" list of expected.json. */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> expectedFiles() {
        try {
            Map<String, Object> root = (Map<String, Object>) JsonReader.parse(Files.readAllBytes(fixture("expected.json")));
            return (List<Map<String, Object>>) root.get("files");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An image with header length N = the header's UTF-8 length (no padding) followed by {@code data}. */
    public static byte[] image(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        return image(h.length, h, data);
    }

    /** An image with header length {@code n}, then {@code header} bytes, then {@code data}. */
    public static byte[] image(long n, byte[] header, byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(n).array());
        out.writeBytes(header);
        out.writeBytes(data);
        return out.toByteArray();
    }

    public static byte[] zeros(int n) {
        return new byte[n];
    }

    public static SafetensorsFile parse(byte[] image) {
        return SafetensorsFile.parse(MemorySegment.ofArray(image), "mem.safetensors");
    }

    public static SafetensorsFile parse(String header, int dataBytes) {
        return parse(image(header, new byte[dataBytes]));
    }

    /** The bytes {@link Safetensors#write} produces. */
    public static byte[] serialize(Map<String, dev.weightmap.tensor.Tensor> tensors, Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            long n = Safetensors.write(tensors, metadata, Channels.newChannel(out));
            if (n != out.size()) {
                throw new AssertionError("write returned " + n + " but wrote " + out.size());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * All 2^pairs strings made of "Aa" and "BB": one {@link String#hashCode} for all of them.
     *
     * @param pairs how many pairs each name has
     * @return the names, in binary order
     */
    public static List<String> collidingNames(int pairs) {
        List<String> out = new ArrayList<>(1 << pairs);
        for (int i = 0; i < 1 << pairs; i++) {
            StringBuilder sb = new StringBuilder(pairs * 2);
            for (int k = pairs - 1; k >= 0; k--) {
                sb.append((i >>> k & 1) == 0 ? "Aa" : "BB");
            }
            out.add(sb.toString());
        }
        return out;
    }
}
