// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.WeightmapException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Locale;
import java.util.Set;

/**
 * Atomic file writes: the content goes to a temporary file in the target's folder, is forced to disk and then
 * renamed over the target, and the folder is forced. After any failure the target is untouched and the temporary
 * file is gone. Safe while the target is memory-mapped by a reader (the old inode lives on until unmapped).
 *
 * <ul>
 *   <li><b>Files, not devices.</b> A target that exists and is not a regular file (a folder, device, FIFO or
 *       socket) is refused with {@code NOT_A_REGULAR_FILE} naming it, and left as it is. A target that is a
 *       symbolic link is written <em>through</em>: the file the link finally names is replaced (its temporary file
 *       goes to that file's folder) and the link stays a link; a link to a missing file or to anything but a
 *       regular file is refused ({@code NOT_A_REGULAR_FILE}).</li>
 *   <li><b>Modes.</b> A replaced file's permission bits are kept (and, where the process may, its owner and
 *       group). A new file is created with mode {@code 0666} filtered by the process umask, by the kernel (the
 *       temporary file is created with no explicit permissions), as {@code open(2)} and Python's {@code open}
 *       do.</li>
 *   <li><b>Temporary names</b> follow {@link TempFiles} ({@code .weightmap-tmp-<pid>-<start>-<random>.tmp});
 *       stale ones in the folder (their writer is gone) are removed before each write.</li>
 *   <li><b>Messages</b> name the target, never the temporary file: a folder that may not be written gives an
 *       {@link AccessDeniedException} for the target; a full disk gives an {@link IOException} reading
 *       {@code no space left on device writing <target>}.</li>
 * </ul>
 */
public final class AtomicFile {
    private AtomicFile() {
    }

    /** Writes the content of a file through a channel positioned at 0. */
    @FunctionalInterface
    public interface Body {
        /**
         * Writes the whole content.
         *
         * @param out the temporary file, positioned at 0
         * @throws IOException when writing fails
         */
        void write(FileChannel out) throws IOException;
    }

    /**
     * Writes {@code target} atomically with the content {@code body} produces.
     *
     * @param target the file to create or replace
     * @param body   writes the content
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE} when the target is not a regular file (or a link to one)
     * @throws IOException        when writing fails (the message names the target)
     */
    public static void write(Path target, Body body) throws IOException {
        write(target, true, body);
    }

    /**
     * Like {@link #write(Path, Body)}; with {@code durable} false nothing is forced to disk (neither the file nor the
     * folder), for scratch files that need not survive a power loss: the rename is still atomic, so readers see the
     * old content or the new, never a partial file.
     *
     * @param target  the file to create or replace
     * @param durable whether to force the file and its folder to disk
     * @param body    writes the content
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE} when the target is not a regular file (or a link to one)
     * @throws IOException        when writing fails (the message names the target)
     */
    public static void write(Path target, boolean durable, Body body) throws IOException {
        Path dest = resolveTarget(target);
        Path dir = dest.getParent();
        TempFiles.removeStaleFiles(dir);
        Path tmp = dir.resolve(TempFiles.newName(true));
        FsSteps.step("create " + tmp.getFileName() + " for " + dest.getFileName());
        FileChannel ch;
        try {
            ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw named(e, tmp, dest);
        }
        boolean done = false;
        try {
            try (ch) {
                try (DeferredForce.Flushing early = DeferredForce.flushWhileWriting(ch, durable)) {
                    body.write(ch);
                    FsSteps.afterContent(dest);
                }
                if (durable) {
                    FsSteps.step("force " + tmp.getFileName());
                    ch.force(true);
                }
            } catch (IOException e) {
                throw named(e, tmp, dest);
            }
            copyModeAndOwner(dest, tmp);
            FsSteps.step("rename " + tmp.getFileName() + " -> " + dest.getFileName());
            try {
                moveAtomic(tmp, dest);
            } catch (IOException e) {
                throw named(e, tmp, dest);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
        if (durable) {
            forceDirectory(dir);
        }
    }

    /**
     * The path a write to {@code target} replaces: {@code target} itself when it is missing or a regular file, the
     * file a symbolic link finally names when that is a regular file.
     *
     * @param target the target as given
     * @return the absolute path to write
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE} otherwise
     * @throws IOException        when the target cannot be examined
     */
    public static Path resolveTarget(Path target) throws IOException {
        Path abs = target.toAbsolutePath();
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(abs, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException missing) {
            return abs;
        }
        if (a.isRegularFile()) {
            return abs;
        }
        if (a.isSymbolicLink()) {
            Path real;
            try {
                real = abs.toRealPath();
            } catch (NoSuchFileException dangling) {
                throw notRegular(abs, "is a symbolic link to a missing file (" + Files.readSymbolicLink(abs)
                        + "); weightmap writes through links only to existing regular files");
            }
            if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
                throw notRegular(abs, "is a symbolic link to " + real + ", which is " + kind(real)
                        + ", not a regular file");
            }
            return real;
        }
        throw notRegular(abs, "is " + kind(abs) + ", not a regular file");
    }

    /**
     * Refuses a path that exists and is not a regular file (links included: a multi-file save never writes
     * through them).
     *
     * @param p a path inside a folder being written
     * @throws WeightmapException {@code NOT_A_REGULAR_FILE}
     */
    public static void requireRegularOrMissing(Path p) {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException missing) {
            return;
        }
        if (a.isSymbolicLink()) {
            throw notRegular(p, "is a symbolic link; a checkpoint folder save replaces its files by renames and"
                    + " never writes through links (remove the link or save elsewhere)");
        }
        if (!a.isRegularFile()) {
            throw notRegular(p, "is " + kind(p) + ", not a regular file");
        }
    }

    private static WeightmapException notRegular(Path p, String what) {
        return new WeightmapException(WeightmapException.Common.NOT_A_REGULAR_FILE, p.toString(), null,
                "refusing to write " + p + ": it " + what, null);
    }

    /** "a folder", "a character device", ... */
    static String kind(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (a.isDirectory()) {
                return "a folder";
            }
            if (a.isSymbolicLink()) {
                return "a symbolic link";
            }
            if (a.isRegularFile()) {
                return "a regular file";
            }
            int mode = (Integer) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            return switch (mode & 0170000) {
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0010000 -> "a FIFO (named pipe)";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | RuntimeException e) {
            return "a special file";
        }
    }

    /**
     * Gives {@code fresh} the permission bits (and, where allowed, owner and group) of {@code old} when {@code old}
     * exists; otherwise leaves the umask-filtered mode {@code fresh} was created with.
     *
     * @param old   the file being replaced (may be missing)
     * @param fresh the new file
     * @throws IOException when the permission bits cannot be set
     */
    public static void copyModeAndOwner(Path old, Path fresh) throws IOException {
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(old, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException | UnsupportedOperationException missingOrNotPosix) {
            return;
        }
        FsSteps.step("chmod " + fresh.getFileName());
        Files.setPosixFilePermissions(fresh, mode);
        try {
            Object uid = Files.getAttribute(old, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            Object gid = Files.getAttribute(old, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            if (!gid.equals(Files.getAttribute(fresh, "unix:gid", LinkOption.NOFOLLOW_LINKS))) {
                Files.setAttribute(fresh, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
            }
            if (!uid.equals(Files.getAttribute(fresh, "unix:uid", LinkOption.NOFOLLOW_LINKS))) {
                Files.setAttribute(fresh, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
            }
            Files.setPosixFilePermissions(fresh, mode); // chown clears set-id bits on some systems
        } catch (IOException | RuntimeException notAllowed) {
            // owner and group are kept only where the process may set them
        }
    }

    /**
     * Renames {@code from} over {@code to} (atomically where the file system can).
     *
     * @param from the new file
     * @param to   its final name
     * @throws IOException when the rename fails
     */
    public static void moveAtomic(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /**
     * Forces a folder's entries to disk (fsync of the folder), so renames, links and deletions in it survive a
     * power loss in order. Ignored where the platform cannot open folders (Windows).
     *
     * @param dir the folder
     */
    public static void forceDirectory(Path dir) {
        FsSteps.step("fsync folder " + dir.getFileName());
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException notSupported) {
            // best effort where folders cannot be opened
        }
    }

    /**
     * The failure {@code e} of writing {@code tmp} (the temporary file of {@code dest}), told about {@code dest}.
     *
     * @param e    the failure
     * @param tmp  the temporary file
     * @param dest the target
     * @return the exception to throw
     */
    public static IOException named(IOException e, Path tmp, Path dest) {
        String msg = e.getMessage() == null ? "" : e.getMessage();
        String lower = msg.toLowerCase(Locale.ROOT);
        if (lower.contains("no space left on device") || lower.contains("disk quota exceeded")
                || lower.contains("file too large")) {
            String what = lower.contains("quota") ? "disk quota exceeded" : lower.contains("too large")
                    ? "file too large for the file system" : "no space left on device";
            return new IOException(what + " writing " + dest, e);
        }
        if (e instanceof FileSystemException fse && fse.getFile() != null
                && (fse.getFile().equals(tmp.toString()) || fse.getFile().equals(tmp.getFileName().toString()))) {
            String reason = fse.getReason();
            if (e instanceof AccessDeniedException) {
                return (IOException) new AccessDeniedException(dest.toString(), null,
                        "cannot create or replace the file in folder " + dest.getParent()).initCause(e);
            }
            if (e instanceof NoSuchFileException) {
                return (IOException) new NoSuchFileException(dest.toString(), null,
                        "its folder does not exist").initCause(e);
            }
            return (IOException) new FileSystemException(dest.toString(), null,
                    reason == null ? "cannot be written" : reason).initCause(e);
        }
        return e; // a failure of the content's source (it names what failed) passes through unchanged
    }
}
