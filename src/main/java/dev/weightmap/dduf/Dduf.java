// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.json.JsonException;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.zip.ZipLayout;
import dev.weightmap.internal.zip.ZipWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * Writing DDUF archives (hub's {@code export_entries_as_dduf} / {@code export_folder_as_dduf}).
 *
 * <pre>{@code
 * Dduf.exportEntries(Path.of("pipeline.dduf"), List.of(
 *     Dduf.entry("model_index.json", Path.of("src/model_index.json")),
 *     Dduf.entry("vae/config.json", configBytes),
 *     Dduf.entry("vae/diffusion_pytorch_model.safetensors",
 *                out -> Safetensors.write(tensors, Map.of(), out))));   // streamed, no temp file
 * Dduf.exportFolder(Path.of("pipeline.dduf"), Path.of("my-pipeline/"));
 * }</pre>
 *
 * <p>The archive is STORED, every local header carries a ZIP64 extra field (as hub writes) and every entry's data
 * starts on a 64-byte boundary, so tensors inside a safetensors entry are naturally aligned in the archive.
 * Timestamps are fixed (1980-01-01): the same entries give the same bytes. The archive is written to a temporary
 * file and renamed over the target only when everything succeeded: after any failure nothing exists at the
 * target and an earlier file there is untouched.
 */
public final class Dduf {
    /** Every entry's data offset is a multiple of this. */
    public static final int ALIGNMENT = 64;
    /** hub's layout: Python's {@code zipfile} with {@code force_zip64=True}, data aligned to {@link #ALIGNMENT}. */
    private static final ZipLayout LAYOUT = ZipLayout.forceZip64(ALIGNMENT);

    private Dduf() {
    }

    /** Writes an entry's content to a channel (for example {@code out -> Safetensors.write(tensors, meta, out)}). */
    @FunctionalInterface
    public interface ContentWriter {
        /**
         * Writes the whole content; the channel must not be closed.
         *
         * @param out the archive channel to write the entry's bytes to
         * @throws IOException when the content cannot be read or written
         */
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /** One entry to export: a name and a content source. Made by the {@code Dduf.entry} factories. */
    public static final class Entry {
        private final String name;
        private final Path file;
        private final byte[] bytes;
        private final MemorySegment segment;
        private final ContentWriter writer;

        private Entry(String name, Path file, byte[] bytes, MemorySegment segment, ContentWriter writer) {
            this.name = Objects.requireNonNull(name, "name");
            this.file = file;
            this.bytes = bytes;
            this.segment = segment;
            this.writer = writer;
        }

        /**
         * The entry name as given.
         *
         * @return the name, e.g. {@code vae/config.json}
         */
        public String name() {
            return name;
        }

        /**
         * The source file, or null when the content is not a file.
         *
         * @return the file, or null
         */
        public Path file() {
            return file;
        }

        @Override
        public String toString() {
            return "Entry(" + name + (file != null ? " <- " + file : "") + ")";
        }

        byte[] loadFully() throws IOException {
            if (bytes != null) {
                return bytes;
            }
            if (file != null) {
                dev.weightmap.internal.io.FileStreamer.requireRegularFile(file); // never /dev/zero, a FIFO, /proc
                return Files.readAllBytes(file);
            }
            if (segment != null) {
                return segment.toArray(ValueLayout.JAVA_BYTE);
            }
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            writer.writeTo(Channels.newChannel(bos));
            return bos.toByteArray();
        }

        void writeTo(ZipWriter zw) throws IOException {
            if (bytes != null) {
                zw.write(MemorySegment.ofArray(bytes));
            } else if (segment != null) {
                zw.write(segment);
            } else if (file != null) {
                try (FileChannel src = dev.weightmap.internal.io.FileStreamer.openRegular(file)) {
                    zw.transferFrom(src, 0, src.size());
                }
            } else {
                writer.writeTo(zw.currentChannel());
            }
        }
    }

    /**
     * An entry whose content is a file, streamed from disk.
     *
     * @param name the entry name inside the archive
     * @param file the file whose bytes become the entry
     * @return the entry
     */
    public static Entry entry(String name, Path file) {
        return new Entry(name, Objects.requireNonNull(file, "file"), null, null, null);
    }

    /**
     * An entry whose content is a byte array (not copied: do not modify it before the export ends).
     *
     * @param name the entry name inside the archive
     * @param content the entry's bytes
     * @return the entry
     */
    public static Entry entry(String name, byte[] content) {
        return new Entry(name, null, Objects.requireNonNull(content, "content"), null, null);
    }

    /**
     * An entry whose content is a memory segment (for example a mapping), written without a heap copy. A mapped
     * segment is read through its mapping chunk by chunk (a segment knows no file: a file truncated meanwhile fails
     * with {@code FILE_CHANGED} naming "a memory-mapped file"); to copy a whole file, use {@link #entry(String,
     * Path)}.
     *
     * @param name the entry name inside the archive
     * @param content the entry's bytes
     * @return the entry
     */
    public static Entry entry(String name, MemorySegment content) {
        return new Entry(name, null, null, Objects.requireNonNull(content, "content"), null);
    }

    /**
     * An entry whose content a callback writes to the archive (streamed; no temporary file).
     *
     * @param name the entry name inside the archive
     * @param content the callback that writes the entry's bytes
     * @return the entry
     */
    public static Entry entry(String name, ContentWriter content) {
        return new Entry(name, null, null, null, Objects.requireNonNull(content, "content"));
    }

    /**
     * Validates an entry name and returns it as it is stored: hub's rules (extension {@code .json .model
     * .safetensors .txt}, case-sensitive; no backslash; at most one folder level) plus ours (no absolute names,
     * no {@code .} or {@code ..} components, no empty components).
     *
     * @param name the entry name to check
     * @return the name as stored in the archive
     * @throws DdufInvalidEntryNameException with hub's message, or ours for our stricter rules
     */
    public static String validateEntryName(String name) {
        return DdufRules.entryName(name);
    }

    /**
     * Writes a DDUF archive from {@code entries}, consumed lazily one at a time.
     *
     * @param dduf the archive to write
     * @param entries the entries, in archive order
     * @throws DdufExportException           for a duplicate name, an invalid name, an invalid or missing
     *                                       {@code model_index.json}, or an invalid structure (hub's messages)
     * @throws NoSuchFileException           when a source file or the target folder does not exist
     * @throws IOException                   when a source or the target cannot be read or written
     */
    public static void exportEntries(Path dduf, Iterable<Entry> entries) throws IOException {
        exportEntries(dduf, entries, null);
    }

    /**
     * As {@link #exportEntries(Path, Iterable)}, reporting the number of archive bytes written so far to
     * {@code progress} (may be null).
     *
     * @param dduf the archive to write
     * @param entries the entries, in archive order
     * @param progress receives the bytes written so far, or null
     * @throws IOException as {@link #exportEntries(Path, Iterable)} throws it
     */
    public static void exportEntries(Path dduf, Iterable<Entry> entries, LongConsumer progress) throws IOException {
        exportEntries(dduf, entries, progress, false, true);
    }

    /**
     * As {@link #exportEntries(Path, Iterable, LongConsumer)}, also accepting {@code .gguf} entries when
     * {@code allowGguf} (as the JavaScript DDUF checker does; huggingface_hub refuses them).
     *
     * @param dduf the archive to write
     * @param entries the entries, in archive order
     * @param progress receives the bytes written so far, or null
     * @param allowGguf whether {@code .gguf} entries are accepted
     * @throws IOException as {@link #exportEntries(Path, Iterable)} throws it
     */
    public static void exportEntries(Path dduf, Iterable<Entry> entries, LongConsumer progress, boolean allowGguf)
            throws IOException {
        exportEntries(dduf, entries, progress, allowGguf, true);
    }

    /**
     * As {@link #exportEntries(Path, Iterable, LongConsumer, boolean)}; with {@code durable} false the archive is
     * not forced to disk before this returns, for scratch archives that need not survive a power loss or an OS
     * crash (it still appears atomically under its final name).
     *
     * @param dduf      the archive to write
     * @param entries   the entries, {@code model_index.json} among them
     * @param progress  receives the number of archive bytes written so far, or null
     * @param allowGguf whether {@code .gguf} entries are accepted
     * @param durable   whether to force the archive and its folder to disk (the other overloads do)
     * @throws DdufExportException for a duplicate or invalid name, an invalid or missing {@code model_index.json},
     *                             or an invalid structure
     * @throws IOException         when a source or the target cannot be read or written
     */
    public static void exportEntries(Path dduf, Iterable<Entry> entries, LongConsumer progress, boolean allowGguf,
                                     boolean durable)
            throws IOException {
        Objects.requireNonNull(entries, "entries");
        String where = dduf + ": ";
        AtomicFile.write(dduf, durable, out -> {
            ZipWriter zw = new ZipWriter(out, LAYOUT);
            zw.setProgress(progress);
            Set<String> raw = new HashSet<>();
            Set<String> stored = new LinkedHashSet<>();
            List<String> rawNames = new ArrayList<>();
            Object index = null;
            boolean haveIndex = false;
            for (Entry e : entries) {
                Objects.requireNonNull(e, "entry");
                String name = e.name;
                if (!raw.add(name)) {
                    throw new DdufExportException(where + "Can't add duplicate entry: " + name);
                }
                rawNames.add(name);
                Entry src = e;
                if (name.equals(DdufRules.MODEL_INDEX)) {
                    byte[] content = e.loadFully();
                    try {
                        index = JsonReader.parse(content);
                    } catch (JsonException x) {
                        throw new DdufExportException(where + "Failed to parse 'model_index.json'. (" + x.getMessage() + ")", x);
                    }
                    haveIndex = true;
                    src = entry(name, content);
                }
                String storedName;
                try {
                    storedName = DdufRules.entryName(name, allowGguf);
                } catch (DdufInvalidEntryNameException x) {
                    throw new DdufExportException(where + "Invalid entry name: " + name + " (" + x.getMessage() + ")"
                            + (!allowGguf && DdufRules.isGguf(name) ? DdufRules.GGUF_HINT : ""), x);
                }
                if (storedName.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 0xFFFF) {
                    throw new DdufExportException(where + "Invalid entry name: " + name.substring(0, 64)
                            + "... (longer than 65,535 UTF-8 bytes)");
                }
                if (!stored.add(storedName)) {
                    throw new DdufExportException(where + "Can't add duplicate entry: " + name);
                }
                zw.beginEntry(storedName);
                src.writeTo(zw);
                zw.endEntry();
            }
            if (!haveIndex) {
                throw new DdufExportException(where + DdufRules.MISSING_INDEX);
            }
            try {
                DdufRules.structure("", index, rawNames);
            } catch (DdufCorruptedFileException x) {
                throw new DdufExportException(where + "Invalid DDUF file structure. (" + x.getMessage() + ")", x);
            }
            zw.finish();
        });
    }

    /**
     * Writes a DDUF archive from a folder: regular files (symbolic links followed) at the root and one folder
     * deep whose extension is allowed, hidden files and folders skipped, in sorted name order. A file whose name is
     * not valid UTF-8 is refused, never stored under a decoded (replaced) name.
     *
     * @param dduf the archive to write
     * @param folder the pipeline folder (with {@code model_index.json} at its root)
     * @throws NoSuchFileException when the folder does not exist
     * @throws DdufExportException when a file's name is not valid UTF-8
     */
    public static void exportFolder(Path dduf, Path folder) throws IOException {
        exportEntries(dduf, folderEntries(folder), null);
    }

    /**
     * As {@link #exportFolder(Path, Path)} with progress reporting.
     *
     * @param dduf the archive to write
     * @param folder the pipeline folder
     * @param progress receives the bytes written so far, or null
     * @throws IOException as {@link #exportFolder(Path, Path)} throws it
     */
    public static void exportFolder(Path dduf, Path folder, LongConsumer progress) throws IOException {
        exportEntries(dduf, folderEntries(folder), progress);
    }

    /**
     * The entries {@link #exportFolder} writes for {@code folder}, in order (hub's folder walk, sorted).
     *
     * @param folder the pipeline folder
     * @return the entries, in archive order
     * @throws IOException when the folder cannot be listed
     */
    public static List<Entry> folderEntries(Path folder) throws IOException {
        if (!Files.exists(folder)) {
            throw new NoSuchFileException(folder.toString());
        }
        if (!Files.isDirectory(folder)) {
            throw new IOException(folder + " is not a directory");
        }
        List<String> names = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        try (DirectoryStream<Path> top = Files.newDirectoryStream(folder)) {
            for (Path p : top) {
                String n = p.getFileName().toString();
                if (n.startsWith(".")) {
                    continue;
                }
                if (Files.isRegularFile(p)) {
                    if (allowed(n)) {
                        requireUtf8Name(folder, p);
                        names.add(n);
                        paths.add(p);
                    }
                } else if (Files.isDirectory(p)) {
                    try (DirectoryStream<Path> sub = Files.newDirectoryStream(p)) {
                        for (Path q : sub) {
                            String m = q.getFileName().toString();
                            if (!m.startsWith(".") && Files.isRegularFile(q) && allowed(m)) {
                                requireUtf8Name(folder, p);
                                requireUtf8Name(folder, q);
                                names.add(n + "/" + m);
                                paths.add(q);
                            }
                        }
                    }
                }
            }
        }
        Integer[] order = new Integer[names.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (a, b) -> names.get(a).compareTo(names.get(b)));
        List<Entry> out = new ArrayList<>(order.length);
        for (int i : order) {
            out.add(entry(names.get(i), paths.get(i)));
        }
        return out;
    }

    /**
     * Refuses a file whose name is not valid UTF-8: DDUF entry names are UTF-8 text, and decoding such a name
     * replaces its bad bytes, so the entry would silently get another name than the file.
     */
    private static void requireUtf8Name(Path folder, Path file) {
        Path name = file.getFileName();
        if (!name.equals(Path.of(name.toString()))) { // the decoded name encodes to other bytes than the file's
            throw new DdufExportException(folder + ": Invalid entry name: the name of " + file + " is not valid"
                    + " UTF-8 (its bad bytes are shown as U+FFFD): rename the file");
        }
    }

    private static boolean allowed(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 && DdufRules.EXTENSIONS.contains(fileName.substring(dot));
    }

}
