// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The names of weightmap's temporary files and folders, and their recovery.
 *
 * <p>Every temporary entry weightmap creates is named
 * {@code .weightmap-tmp-<pid>-<start>-<random>} (a folder: the staging folder of a checkpoint save) or
 * {@code .weightmap-tmp-<pid>-<start>-<random>.tmp} (a file: the content of one atomic write), where
 * {@code <pid>} is the writing process's id and {@code <start>} its start time in milliseconds since the epoch
 * ({@code ProcessHandle.current().info().startInstant()}, 0 when the platform does not tell). The names never end
 * in a model extension, so globs such as hub's {@code *.safetensors} never see them.
 *
 * <p>An entry is <em>stale</em> when its owner is gone: no live process has that pid, or the live one started at
 * another time (more than {@value #START_TOLERANCE_MS} ms apart: the pid was reused). When the start time is not
 * known on either side, a live pid counts as the owner (kept). Names from earlier versions carry no owner:
 * {@code .weightmap-staging-<hex>} folders and {@code .<name>.<digits>.tmp} files whose {@code <name>} ends in an
 * extension weightmap writes; they count as stale once unmodified for {@value #OLD_STYLE_AGE_MINUTES} minutes.
 * Pids are those of this machine's pid namespace: do not share a folder being written between machines or
 * containers.
 */
public final class TempFiles {
    /** The prefix of every temporary name. */
    public static final String PREFIX = ".weightmap-tmp-";
    /** The suffix of temporary files (folders have none). */
    public static final String FILE_SUFFIX = ".tmp";

    static final long START_TOLERANCE_MS = 2000;
    static final long OLD_STYLE_AGE_MINUTES = 15;

    private static final Pattern NAME = Pattern.compile(
            "\\.weightmap-tmp-(\\d{1,19})-(\\d{1,19})-([0-9a-f]{1,16})(\\.tmp)?");
    private static final Pattern OLD_STAGING = Pattern.compile("\\.weightmap-staging-[0-9a-f]{1,16}");
    private static final Pattern OLD_FILE = Pattern.compile(
            "\\..+\\.(safetensors|bin|pt|pth|ckpt|dduf|json|sha256|txt)\\.\\d{1,20}\\.tmp");

    private static final long PID = ProcessHandle.current().pid();
    private static final long START = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli)
            .orElse(0L);

    private TempFiles() {
    }

    /**
     * A new temporary name owned by this process.
     *
     * @param file true for a file ({@code .tmp} suffix), false for a folder
     * @return the name (no folder)
     */
    public static String newName(boolean file) {
        return PREFIX + PID + "-" + START + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + (file ? FILE_SUFFIX : "");
    }

    /**
     * Whether {@code name} is one of weightmap's temporary names, new style or old.
     *
     * @param name a file name
     * @return true for a temporary name
     */
    public static boolean isTempName(String name) {
        return NAME.matcher(name).matches() || OLD_STAGING.matcher(name).matches()
                || OLD_FILE.matcher(name).matches();
    }

    /**
     * Whether the temporary entry {@code p} is stale (its owner is gone). Not a temporary name: false.
     *
     * @param p a path whose file name may be a temporary name
     * @return true when it is ours and no longer owned by a live writer
     */
    public static boolean isStale(Path p) {
        String name = p.getFileName().toString();
        Matcher m = NAME.matcher(name);
        if (m.matches()) {
            long pid;
            long start;
            try {
                pid = Long.parseLong(m.group(1));
                start = Long.parseLong(m.group(2));
            } catch (NumberFormatException e) {
                return false;
            }
            return !ownerAlive(pid, start);
        }
        if (OLD_STAGING.matcher(name).matches() || OLD_FILE.matcher(name).matches()) {
            try {
                long age = System.currentTimeMillis()
                        - Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis();
                return age >= OLD_STYLE_AGE_MINUTES * 60_000;
            } catch (IOException e) {
                return false;
            }
        }
        return false;
    }

    static boolean ownerAlive(long pid, long start) {
        if (pid == PID) {
            return start == 0 || START == 0 || Math.abs(start - START) <= START_TOLERANCE_MS;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        Optional<Instant> s = h.get().info().startInstant();
        if (s.isEmpty() || start == 0) {
            return true; // cannot tell a reused pid from the owner: keep
        }
        return Math.abs(s.get().toEpochMilli() - start) <= START_TOLERANCE_MS;
    }

    /**
     * The stale temporary entries directly inside {@code dir}, in name order.
     *
     * @param dir a folder
     * @return stale entries (files and folders)
     * @throws IOException when the folder cannot be listed
     */
    public static List<Path> staleEntries(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> isTempName(p.getFileName().toString()))) {
            for (Path p : ds) {
                if (isStale(p)) {
                    out.add(p);
                }
            }
        }
        out.sort(null);
        return out;
    }

    /**
     * Removes the stale temporary entries directly inside {@code dir}: files, and folders that no index file of
     * the folder ({@code *.index.json}) mentions by name (a staging folder an index names holds a committed
     * checkpoint: a checkpoint save, or {@code weightmap clean}, finishes it; see {@code StateDicts.save}).
     * Failures are ignored: this is housekeeping done on the way to another write.
     *
     * @param dir a folder
     */
    public static void removeStaleFiles(Path dir) {
        try {
            List<Path> stale = staleEntries(dir);
            if (stale.isEmpty()) {
                return;
            }
            Optional<String> indexes = null;
            for (Path p : stale) {
                if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                    FsSteps.step("delete stale " + p.getFileName());
                    Files.deleteIfExists(p);
                } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    if (indexes == null) {
                        indexes = indexTexts(dir);
                    }
                    if (indexes.isPresent() && !indexes.get().contains(p.getFileName().toString())) {
                        deleteTree(p);
                    }
                }
            }
        } catch (IOException | RuntimeException ignored) {
            // housekeeping only
        }
    }

    /** The text of every index file of {@code dir}; empty (keep every folder) when one is over 64 MB. */
    private static Optional<String> indexTexts(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, p -> p.getFileName().toString()
                .endsWith(".index.json"))) {
            for (Path p : ds) {
                if (Files.size(p) > (64L << 20)) {
                    return Optional.empty();
                }
                sb.append(new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1))
                        .append('\n');
            }
        }
        return Optional.of(sb.toString());
    }

    /**
     * The bytes removing {@code p} (a file or a folder tree, links not followed) would free: the sizes of its
     * regular files that have no other hard link.
     *
     * @param p a file or folder
     * @return bytes
     * @throws IOException when the tree cannot be read
     */
    public static long bytesFreedByRemoving(Path p) throws IOException {
        long[] sum = {0};
        Files.walkFileTree(p, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                if (a.isRegularFile()) {
                    sum[0] += linkCount(f) <= 1 ? a.size() : 0;
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path f, IOException e) {
                return FileVisitResult.CONTINUE;
            }
        });
        return sum[0];
    }

    private static int linkCount(Path f) {
        try {
            return (Integer) Files.getAttribute(f, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            return 1;
        }
    }

    /**
     * Deletes a file or a folder tree (links are deleted, never followed).
     *
     * @param p a file or folder; a missing one is fine
     * @throws IOException when something cannot be deleted
     */
    public static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(p, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                    FsSteps.step("delete " + f.getFileName());
                    Files.deleteIfExists(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null) {
                        throw e;
                    }
                    FsSteps.step("rmdir " + d.getFileName());
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException gone) {
            // removed concurrently
        }
    }
}
