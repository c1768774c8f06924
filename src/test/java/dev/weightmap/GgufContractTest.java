// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.tensor.DType;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link Weights} contract for GGUF files written by gguf-py's {@code GGUFWriter}: plain types open as their
 * dtype, block types as a U8 view of the stored bytes of shape {@code [..., rowBytes]}.
 */
class GgufContractTest extends WeightsContractTest {
    /** The fixtures whose metadata is scalar only (arrays are recorded only by their first items). */
    private static final List<String> FILES = List.of("all_types.gguf", "kquants.gguf", "alignment_64.gguf",
            "odd_shapes.gguf");

    /** Per fixture and tensor: the GGML type and logical shape that {@code inspect --json} prints. */
    private static final Map<String, ExpectedTensor> PRINTED = new ConcurrentHashMap<>();

    @Override
    String format() {
        return Weights.GGUF;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        Map<String, Object> expected = map(json(gguf("expected.json")));
        List<Fixture> out = new ArrayList<>();
        for (Map<String, Object> f : maps(expected.get("files"))) {
            String file = (String) f.get("file");
            if (FILES.contains(file)) {
                Map<String, Object> meta = new LinkedHashMap<>();
                map(f.get("metadata")).forEach((k, v) -> meta.put(k, map(v).get("value")));
                for (Map<String, Object> t : maps(f.get("tensors"))) {
                    PRINTED.put(file + "\0" + t.get("name"), new ExpectedTensor((String) t.get("name"),
                            (String) t.get("dtype"), longs(t.get("shape")), (String) t.get("sha256"), null,
                            number(t.get("offset"))));
                }
                out.add(new Fixture(file, gguf(file), OpenOptions.defaults(), tensors(f), meta, 0));
            }
        }
        return out;
    }

    /** gguf-py's tensors in tensor-info order; block types as the U8 view of their stored rows. */
    static List<ExpectedTensor> tensors(Map<String, Object> file) {
        List<ExpectedTensor> out = new ArrayList<>();
        for (Map<String, Object> t : maps(file.get("tensors"))) {
            String dtype = (String) t.get("dtype");
            long[] shape = longs(t.get("shape"));
            if (!List.of("F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64").contains(dtype)) {
                long rows = 1;
                for (int i = 0; i < shape.length - 1; i++) {
                    rows *= shape[i];
                }
                shape[shape.length - 1] = number(t.get("length")) / rows;
                dtype = "U8";
            }
            out.add(new ExpectedTensor((String) t.get("name"), dtype, shape, (String) t.get("sha256"), null,
                    number(t.get("offset"))));
        }
        return out;
    }

    private static Path gguf(String name) {
        try {
            var url = GgufContractTest.class.getResource("/fixtures/gguf/" + name);
            if (url == null) {
                throw new IllegalStateException("missing test resource fixtures/gguf/" + name);
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The command prints the GGML type and the logical shape where the library shows the stored bytes. */
    @Override
    ExpectedTensor printed(Fixture f, ExpectedTensor e) {
        return PRINTED.get(f.id() + "\0" + e.name());
    }

    /** gguf-py pads the file after the last tensor to the alignment: cutting only that padding loses nothing. */
    @Override
    boolean cutKeepsEverything(Fixture f, long keep) {
        return keep >= dataEnd(f);
    }

    private static long dataEnd(Fixture f) {
        long end = 0;
        for (ExpectedTensor e : f.tensors()) {
            long rows = 1;
            for (long d : e.shape()) {
                rows *= d;
            }
            end = Math.max(end, e.offset() + rows * DType.fromHeaderName(e.dtype()).byteSize());
        }
        return end;
    }

    /** GGUF records no checksums: the file cut one byte into the last tensor's bytes. */
    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return truncated(f.path(), dir.resolve(f.path().getFileName()), Files.size(f.path()) - dataEnd(f) + 1);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return Set.of("OUT_OF_BOUNDS", "TRUNCATED");
    }

    @Override
    List<String> wrongExtensions() {
        return List.of("", ".safetensors", ".bin", ".pt", ".zip", ".dduf", ".index.json");
    }

    @Override
    List<String> ownExtensions() {
        return List.of(".gguf");
    }
}
