// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.io.AtomicFile;
import dev.weightmap.internal.io.FsSteps;
import dev.weightmap.internal.io.TempFiles;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * The crash-consistent replacement of one checkpoint (one filename pattern) in a folder: the protocol described
 * on {@link StateDicts#save}. Every step that changes the folder goes through {@link FsSteps}.
 */
final class FolderCommit {
    private FolderCommit() {
    }

    /** Produces the text of an index whose shard names are mapped through {@code where}. */
    @FunctionalInterface
    interface IndexText {
        byte[] text(UnaryOperator<String> where);
    }

    /**
     * Refuses, before anything is written, final names that exist and are not regular files (or links to
     * regular files): the shards, the index and the single-file name of the pattern.
     */
    static void checkTargets(Path dir, FilenamePattern pattern, Iterable<String> names) throws IOException {
        for (String n : names) {
            AtomicFile.resolveTarget(dir.resolve(n));
        }
        AtomicFile.resolveTarget(dir.resolve(pattern.index()));
        AtomicFile.resolveTarget(dir.resolve(pattern.single()));
    }

    /** Creates a new, empty staging folder (a temporary name owned by this process) inside {@code dir}. */
    static Path createStaging(Path dir) throws IOException {
        Path staging = dir.resolve(TempFiles.newName(false));
        FsSteps.step("mkdir " + staging.getFileName());
        try {
            Files.createDirectory(staging);
        } catch (IOException e) {
            throw AtomicFile.named(e, staging, dir.resolve("(staging folder)"));
        }
        return staging;
    }

    /**
     * Makes the staged checkpoint the folder's checkpoint (see {@link StateDicts#save}). The staged files are
     * complete and forced, and so is the staging folder.
     *
     * @param dir       the target folder (absolute)
     * @param staging   the staging folder inside it, holding every new file under its final name
     * @param pattern   the filename pattern
     * @param names     the new files, in order
     * @param sharded   whether the new checkpoint has an index
     * @param index     the new index (for a single new file: every tensor mapped to it)
     * @param mainProcess whether old files may be deleted (hub: only the main process deletes)
     * @param committed set once the commit point is passed (the caller then keeps the staging folder on failure)
     */
    static void commit(Path dir, Path staging, FilenamePattern pattern, List<String> names, boolean sharded,
                       IndexText index, boolean mainProcess, Committed committed) throws IOException {
        String x = pattern.index();
        String f = pattern.single();
        Path xPath = dir.resolve(x);
        Path fPath = dir.resolve(f);
        String prefix = staging.getFileName().toString() + "/";
        boolean oldIndexed = exists(xPath);
        Set<String> oldRefs = oldIndexed ? referencedFiles(xPath) : Set.of();
        if (!sharded && !oldIndexed) {
            // one name changes: the rename is the commit
            place(staging.resolve(f), dir, f);
            committed.set();
            AtomicFile.forceDirectory(dir);
            return;
        }
        Path hidden = null;
        Path fLink = null;
        if (sharded && !oldIndexed && mainProcess && exists(fPath)) {
            fLink = Files.isSymbolicLink(fPath) ? Files.readSymbolicLink(fPath) : null;
            hidden = indexOldSingleFile(dir, pattern);
        }
        // the commit point: the index now names the staged files
        try {
            writeIndex(xPath, index.text(n -> prefix + n));
        } catch (IOException | RuntimeException | Error e) {
            if (hidden != null) {
                undoIndexedSingleFile(dir, pattern, hidden, fLink, e);
            }
            throw e;
        }
        committed.set();
        // old files are no longer named by the index: remove them
        if (hidden != null) {
            TempFiles.deleteTree(hidden);
        }
        if (sharded && mainProcess && exists(fPath)) {
            delete(fPath);
        }
        for (String ref : mainProcess ? oldRefs : Set.<String>of()) {
            if (names.contains(ref) || ref.equals(x)) {
                continue;
            }
            if (ref.indexOf('/') < 0 && ref.indexOf('\\') < 0) {
                delete(dir.resolve(ref));
            } else {
                String top = ref.split("[/\\\\]", 2)[0];
                if (TempFiles.isTempName(top) && !top.equals(staging.getFileName().toString())) {
                    TempFiles.deleteTree(dir.resolve(top)); // an earlier staging folder the old index named
                }
            }
        }
        // final names: each replaced atomically while the index still names the staged copy (the deletions above
        // need no ordering against these; one folder force below covers both before the final index)
        for (String n : names) {
            place(staging.resolve(n), dir, n);
        }
        AtomicFile.forceDirectory(dir);
        if (sharded || !mainProcess) {
            // a process that is not the main one leaves the old files, so one new file keeps an index naming it
            writeIndex(xPath, index.text(UnaryOperator.identity()));
        } else {
            delete(xPath);
            AtomicFile.forceDirectory(dir);
        }
    }

    /** Set once the new checkpoint is committed. */
    static final class Committed {
        private boolean value;

        void set() {
            value = true;
        }

        boolean get() {
            return value;
        }
    }

    /**
     * Turns an old single file {@code F} (no index) into an index naming a hidden link to it, so that loaders that
     * prefer {@code F} (transformers) and loaders that prefer the index (hub) agree at every step of a save that
     * goes from one file to shards. Returns the hidden folder, or null when {@code F} cannot be read (then there is
     * no loadable old checkpoint to keep).
     */
    private static Path indexOldSingleFile(Path dir, FilenamePattern pattern) throws IOException {
        String f = pattern.single();
        Path fPath = dir.resolve(f);
        Map<String, String> weightMap = new LinkedHashMap<>();
        long total = 0;
        try (Checkpoint old = Checkpoints.loadStateDictFromFile(fPath)) {
            for (Map.Entry<String, Tensor> e : old.tensors().entrySet()) {
                weightMap.put(e.getKey(), f);
                total += e.getValue().byteLength();
            }
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
        Path hidden = createStaging(dir);
        try {
            link(fPath.toRealPath(), hidden.resolve(f)); // a link F: the file it names (a relative one would move)
        } catch (IOException | RuntimeException | Error e) {
            TempFiles.deleteTree(hidden);
            throw e;
        }
        AtomicFile.forceDirectory(hidden);
        String prefix = hidden.getFileName() + "/";
        Map<String, Object> md = new LinkedHashMap<>();
        md.put("total_size", total);
        Map<String, Object> wm = new LinkedHashMap<>();
        weightMap.forEach((k, v) -> wm.put(k, prefix + v));
        Map<String, Object> idx = new LinkedHashMap<>();
        idx.put("metadata", md);
        idx.put("weight_map", wm);
        try {
            writeIndex(dir.resolve(pattern.index()), JsonWriter.python(2).write(idx)
                    .getBytes(StandardCharsets.UTF_8));
        } catch (IOException | RuntimeException | Error e) {
            TempFiles.deleteTree(hidden);
            throw e;
        }
        delete(fPath);
        AtomicFile.forceDirectory(dir);
        return hidden;
    }

    /** Puts the old single file back after a failed commit (best effort: the index form is a valid old state). */
    private static void undoIndexedSingleFile(Path dir, FilenamePattern pattern, Path hidden, Path fLink,
                                              Throwable primary) {
        try {
            Path fPath = dir.resolve(pattern.single());
            if (fLink != null) {
                FsSteps.step("symlink " + fPath.getFileName());
                Files.createSymbolicLink(fPath, fLink);
            } else {
                place(hidden.resolve(pattern.single()), dir, pattern.single());
            }
            AtomicFile.forceDirectory(dir);
            delete(dir.resolve(pattern.index()));
            AtomicFile.forceDirectory(dir);
            TempFiles.deleteTree(hidden);
        } catch (IOException | RuntimeException e) {
            primary.addSuppressed(e);
        }
    }

    static void writeIndex(Path xPath, byte[] json) throws IOException {
        AtomicFile.write(xPath, ch -> {
            ByteBuffer b = ByteBuffer.wrap(json);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /**
     * Puts {@code src} at {@code dir/name} atomically: a hard link (else a copy) under a temporary name, given the
     * replaced file's mode, renamed over the name. A name that is a link to a regular file is written through
     * (a copy replaces the file it names).
     */
    static void place(Path src, Path dir, String name) throws IOException {
        Path target = dir.resolve(name);
        Path real = AtomicFile.resolveTarget(target);
        if (!real.equals(target.toAbsolutePath())) {
            AtomicFile.write(target, ch -> copy(src, ch));
            return;
        }
        if (exists(target) && Files.isSameFile(src, target)) {
            return; // placed already (an interrupted save being finished)
        }
        Path tmp = dir.resolve(TempFiles.newName(true));
        boolean done = false;
        try {
            link(src, tmp);
            AtomicFile.copyModeAndOwner(target, tmp);
            FsSteps.step("rename " + tmp.getFileName() + " -> " + name);
            try {
                AtomicFile.moveAtomic(tmp, target);
            } catch (IOException e) {
                throw AtomicFile.named(e, tmp, target);
            }
            done = true;
        } finally {
            if (!done || exists(tmp)) {
                Files.deleteIfExists(tmp); // rename(2) leaves both names when they are links of one file
            }
        }
    }

    /** A hard link {@code to} of {@code from}; a forced copy where the file system has no hard links. */
    private static void link(Path from, Path to) throws IOException {
        FsSteps.step("link " + from.getFileName() + " -> " + to.getFileName());
        try {
            Files.createLink(to, from);
            return;
        } catch (UnsupportedOperationException | FileSystemException noLinks) {
            if (noLinks instanceof NoSuchFileException) {
                throw (NoSuchFileException) noLinks;
            }
            Files.deleteIfExists(to);
        }
        try (FileChannel out = FileChannel.open(to, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            copy(from, out);
            out.force(true);
        } catch (IOException e) {
            Files.deleteIfExists(to);
            throw AtomicFile.named(e, to, from);
        }
    }

    private static void copy(Path from, FileChannel out) throws IOException {
        try (FileChannel in = FileChannel.open(from, StandardOpenOption.READ)) {
            long size = in.size();
            long pos = 0;
            while (pos < size) {
                long n = in.transferTo(pos, size - pos, out);
                if (n <= 0) {
                    throw new IOException("short copy of " + from);
                }
                pos += n;
            }
        }
    }

    private static void delete(Path p) throws IOException {
        if (exists(p)) {
            FsSteps.step("delete " + p.getFileName());
            Files.deleteIfExists(p);
        }
    }

    private static boolean exists(Path p) {
        return Files.exists(p, LinkOption.NOFOLLOW_LINKS);
    }

    /** The shard names an index file lists (empty when it cannot be read: then nothing old is worth keeping). */
    static Set<String> referencedFiles(Path index) {
        try {
            return new LinkedHashSet<>(Checkpoints.readIndex(index, "", dev.weightmap.OpenOptions.DEFAULT_MAX_INDEX_BYTES).weightMap().values());
        } catch (IOException | RuntimeException unreadable) {
            return Set.of();
        }
    }

    // ------------------------------------------------------------------------------------------------ recovery

    /** What {@link #recover} found and did. */
    record Recovery(List<Path> removed, long bytes, List<Path> kept, List<Path> finished) {
    }

    /**
     * Finishes the committed saves of writers that are gone (an index naming files inside a stale staging folder:
     * the files are put at their final names and the index rewritten, or a one-file index turned back into the
     * single file) and removes the stale temporary files and folders no index names. Temporary entries of live
     * writers are kept.
     *
     * @param dir    the folder
     * @param dryRun report only
     */
    static Recovery recover(Path dir, boolean dryRun) throws IOException {
        List<Path> finished = new ArrayList<>();
        Set<String> referenced = new LinkedHashSet<>();
        List<Path> indexes = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString()
                .endsWith(".index.json"))) {
            for (Path p : ds) {
                if (Files.isRegularFile(p)) {
                    indexes.add(p);
                }
            }
        }
        indexes.sort(null);
        for (Path index : indexes) {
            Set<String> refs = referencedFiles(index);
            Set<String> tempTops = new LinkedHashSet<>();
            for (String r : refs) {
                String top = r.split("[/\\\\]", 2)[0];
                if (r.length() > top.length() && TempFiles.isTempName(top)) {
                    tempTops.add(top);
                }
            }
            if (tempTops.isEmpty()) {
                continue;
            }
            boolean stale = true;
            for (String t : tempTops) {
                stale &= TempFiles.isStale(dir.resolve(t));
            }
            if (!stale || dryRun || !finish(dir, index, refs)) {
                referenced.addAll(tempTops);
            } else {
                finished.add(index);
            }
        }
        List<Path> removed = new ArrayList<>();
        List<Path> kept = new ArrayList<>();
        long bytes = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> TempFiles.isTempName(
                p.getFileName().toString()))) {
            List<Path> temps = new ArrayList<>();
            ds.forEach(temps::add);
            temps.sort(null);
            for (Path p : temps) {
                if (!TempFiles.isStale(p) || referenced.contains(p.getFileName().toString())) {
                    kept.add(p);
                    continue;
                }
                long b = TempFiles.bytesFreedByRemoving(p);
                if (!dryRun) {
                    TempFiles.deleteTree(p);
                }
                removed.add(p);
                bytes += b;
            }
        }
        if (!dryRun && !removed.isEmpty()) {
            AtomicFile.forceDirectory(dir);
        }
        return new Recovery(removed, bytes, kept, finished);
    }

    /** Rolls a committed save forward. False when the index cannot be rewritten safely (then it is left alone). */
    @SuppressWarnings("unchecked")
    private static boolean finish(Path dir, Path index, Set<String> refs) throws IOException {
        String name = index.getFileName().toString();
        String single = name.substring(0, name.length() - ".index.json".length());
        Set<String> finals = new LinkedHashSet<>();
        for (String r : refs) {
            finals.add(baseName(r));
        }
        if (finals.size() != refs.size()) {
            return false; // two references with one base name
        }
        for (String r : refs) {
            if (!Files.isRegularFile(dir.resolve(r))) {
                return false;
            }
        }
        // the interrupted save was past its commit: files of the pattern the index does not name are old ones it
        // had not deleted yet (as hub, any such file; a one-file checkpoint needs them gone for the glob rule)
        int dot = single.lastIndexOf('.');
        FilenamePattern pattern;
        try {
            pattern = FilenamePattern.of(dot <= 0 ? single + "{suffix}"
                    : single.substring(0, dot) + "{suffix}" + single.substring(dot));
        } catch (CheckpointException notOurs) {
            return false;
        }
        Set<String> keep = new LinkedHashSet<>(refs);
        keep.addAll(finals);
        keep.add(name);
        keep.add(single);
        StateDicts.deleteStaleFiles(dir, pattern, keep);
        if (refs.size() == 1 && finals.contains(single)) {
            // a one-file checkpoint saved through the index: back to the single file
            place(dir.resolve(refs.iterator().next()), dir, single);
            AtomicFile.forceDirectory(dir);
            delete(index);
            AtomicFile.forceDirectory(dir);
            return true;
        }
        Object root = JsonReader.parse(Files.readAllBytes(index));
        if (!(root instanceof Map<?, ?> m) || !(m.get("weight_map") instanceof Map<?, ?> wm)) {
            return false;
        }
        for (String r : refs) {
            if (!r.equals(baseName(r))) {
                place(dir.resolve(r), dir, baseName(r));
            }
        }
        AtomicFile.forceDirectory(dir);
        Map<String, Object> rewritten = new LinkedHashMap<>((Map<String, Object>) m);
        Map<String, Object> weightMap = new LinkedHashMap<>();
        ((Map<String, Object>) wm).forEach((k, v) -> weightMap.put(k, baseName((String) v)));
        rewritten.put("weight_map", weightMap);
        writeIndex(index, JsonWriter.python(2).write(rewritten).getBytes(StandardCharsets.UTF_8));
        return true;
    }

    private static String baseName(String ref) {
        int at = Math.max(ref.lastIndexOf('/'), ref.lastIndexOf('\\'));
        return ref.substring(at + 1);
    }
}
