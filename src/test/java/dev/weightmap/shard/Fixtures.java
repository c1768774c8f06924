// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.json.JsonReader;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;

/** Test fixture access (classpath resources under fixtures/). */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] bytes(String resource) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource fixtures/" + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> json(String resource) {
        return (Map<String, Object>) JsonReader.parse(bytes(resource));
    }

    /** Copies a fixture file into {@code dir} under its own name. */
    static Path copy(String resource, Path dir) throws IOException {
        String name = resource.substring(resource.lastIndexOf('/') + 1);
        Path p = dir.resolve(name);
        try (InputStream in = Fixtures.class.getResourceAsStream("/fixtures/" + resource)) {
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
        }
        return p;
    }
}
