// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.Weights;
import dev.weightmap.dduf.DdufEntry;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.remote.HttpRangeSource;
import dev.weightmap.remote.RemoteWeights;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.shard.Checkpoint;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code inspect} and {@code verify} print for an opened input. Everything comes from {@link Weights}
 * ({@code format()}, {@code locations()}, {@code metadata()}, {@code files()}, {@code verify()}); the concrete
 * reader is consulted only here, for the few top-level fields that belong to one format (a safetensors header's
 * length, a DDUF archive's entries, a torch checkpoint's storages, a sharded checkpoint's index).
 *
 * <p>Every tensor object of {@code inspect --json} has the same fields, whatever the format: {@code name},
 * {@code dtype}, {@code shape}, {@code offset} (absolute in the file the bytes live in), {@code length},
 * {@code alignment}; then the format's extras ({@code entry} for DDUF, {@code file} for a sharded checkpoint,
 * {@code torch_dtype}, {@code stride}, {@code storage_offset}, {@code storage}, {@code contiguous},
 * {@code parameter} for torch).
 */
final class Describe {
    private Describe() {
    }

    /** The reader itself, for format-specific fields (the only {@code instanceof} dispatch of the CLI). */
    private static Object concrete(Weights w) {
        return w;
    }

    // ------------------------------------------------------------------------------------------------ inspect

    /** The {@code inspect --json} object. */
    static Map<String, Object> inspectJson(Weights w, Path given) {
        Object r = concrete(w);
        if (r instanceof GgufFile g) {
            return GgufDescribe.inspectJson(g);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", formatName(w));
        if (r instanceof SafetensorsFile f) {
            m.put("header_length", f.headerLength());
            m.put("data_start", f.dataStart());
            m.put("metadata", new LinkedHashMap<>(f.metadata()));
        } else if (r instanceof DdufFile d) {
            List<Object> entries = new ArrayList<>();
            for (DdufEntry e : d.entries().values()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("name", e.name());
                o.put("offset", e.offset());
                o.put("length", e.length());
                o.put("crc32", hex8(e.crc32()));
                o.put("alignment", (long) e.alignment());
                entries.add(o);
            }
            m.put("entries", entries);
            m.put("model_index", d.modelIndex());
        } else if (r instanceof TorchCheckpoint c) {
            m.put("container", c.container().name().toLowerCase(Locale.ROOT));
            if (c.zipPrefix() != null) {
                m.put("zip_prefix", c.zipPrefix());
            }
            m.put("version", (long) c.version());
            m.put("byteorder", "little");
            List<TorchCheckpoint.Storage> all = List.copyOf(c.storages().values());
            m.put("storages", new java.util.AbstractList<Object>() { // built as the writer reaches them
                @Override
                public Object get(int i) {
                    TorchCheckpoint.Storage s = all.get(i);
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("key", s.key());
                    e.put("storage_type", s.storageType());
                    e.put("location", s.location());
                    e.put("numel", s.numel());
                    e.put("offset", s.dataOffset());
                    e.put("length", s.segment().byteSize());
                    return e;
                }

                @Override
                public int size() {
                    return all.size();
                }
            });
        } else if (r instanceof Checkpoint c) {
            m.put("index", c.indexFile() == null ? null : Input.display(given, c.indexFile()));
            m.put("metadata", new LinkedHashMap<>(c.metadata()));
            List<Object> files = new ArrayList<>();
            for (Path f : c.dataFiles()) {
                files.add(Input.display(given, f));
            }
            m.put("files", files);
        } else { // a format with no specific fields yet
            m.put("metadata", new LinkedHashMap<>(w.metadata()));
            List<Object> files = new ArrayList<>();
            for (Path f : w.files()) {
                files.add(Input.display(given, f));
            }
            m.put("files", files);
        }
        m.put("tensors", tensorObjects(w));
        putParameters(m, w.locations());
        return m;
    }

    /** The {@code parameters} (total elements) and {@code parameter_counts} (per dtype) fields. */
    static void putParameters(Map<String, Object> m, List<TensorLocation> locations) {
        Map<DType, Long> counts = parameterCounts(locations);
        long total = 0;
        Map<String, Object> byName = new LinkedHashMap<>();
        for (Map.Entry<DType, Long> e : counts.entrySet()) {
            total += e.getValue();
            byName.put(e.getKey().headerName(), e.getValue());
        }
        m.put("parameters", total);
        m.put("parameter_counts", byName);
    }

    private static Map<DType, Long> parameterCounts(List<TensorLocation> locations) {
        Map<DType, Long> counts = new java.util.EnumMap<>(DType.class);
        for (TensorLocation l : locations) {
            counts.merge(l.dtype(), DType.numel(l.shape()), Long::sum);
        }
        return counts;
    }

    /** The table's last line: {@code parameters: 1,234 (F32 1,000, BF16 234)}. */
    static void printParameters(PrintStream out, List<TensorLocation> locations) {
        Map<String, Long> byName = new LinkedHashMap<>();
        parameterCounts(locations).forEach((t, n) -> byName.put(t.headerName(), n));
        printParameters(out, byName);
    }

    /** The table's last line from counts by type name. */
    static void printParameters(PrintStream out, Map<String, Long> counts) {
        long total = 0;
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Long> e : counts.entrySet()) {
            total += e.getValue();
            parts.add(String.format(Locale.ROOT, "%s %,d", e.getKey(), e.getValue()));
        }
        out.printf(Locale.ROOT, "parameters: %,d%s%n", total, parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")");
    }

    /** The {@code inspect --json} object of remote weights: the local fields, the URL and what opening cost. */
    static Map<String, Object> remoteJson(RemoteWeights w, String url) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", formatName(w));
        m.put("url", HttpRangeSource.display(java.net.URI.create(url)));
        Map<String, Object> md = new LinkedHashMap<>();
        w.metadata().forEach((k, v) -> md.put(k, GgufDescribe.json(v)));
        m.put("metadata", md);
        m.put("files", new ArrayList<Object>(w.urls()));
        m.put("tensors", tensorObjects(w));
        // per stored type: the dtype of safetensors, the GGML type of GGUF (quantized weights counted as weights)
        m.put("parameters", w.parameterCount());
        m.put("parameter_counts", new LinkedHashMap<String, Object>(w.parameterCountsByType()));
        m.put("requests", w.requestCount());
        m.put("bytes_fetched", w.bytesReceived());
        return m;
    }

    /** The {@code inspect} table of remote weights. */
    static void printRemoteTable(RemoteWeights w, String url, PrintStream out) {
        List<TensorLocation> locations = w.locations();
        out.printf("%s: %s, %d tensors in %d remote file(s), %d bytes fetched in %d request(s)%n",
                HttpRangeSource.display(java.net.URI.create(url)), w.format(), locations.size(),
                w.format().equals(Weights.SHARDED) ? w.urls().size() - 1 : w.urls().size(), w.bytesReceived(),
                w.requestCount());
        Map<String, String> md = new LinkedHashMap<>();
        w.metadata().forEach((k, v) -> md.put(k, String.valueOf(v)));
        printMetadata(out, md);
        table(out, locations);
        printParameters(out, w.parameterCountsByType());
    }

    /**
     * The format word the CLI prints: {@link Weights#format()} ({@code sharded} for every folder or index input,
     * also a folder holding one file).
     */
    static String formatName(Weights w) {
        return w.format();
    }

    /** The tensor objects of {@code inspect --json}: the common fields, then the format's extras. */
    static List<Object> tensorObjects(Weights w) {
        boolean checkpoint = concrete(w) instanceof Checkpoint;
        List<TensorLocation> locations = w.locations();
        // each object is built when the writer reaches it (see InspectCommand): none are held
        return new java.util.AbstractList<>() {
            @Override
            public Object get(int i) {
                return tensorObject(locations.get(i), checkpoint);
            }

            @Override
            public int size() {
                return locations.size();
            }
        };
    }

    private static Map<String, Object> tensorObject(TensorLocation l, boolean checkpoint) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", shortName(l));
        t.put("dtype", l.dtype().headerName());
        t.put("shape", l.shape());
        t.put("offset", l.offset());
        t.put("length", l.length());
        t.put("alignment", (long) l.alignment());
        if (checkpoint) { // the shard's name, also for a folder holding a single file
            t.put("file", l.file().getFileName().toString());
        }
        l.extras().forEach(t::putIfAbsent);
        return t;
    }

    /** A tensor's name inside its entry: DDUF names are {@code entry::tensor}, with the entry printed apart. */
    private static String shortName(TensorLocation l) {
        Object entry = l.extras().get("entry");
        String prefix = entry + "::";
        return entry != null && l.name().startsWith(prefix) ? l.name().substring(prefix.length()) : l.name();
    }

    /** The human-readable {@code inspect} output. */
    static void printTable(Weights w, Path given, PrintStream out) {
        Object r = concrete(w);
        List<TensorLocation> locations = w.locations();
        if (r instanceof GgufFile g) {
            GgufDescribe.printTable(g, given, out);
        } else if (r instanceof SafetensorsFile f) {
            out.printf("%s: safetensors, %d tensors, header %d bytes, data at %d, %d bytes%n", given, f.size(),
                    f.headerLength(), f.dataStart(), f.segment().byteSize());
            printMetadata(out, f.metadata());
            table(out, locations);
        } else if (r instanceof DdufFile d) {
            out.printf("%s: dduf, %d entries, %d tensors, %d bytes%s%n", given, d.entries().size(), locations.size(),
                    d.segment().byteSize(), d.isZip64() ? ", zip64" : "");
            int w0 = width(d.entries().keySet());
            out.printf("%-" + w0 + "s  %12s  %12s  %8s  %5s%n", "ENTRY", "OFFSET", "BYTES", "CRC32", "ALIGN");
            for (DdufEntry e : d.entries().values()) {
                out.printf("%-" + w0 + "s  %12d  %12d  %8s  %5d%n", e.name(), e.offset(), e.length(), hex8(e.crc32()),
                        e.alignment());
            }
            Map<String, List<TensorLocation>> byEntry = new LinkedHashMap<>();
            for (DdufEntry e : d.entries().values()) {
                if (e.name().endsWith(".safetensors")) {
                    byEntry.put(e.name(), new ArrayList<>());
                }
            }
            for (TensorLocation l : locations) {
                byEntry.computeIfAbsent(String.valueOf(l.extras().get("entry")), k -> new ArrayList<>()).add(l);
            }
            byEntry.forEach((entry, ls) -> {
                out.println();
                out.printf("%s: %d tensors%n", entry, ls.size());
                table(out, ls);
            });
        } else if (r instanceof TorchCheckpoint c) {
            out.printf("%s: torch (%s%s), %d tensors, %d storages, %d bytes%n", given,
                    c.container().name().toLowerCase(Locale.ROOT),
                    c.zipPrefix() == null ? "" : ", folder " + c.zipPrefix() + "/",
                    locations.size(), c.storages().size(), c.segment().byteSize());
            int w0 = width(locations.stream().map(TensorLocation::name).toList());
            out.printf("%-" + w0 + "s  %-11s  %-16s  %-12s  %7s  %10s  %10s%n", "NAME", "DTYPE", "SHAPE", "STRIDE",
                    "STORAGE", "OFFSET", "BYTES");
            StringBuilder sb = new StringBuilder();
            for (TensorLocation l : locations) { // as printf("%-Ws  %-11s  %-16s  %-12s  %7s  %10d  %10d%n")
                Object stride = l.extras().get("stride");
                left(sb, l.name(), w0).append("  ");
                left(sb, l.dtype().headerName(), 11).append("  ");
                left(sb, Arrays.toString(l.shape()), 16).append("  ");
                left(sb, stride instanceof long[] s ? Arrays.toString(s) : String.valueOf(stride), 12).append("  ");
                right(sb, String.valueOf(l.extras().get("storage")), 7).append("  ");
                right(sb, Long.toString(l.offset()), 10).append("  ");
                right(sb, Long.toString(l.length()), 10).append(System.lineSeparator());
                if (sb.length() > 1 << 16) {
                    out.print(sb);
                    sb.setLength(0);
                }
            }
            out.print(sb);
        } else if (r instanceof Checkpoint c) {
            out.printf("%s: sharded checkpoint, %d tensors in %d file(s)%s%n", given, c.size(), c.dataFiles().size(),
                    c.indexFile() == null ? "" : ", index " + c.indexFile().getFileName());
            if (!c.metadata().isEmpty()) {
                out.println("metadata:");
                c.metadata().forEach((k, v) -> out.printf("  %s = %s%n", k, v));
            }
            int w0 = width(locations.stream().map(TensorLocation::name).toList());
            out.printf("%-" + w0 + "s  %-11s  %-20s  %12s  %s%n", "NAME", "DTYPE", "SHAPE", "BYTES", "FILE");
            for (TensorLocation l : locations) {
                out.printf("%-" + w0 + "s  %-11s  %-20s  %12d  %s%n", l.name(), l.dtype().headerName(),
                        Arrays.toString(l.shape()), l.length(), l.file().getFileName());
            }
        } else {
            out.printf("%s: %s, %d tensors in %d file(s)%n", given, w.format(), locations.size(), w.files().size());
            Map<String, String> md = new LinkedHashMap<>();
            w.metadata().forEach((k, v) -> md.put(k, String.valueOf(v)));
            printMetadata(out, md);
            table(out, locations);
        }
        printParameters(out, locations);
    }

    private static void printMetadata(PrintStream out, Map<String, String> metadata) {
        if (!metadata.isEmpty()) {
            out.println("metadata:");
            metadata.forEach((k, v) -> out.printf("  %s = %s%n", printable(k), printable(v)));
        }
    }

    private static int width(java.util.Collection<String> names) {
        int w = 4;
        for (String n : names) {
            w = Math.max(w, n.length());
        }
        return Math.min(w, 80);
    }

    /** NAME DTYPE SHAPE OFFSET BYTES ALIGN, names inside their entry. */
    private static void table(PrintStream out, List<TensorLocation> locations) {
        int w = 4;
        for (TensorLocation l : locations) { // locations may be built on each get: hold none of them
            w = Math.max(w, Math.min(80, shortName(l).length()));
        }
        out.printf("%-" + w + "s  %-11s  %-20s  %12s  %12s  %5s%n", "NAME", "DTYPE", "SHAPE", "OFFSET", "BYTES", "ALIGN");
        StringBuilder sb = new StringBuilder();
        for (TensorLocation l : locations) { // as printf("%-Ws  %-11s  %-20s  %12d  %12d  %5d%n"), faster
            left(sb, shortName(l), w).append("  ");
            left(sb, l.dtype().headerName(), 11).append("  ");
            left(sb, Arrays.toString(l.shape()), 20).append("  ");
            right(sb, Long.toString(l.offset()), 12).append("  ");
            right(sb, Long.toString(l.length()), 12).append("  ");
            right(sb, Integer.toString(l.alignment()), 5).append(System.lineSeparator());
            if (sb.length() > 1 << 16) {
                out.print(sb);
                sb.setLength(0);
            }
        }
        out.print(sb);
    }

    /** Appends s, then spaces up to w characters. */
    private static StringBuilder left(StringBuilder sb, String s, int w) {
        sb.append(s);
        for (int i = s.length(); i < w; i++) {
            sb.append(' ');
        }
        return sb;
    }

    /** Appends spaces, then s, to w characters. */
    private static StringBuilder right(StringBuilder sb, String s, int w) {
        for (int i = s.length(); i < w; i++) {
            sb.append(' ');
        }
        return sb.append(s);
    }

    /** A metadata string for one table line: control characters shown as JSON escapes. */
    static String printable(String s) {
        if (s.chars().noneMatch(c -> c < 0x20 || c == 0x7F)) {
            return s;
        }
        StringBuilder sb = new StringBuilder();
        JsonWriter.compact().string(sb, s);
        return sb.toString();
    }

    static String hex8(long v) {
        String s = Long.toHexString(v & 0xFFFFFFFFL);
        return "0".repeat(8 - s.length()) + s;
    }

    // ------------------------------------------------------------------------------------------------ verify

    /** The text printed after {@code "OK "}. */
    static String verifySummary(Weights w, Path given, VerifyReport report) {
        Object r = concrete(w);
        if (r instanceof GgufFile g) {
            return GgufDescribe.verifySummary(g, given, report);
        }
        if (r instanceof SafetensorsFile f) {
            return given + ": safetensors, " + report.tensors() + " tensors, " + f.segment().byteSize() + " bytes";
        }
        if (r instanceof DdufFile d) {
            return given + ": dduf, " + d.entries().size() + " entries, " + report.tensors() + " tensors, "
                    + report.bytes() + " bytes, CRC-32 of every entry matches";
        }
        if (r instanceof TorchCheckpoint c) {
            return given + ": torch " + c.container().name().toLowerCase(Locale.ROOT) + ", " + report.tensors()
                    + " tensors, " + c.storages().size() + " storages, " + report.checksums() + " record CRCs checked";
        }
        if (r instanceof Checkpoint c) {
            long bytes = 0;
            for (Tensor t : c.tensors().values()) {
                bytes += t.byteLength();
            }
            return given + ": sharded, " + c.size() + " tensors in " + c.dataFiles().size() + " file(s), " + bytes
                    + " tensor bytes" + (c.indexFile() == null ? "" : ", index and shards agree");
        }
        return given + ": " + report.format() + ", " + report.tensors() + " tensors in " + report.files()
                + " file(s), " + report.bytes() + " bytes" + (report.checks().isEmpty() ? ""
                : ", " + String.join(", ", report.checks()));
    }

    /** The {@code verify --json} object of a successful verify. */
    static Map<String, Object> verifyJson(Weights w, Path given, VerifyReport report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", formatName(w));
        m.put("path", given.toString());
        m.put("tensors", (long) report.tensors());
        m.put("files", (long) report.files());
        m.put("bytes", report.bytes());
        m.put("checksums", (long) report.checksums());
        m.put("checks", new ArrayList<Object>(report.checks()));
        m.put("warnings", new ArrayList<Object>(w.warnings()));
        m.put("ok", true);
        return m;
    }
}
