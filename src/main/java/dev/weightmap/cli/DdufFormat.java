// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.dduf.DdufCorruptedFileException;
import dev.weightmap.dduf.DdufEntry;
import dev.weightmap.dduf.DdufFile;
import dev.weightmap.safetensors.SafetensorsException;
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
import java.util.Locale;
import java.util.Map;

/** DDUF archives ({@code .dduf}): entries, model index and the tensors of every safetensors entry. */
final class DdufFormat implements CliFormat {
    @Override
    public String name() {
        return "dduf";
    }

    @Override
    public boolean accepts(Path path) {
        Path name = path.getFileName();
        return name != null && name.toString().toLowerCase(Locale.ROOT).endsWith(".dduf") && !Files.isDirectory(path);
    }

    @Override
    public Opened open(Path path) throws IOException {
        DdufFile dduf = DdufFile.open(path);
        try {
            return new DdufOpened(path, dduf);
        } catch (RuntimeException e) {
            dduf.close();
            throw e;
        }
    }

    private static final class DdufOpened implements Opened {
        private final Path path;
        private final DdufFile dduf;
        private final Map<String, SafetensorsFile> safetensors = new LinkedHashMap<>();

        DdufOpened(Path path, DdufFile dduf) {
            this.path = path;
            this.dduf = dduf;
            for (DdufEntry e : dduf.entries().values()) {
                if (e.name().endsWith(".safetensors")) {
                    try {
                        safetensors.put(e.name(), e.openSafetensors());
                    } catch (SafetensorsException x) {
                        throw new DdufCorruptedFileException(path + ": entry '" + e.name() + "': invalid safetensors: "
                                + x.getMessage(), x);
                    }
                }
            }
        }

        @Override
        public Map<String, Object> inspectJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("format", "dduf");
            List<Object> entries = new ArrayList<>();
            for (DdufEntry e : dduf.entries().values()) {
                Map<String, Object> o = new LinkedHashMap<>();
                o.put("name", e.name());
                o.put("offset", e.offset());
                o.put("length", e.length());
                o.put("crc32", hex8(e.crc32()));
                o.put("alignment", (long) e.alignment());
                entries.add(o);
            }
            m.put("entries", entries);
            m.put("model_index", dduf.modelIndex());
            List<Object> tensors = new ArrayList<>();
            safetensors.forEach((entry, st) -> {
                long base = dduf.entries().get(entry).offset();
                for (TensorInfo t : st.infos()) {
                    Map<String, Object> o = new LinkedHashMap<>();
                    o.put("entry", entry);
                    o.put("name", t.name());
                    o.put("dtype", t.dtype().headerName());
                    o.put("shape", t.shape());
                    o.put("offset", base + t.absoluteOffset(st.dataStart()));
                    o.put("length", t.length());
                    tensors.add(o);
                }
            });
            m.put("tensors", tensors);
            return m;
        }

        @Override
        public void printTable(PrintStream out) {
            int tensorCount = safetensors.values().stream().mapToInt(SafetensorsFile::size).sum();
            out.printf("%s: dduf, %d entries, %d tensors, %d bytes%s%n", path, dduf.entries().size(), tensorCount,
                    dduf.segment().byteSize(), dduf.isZip64() ? ", zip64" : "");
            int w = 4;
            for (String n : dduf.entries().keySet()) {
                w = Math.max(w, n.length());
            }
            w = Math.min(w, 80);
            out.printf("%-" + w + "s  %12s  %12s  %8s  %5s%n", "ENTRY", "OFFSET", "BYTES", "CRC32", "ALIGN");
            for (DdufEntry e : dduf.entries().values()) {
                out.printf("%-" + w + "s  %12d  %12d  %8s  %5d%n", e.name(), e.offset(), e.length(), hex8(e.crc32()),
                        e.alignment());
            }
            safetensors.forEach((entry, st) -> {
                out.println();
                out.printf("%s: %d tensors%n", entry, st.size());
                SafetensorsFormat.table(out, st, dduf.entries().get(entry).offset());
            });
        }

        @Override
        public String verify() {
            long bytes = dduf.verify().bytes();
            int tensorCount = safetensors.values().stream().mapToInt(SafetensorsFile::size).sum();
            return path + ": dduf, " + dduf.entries().size() + " entries, " + tensorCount + " tensors, " + bytes
                    + " bytes, CRC-32 of every entry matches";
        }

        @Override
        public Map<String, Tensor> tensors() {
            Map<String, Tensor> m = new LinkedHashMap<>();
            safetensors.forEach((entry, st) -> {
                for (String n : st.names()) {
                    m.put(entry + "::" + n, st.tensor(n));
                }
            });
            return m;
        }

        @Override
        public List<Path> files() {
            return List.of(path);
        }

        @Override
        public void close() {
            dduf.close();
        }
    }

    static String hex8(long v) {
        String s = Long.toHexString(v & 0xFFFFFFFFL);
        return "0".repeat(8 - s.length()) + s;
    }
}
