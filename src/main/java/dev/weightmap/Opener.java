// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/** {@link Weights#open(Path, OpenOptions)}: detection by content over the formats found by the service loader. */
final class Opener {
    private Opener() {
    }

    /** The formats, loaded once. */
    private static final class Formats {
        static final List<WeightsFormat> ALL = load();

        private static List<WeightsFormat> load() {
            List<WeightsFormat> out = new ArrayList<>();
            for (WeightsFormat f : ServiceLoader.load(WeightsFormat.class, Opener.class.getClassLoader())) {
                out.add(f);
            }
            return List.copyOf(out);
        }
    }

    /**
     * The formats {@link Weights#open} knows, in service-loader order.
     *
     * @return the formats
     */
    static List<WeightsFormat> formats() {
        return Formats.ALL;
    }

    static Weights open(Path path, OpenOptions options) throws IOException {
        if (options == null) {
            options = OpenOptions.defaults();
        }
        WeightsFormat f = detect(path);
        try {
            return f.open(path, options);
        } catch (WeightmapException e) {
            throw e.inFile(path.toString());
        }
    }

    /** The format that claims {@code path} most strongly; throws when none does. */
    static WeightsFormat detect(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file or folder: " + path);
        }
        if (a.isDirectory()) {
            return pick(path, Probe.ofFolder(path));
        }
        if (!a.isRegularFile()) {
            throw new WeightmapException(WeightmapException.Common.NOT_A_REGULAR_FILE, path.toString(), null, path
                    + ": not a regular file (" + kind(path) + ")", null);
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return pick(path, Probe.ofFile(path, ch));
        }
    }

    private static WeightsFormat pick(Path path, Probe probe) throws IOException {
        WeightsFormat best = null;
        int bestScore = WeightsFormat.NONE;
        for (WeightsFormat f : formats()) {
            int s = f.detect(probe);
            if (s > bestScore) {
                best = f;
                bestScore = s;
            }
        }
        if (best == null) {
            throw new WeightmapException(WeightmapException.Common.UNKNOWN_FORMAT, path.toString(), null, path
                    + ": not a format weightmap reads (" + (probe.isDirectory() ? "a folder holding no checkpoint"
                    : describe(probe)) + ")", null);
        }
        return best;
    }

    /** What the first bytes of an unrecognised file look like, for the UNKNOWN_FORMAT message. */
    static String describe(Probe p) {
        int n = p.headLength();
        if (p.size() == 0) {
            return "an empty file";
        }
        byte[] h = p.head();
        String text = new String(h, 0, Math.min(n, 512), StandardCharsets.UTF_8).stripLeading().toLowerCase(java.util.Locale.ROOT);
        if (text.startsWith("<!doctype html") || text.startsWith("<html")) {
            return "an HTML page, " + p.size() + " bytes: perhaps an error page saved instead of the file";
        }
        if (text.startsWith("version https://git-lfs")) {
            return "a Git LFS pointer file, " + p.size() + " bytes: the real file was not downloaded";
        }
        if (text.startsWith("{") || text.startsWith("[")) {
            return "JSON text, " + p.size() + " bytes, that is not an index file";
        }
        int printable = 0;
        for (int i = 0; i < Math.min(n, 512); i++) {
            int c = h[i] & 0xFF;
            if (c == '\n' || c == '\r' || c == '\t' || (c >= 0x20 && c != 0x7F)) {
                printable++;
            }
        }
        if (printable == Math.min(n, 512)) {
            return "text, " + p.size() + " bytes";
        }
        StringBuilder hex = new StringBuilder();
        for (int i = 0; i < Math.min(n, 8); i++) {
            hex.append(String.format("%02x", h[i] & 0xFF));
        }
        return "binary data, " + p.size() + " bytes, starting " + hex;
    }

    private static String kind(Path path) {
        try {
            Object mode = Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            int m = (Integer) mode & 0170000;
            return switch (m) {
                case 0010000 -> "a FIFO";
                case 0020000 -> "a character device";
                case 0060000 -> "a block device";
                case 0140000 -> "a socket";
                default -> "a special file";
            };
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "a special file";
        }
    }
}
