// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.safetensors.TensorInfo;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** safetensors files (the fallback for any regular file no other format claims). */
final class SafetensorsFormat implements CliFormat {
    @Override
    public String name() {
        return "safetensors";
    }

    @Override
    public boolean accepts(Path path) {
        return Files.isRegularFile(path) || !Files.exists(path);
    }

    @Override
    public Opened open(Path path) throws IOException {
        SafetensorsFile f = SafetensorsFile.open(path);
        return new Opened() {
            @Override
            public Map<String, Object> inspectJson() {
                return describe(f, 0);
            }

            @Override
            public void printTable(PrintStream out) {
                out.printf("%s: safetensors, %d tensors, header %d bytes, data at %d, %d bytes%n", path, f.size(),
                        f.headerLength(), f.dataStart(), f.segment().byteSize());
                if (!f.metadata().isEmpty()) {
                    out.println("metadata:");
                    f.metadata().forEach((k, v) -> out.printf("  %s = %s%n", printable(k), printable(v)));
                }
                table(out, f, 0);
            }

            @Override
            public String verify() {
                return path + ": safetensors, " + f.size() + " tensors, " + f.segment().byteSize() + " bytes";
            }

            @Override
            public Map<String, Tensor> tensors() {
                return f.tensors();
            }

            @Override
            public List<Path> files() {
                return List.of(path);
            }

            @Override
            public void close() {
                f.close();
            }
        };
    }

    /** The inspect --json object of a safetensors image that starts at {@code base} in its container. */
    static Map<String, Object> describe(SafetensorsFile f, long base) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "safetensors");
        m.put("header_length", f.headerLength());
        m.put("data_start", f.dataStart());
        m.put("metadata", new LinkedHashMap<>(f.metadata()));
        m.put("tensors", tensorList(f, base));
        return m;
    }

    /** The tensors of {@code f} as inspect --json entries with offsets absolute in the container. */
    static List<Object> tensorList(SafetensorsFile f, long base) {
        List<Object> tensors = new ArrayList<>(f.size());
        for (TensorInfo t : f.infos()) {
            Map<String, Object> e = new LinkedHashMap<>();
            long off = base + t.absoluteOffset(f.dataStart());
            e.put("name", t.name());
            e.put("dtype", t.dtype().headerName());
            e.put("shape", t.shape());
            e.put("offset", off);
            e.put("length", t.length());
            e.put("alignment", (long) alignmentOf(off));
            tensors.add(e);
        }
        return tensors;
    }

    /** A metadata string for one table line: control characters shown as JSON escapes. */
    static String printable(String s) {
        boolean plain = s.chars().noneMatch(c -> c < 0x20 || c == 0x7F);
        if (plain) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        dev.weightmap.internal.json.JsonWriter.compact().string(sb, s);
        return sb.toString();
    }

    /** Largest power of two, at most 4096, dividing a file offset. */
    static int alignmentOf(long offset) {
        return offset == 0 ? 4096 : (int) Math.min(4096, Long.lowestOneBit(offset));
    }

    static void table(PrintStream out, SafetensorsFile f, long base) {
        int w = 4;
        for (String n : f.names()) {
            w = Math.max(w, n.length());
        }
        w = Math.min(w, 80);
        out.printf("%-" + w + "s  %-11s  %-20s  %12s  %12s  %5s%n", "NAME", "DTYPE", "SHAPE", "OFFSET", "BYTES", "ALIGN");
        for (TensorInfo t : f.infos()) {
            long off = base + t.absoluteOffset(f.dataStart());
            out.printf("%-" + w + "s  %-11s  %-20s  %12d  %12d  %5d%n", t.name(), t.dtype().headerName(),
                    java.util.Arrays.toString(t.shape()), off, t.length(), alignmentOf(off));
        }
    }
}
