// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.TensorLocation;
import dev.weightmap.VerifyReport;
import dev.weightmap.Weights;
import dev.weightmap.dduf.DdufEntry;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.shard.Checkpoint;
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
            List<Object> storages = new ArrayList<>();
            for (TorchCheckpoint.Storage s : c.storages().values()) {
                Map<String, Object> e = new LinkedHashMap<>();
                e.put("key", s.key());
                e.put("storage_type", s.storageType());
                e.put("location", s.location());
                e.put("numel", s.numel());
                e.put("offset", s.dataOffset());
                e.put("length", s.segment().byteSize());
                storages.add(e);
            }
            m.put("storages", storages);
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
        return m;
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
        List<Object> out = new ArrayList<>();
        boolean checkpoint = concrete(w) instanceof Checkpoint;
        for (TensorLocation l : w.locations()) {
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
            out.add(t);
        }
        return out;
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
        if (r instanceof GgufFile g) {
            GgufDescribe.printTable(g, given, out);
            return;
        }
        // one string, printed once: no per-line flush, no format-string parsing on a cold JVM
        StringBuilder sb = new StringBuilder(4096);
        table(w, r, given, sb);
        out.print(sb);
        out.flush();
    }

    private static void table(Weights w, Object r, Path given, StringBuilder sb) {
        List<TensorLocation> locations = w.locations();
        if (r instanceof SafetensorsFile f) {
            sb.append(given).append(": safetensors, ").append(f.size()).append(" tensors, header ")
                    .append(f.headerLength()).append(" bytes, data at ").append(f.dataStart()).append(", ")
                    .append(f.segment().byteSize()).append(" bytes").append(NL);
            printMetadata(sb, f.metadata());
            table(sb, locations);
        } else if (r instanceof DdufFile d) {
            sb.append(given).append(": dduf, ").append(d.entries().size()).append(" entries, ")
                    .append(locations.size()).append(" tensors, ").append(d.segment().byteSize()).append(" bytes")
                    .append(d.isZip64() ? ", zip64" : "").append(NL);
            int w0 = width(d.entries().keySet());
            left(sb, "ENTRY", w0).append(SEP);
            right(sb, "OFFSET", 12).append(SEP);
            right(sb, "BYTES", 12).append(SEP);
            right(sb, "CRC32", 8).append(SEP);
            right(sb, "ALIGN", 5).append(NL);
            for (DdufEntry e : d.entries().values()) {
                left(sb, e.name(), w0).append(SEP);
                right(sb, e.offset(), 12).append(SEP);
                right(sb, e.length(), 12).append(SEP);
                right(sb, hex8(e.crc32()), 8).append(SEP);
                right(sb, e.alignment(), 5).append(NL);
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
                sb.append(NL);
                sb.append(entry).append(": ").append(ls.size()).append(" tensors").append(NL);
                table(sb, ls);
            });
        } else if (r instanceof TorchCheckpoint c) {
            sb.append(given).append(": torch (").append(c.container().name().toLowerCase(Locale.ROOT))
                    .append(c.zipPrefix() == null ? "" : ", folder " + c.zipPrefix() + "/").append("), ")
                    .append(locations.size()).append(" tensors, ").append(c.storages().size()).append(" storages, ")
                    .append(c.segment().byteSize()).append(" bytes").append(NL);
            int w0 = width(locations.stream().map(TensorLocation::name).toList());
            left(sb, "NAME", w0).append(SEP);
            left(sb, "DTYPE", 11).append(SEP);
            left(sb, "SHAPE", 16).append(SEP);
            left(sb, "STRIDE", 12).append(SEP);
            right(sb, "STORAGE", 7).append(SEP);
            right(sb, "OFFSET", 10).append(SEP);
            right(sb, "BYTES", 10).append(NL);
            for (TensorLocation l : locations) {
                Object stride = l.extras().get("stride");
                left(sb, l.name(), w0).append(SEP);
                left(sb, l.dtype().headerName(), 11).append(SEP);
                left(sb, Arrays.toString(l.shape()), 16).append(SEP);
                left(sb, stride instanceof long[] s ? Arrays.toString(s) : String.valueOf(stride), 12).append(SEP);
                right(sb, String.valueOf(l.extras().get("storage")), 7).append(SEP);
                right(sb, l.offset(), 10).append(SEP);
                right(sb, l.length(), 10).append(NL);
            }
        } else if (r instanceof Checkpoint c) {
            sb.append(given).append(": sharded checkpoint, ").append(c.size()).append(" tensors in ")
                    .append(c.dataFiles().size()).append(" file(s)")
                    .append(c.indexFile() == null ? "" : ", index " + c.indexFile().getFileName()).append(NL);
            if (!c.metadata().isEmpty()) {
                sb.append("metadata:").append(NL);
                c.metadata().forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(v).append(NL));
            }
            int w0 = width(locations.stream().map(TensorLocation::name).toList());
            left(sb, "NAME", w0).append(SEP);
            left(sb, "DTYPE", 11).append(SEP);
            left(sb, "SHAPE", 20).append(SEP);
            right(sb, "BYTES", 12).append(SEP);
            sb.append("FILE").append(NL);
            for (TensorLocation l : locations) {
                left(sb, l.name(), w0).append(SEP);
                left(sb, l.dtype().headerName(), 11).append(SEP);
                left(sb, Arrays.toString(l.shape()), 20).append(SEP);
                right(sb, l.length(), 12).append(SEP);
                sb.append(l.file().getFileName()).append(NL);
            }
        } else {
            sb.append(given).append(": ").append(w.format()).append(", ").append(locations.size())
                    .append(" tensors in ").append(w.files().size()).append(" file(s)").append(NL);
            Map<String, String> md = new LinkedHashMap<>();
            w.metadata().forEach((k, v) -> md.put(k, String.valueOf(v)));
            printMetadata(sb, md);
            table(sb, locations);
        }
    }

    /** The line separator that {@code println} and {@code %n} write. */
    private static final String NL = System.lineSeparator();
    /** The gap between two table columns. */
    private static final String SEP = "  ";

    /** Appends {@code s} padded with spaces on the right to {@code width} characters (as {@code %-Ns}). */
    private static StringBuilder left(StringBuilder sb, String s, int width) {
        sb.append(s);
        for (int i = s.length(); i < width; i++) {
            sb.append(' ');
        }
        return sb;
    }

    /** Appends {@code s} padded with spaces on the left to {@code width} characters (as {@code %Ns}). */
    private static StringBuilder right(StringBuilder sb, String s, int width) {
        for (int i = s.length(); i < width; i++) {
            sb.append(' ');
        }
        return sb.append(s);
    }

    /** Appends {@code v} in decimal, padded with spaces on the left to {@code width} characters (as {@code %Nd}). */
    private static StringBuilder right(StringBuilder sb, long v, int width) {
        return right(sb, Long.toString(v), width);
    }

    private static void printMetadata(StringBuilder sb, Map<String, String> metadata) {
        if (!metadata.isEmpty()) {
            sb.append("metadata:").append(NL);
            metadata.forEach((k, v) -> sb.append("  ").append(printable(k)).append(" = ").append(printable(v))
                    .append(NL));
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
    private static void table(StringBuilder sb, List<TensorLocation> locations) {
        List<String> names = locations.stream().map(Describe::shortName).toList();
        int w = width(names);
        left(sb, "NAME", w).append(SEP);
        left(sb, "DTYPE", 11).append(SEP);
        left(sb, "SHAPE", 20).append(SEP);
        right(sb, "OFFSET", 12).append(SEP);
        right(sb, "BYTES", 12).append(SEP);
        right(sb, "ALIGN", 5).append(NL);
        for (int i = 0; i < locations.size(); i++) {
            TensorLocation l = locations.get(i);
            left(sb, names.get(i), w).append(SEP);
            left(sb, l.dtype().headerName(), 11).append(SEP);
            left(sb, Arrays.toString(l.shape()), 20).append(SEP);
            right(sb, l.offset(), 12).append(SEP);
            right(sb, l.length(), 12).append(SEP);
            right(sb, l.alignment(), 5).append(NL);
        }
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
