// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.VerifyReport;
import dev.weightmap.gguf.GgmlType;
import dev.weightmap.gguf.GgufArray;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.gguf.GgufTensorInfo;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code inspect} and {@code verify} print for a GGUF file: its version, alignment, metadata (long arrays
 * summarised, never read whole) and tensor infos with GGML type names and both shape orders.
 */
final class GgufDescribe {
    /** Arrays longer than this are printed as {@code {"type","length","first"}}. */
    static final int MAX_ARRAY = 16;
    /** How many leading items a summarised array shows. */
    static final int FIRST = 8;

    private GgufDescribe() {
    }

    /** The {@code inspect --json} object. */
    static Map<String, Object> inspectJson(GgufFile g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", g.format());
        m.put("version", (long) g.version());
        m.put("alignment", g.alignment());
        m.put("data_offset", g.dataOffset());
        Map<String, Object> md = new LinkedHashMap<>();
        g.metadata().forEach((k, v) -> md.put(k, json(v)));
        m.put("metadata", md);
        List<Object> tensors = new ArrayList<>();
        for (GgufTensorInfo t : g.infos()) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("name", t.name());
            o.put("dtype", t.type().name());
            o.put("shape", t.shape());
            o.put("ne", t.ne());
            o.put("offset", t.offset());
            o.put("length", t.length());
            o.put("alignment", (long) dev.weightmap.TensorLocation.alignmentOf(t.offset()));
            tensors.add(o);
        }
        m.put("tensors", tensors);
        return m;
    }

    /** A metadata value as JSON: exact integers, non-finite floats as strings, long arrays summarised. */
    static Object json(Object v) {
        if (v instanceof Float f) {
            return finite(f.doubleValue());
        }
        if (v instanceof Double d) {
            return finite(d);
        }
        if (v instanceof GgufArray a) {
            if (a.size() > MAX_ARRAY) {
                Map<String, Object> s = new LinkedHashMap<>();
                s.put("type", a.elementType().name());
                s.put("length", a.size());
                s.put("first", a.stream().limit(FIRST).map(GgufDescribe::json).toList());
                return s;
            }
            return a.stream().map(GgufDescribe::json).toList();
        }
        return v;
    }

    private static Object finite(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        return d;
    }

    /** The human-readable {@code inspect} output. */
    static void printTable(GgufFile g, Path given, PrintStream out) {
        out.printf("%s: gguf v%d, %d tensors, %d metadata keys, alignment %d, data at %d, %d bytes%n", given,
                g.version(), g.infos().size(), g.metadata().size(), g.alignment(), g.dataOffset(),
                g.segment().byteSize());
        if (!g.metadata().isEmpty()) {
            out.println("metadata:");
            g.metadata().forEach((k, v) -> out.printf("  %s = %s%n", Describe.printable(k), text(v)));
        }
        Map<GgmlType, Long> counts = g.parameterCounts();
        long total = 0;
        for (long c : counts.values()) {
            total += c;
        }
        if (!counts.isEmpty()) {
            out.println("parameters:");
            for (Map.Entry<GgmlType, Long> e : counts.entrySet()) {
                out.printf(Locale.ROOT, "  %-8s %,16d  %5.1f%%%n", e.getKey().name(), e.getValue(),
                        total == 0 ? 0.0 : 100.0 * e.getValue() / total);
            }
            out.printf(Locale.ROOT, "  %-8s %,16d  %.3f bits per weight%n", "total", total, g.bitsPerWeight());
        }
        int w = 4;
        for (GgufTensorInfo t : g.infos()) {
            w = Math.max(w, Math.min(80, t.name().length()));
        }
        out.printf("%-" + w + "s  %-8s  %-20s  %12s  %12s  %5s%n", "NAME", "DTYPE", "SHAPE", "OFFSET", "BYTES",
                "ALIGN");
        for (GgufTensorInfo t : g.infos()) {
            out.printf("%-" + w + "s  %-8s  %-20s  %12d  %12d  %5d%n", t.name(), t.type().name(),
                    Arrays.toString(t.shape()), t.offset(), t.length(),
                    dev.weightmap.TensorLocation.alignmentOf(t.offset()));
        }
    }

    /** A metadata value on one table line. */
    private static String text(Object v) {
        if (v instanceof String s) {
            return Describe.printable(s);
        }
        if (v instanceof GgufArray a) {
            StringBuilder sb = new StringBuilder("[").append(a.elementType()).append(" x ").append(a.size());
            List<Object> first = a.stream().limit(a.size() > MAX_ARRAY ? FIRST : MAX_ARRAY).toList();
            String sep = ": ";
            for (Object o : first) {
                sb.append(sep).append(o instanceof String s ? Describe.printable(
                        dev.weightmap.internal.json.JsonWriter.compact().write(s)) : text(o));
                sep = ", ";
            }
            return sb.append(a.size() > first.size() ? ", ...]" : "]").toString();
        }
        return String.valueOf(v);
    }

    /** The text printed after {@code "OK "}. */
    static String verifySummary(GgufFile g, Path given, VerifyReport report) {
        return given + ": gguf v" + g.version() + ", " + report.tensors() + " tensors, " + report.bytes()
                + " tensor bytes, structure and bounds valid (GGUF records no checksums)";
    }
}
