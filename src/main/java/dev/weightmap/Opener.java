// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * {@link Weights#open(Path, OpenOptions)}: detection by content over the library's own formats, then the formats
 * other libraries register with the service loader.
 */
final class Opener {
    private Opener() {
    }

    /**
     * The library's own formats, by class name, in the order they are asked (the order of its service file).
     * They are loaded by name rather than found by the service loader: on the class path that lookup reads
     * every jar's service files, ~10 ms of a fresh process's first open (see "Cold start" in
     * {@code docs/ARCHITECTURE.md}); by name, as with the service loader, the front door imports no format.
     */
    private static final String[] BUILT_IN = {
        "dev.weightmap.safetensors.SafetensorsFormat",
        "dev.weightmap.dduf.DdufFormat",
        "dev.weightmap.torch.TorchFormat",
        "dev.weightmap.shard.ShardedFormat",
        "dev.weightmap.gguf.GgufFormat",
    };

    /** The library's own formats, loaded once. */
    private static final class BuiltIn {
        static final List<WeightsFormat> ALL = load();

        private static List<WeightsFormat> load() {
            List<WeightsFormat> out = new ArrayList<>();
            for (String name : BUILT_IN) {
                try {
                    Class<?> c = Class.forName(name, true, Opener.class.getClassLoader());
                    out.add((WeightsFormat) c.getConstructor().newInstance());
                } catch (ClassNotFoundException e) {
                    // a trimmed build without this format: the service loader still finds whatever is registered
                } catch (ReflectiveOperationException | ClassCastException e) {
                    throw new IllegalStateException("cannot load the built-in format " + name, e);
                }
            }
            return List.copyOf(out);
        }
    }

    /** The formats registered with the service loader that are not built in, found on first need. */
    private static final class Registered {
        static final List<WeightsFormat> ALL = load();

        private static List<WeightsFormat> load() {
            java.util.Set<Class<?>> builtIn = new java.util.HashSet<>();
            for (WeightsFormat f : BuiltIn.ALL) {
                builtIn.add(f.getClass());
            }
            List<WeightsFormat> out = new ArrayList<>();
            for (WeightsFormat f : ServiceLoader.load(WeightsFormat.class, Opener.class.getClassLoader())) {
                if (!builtIn.contains(f.getClass())) {
                    out.add(f);
                }
            }
            return List.copyOf(out);
        }
    }

    /** The built-in formats, in the order they are asked (for the test that keeps them equal to the service file). */
    static List<WeightsFormat> builtIn() {
        return BuiltIn.ALL;
    }

    static Weights open(Path path, OpenOptions options) throws IOException {
        return open(path, options, null);
    }

    /**
     * Opens {@code path} with the format of {@code formats} (null: the built-in, then the registered formats) that
     * claims it most strongly. A file is opened and
     * stat'ed once: the probe holds the open channel, which the chosen format may take over (see
     * {@link Probe#takeChannel()}); a channel it did not take is closed here, whether its open returned or threw.
     */
    static Weights open(Path path, OpenOptions options, List<WeightsFormat> formats) throws IOException {
        if (options == null) {
            options = OpenOptions.defaults();
        }
        BasicFileAttributes a = attributes(path);
        if (a.isDirectory()) {
            Probe probe = Probe.ofFolder(path);
            return open(path, pick(path, probe, formats), probe, options);
        }
        dev.weightmap.internal.io.FileStreamer.requireRegularFile(path, a); // devices, FIFOs, sockets, /proc files
        FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
        Probe probe = null;
        try {
            probe = Probe.ofFile(path, ch, a.fileKey());
            return open(path, pick(path, probe, formats), probe, options);
        } finally {
            if (probe == null || !probe.channelTaken()) {
                try {
                    ch.close();
                } catch (IOException e) {
                    // a read-only channel: nothing is lost, and the opened reader must not be dropped for it
                }
            }
        }
    }

    private static Weights open(Path path, WeightsFormat f, Probe probe, OpenOptions options) throws IOException {
        try {
            return f.open(probe, options);
        } catch (WeightmapException e) {
            throw e.inFile(path.toString());
        } catch (InternalError e) { // a read of the mapping while another program truncated the file
            throw dev.weightmap.internal.io.FileStreamer.faulted(path.toString(), e);
        }
    }

    private static BasicFileAttributes attributes(Path path) throws IOException {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(path.toString(), null, "no such file or folder: " + path);
        }
    }

    /** The format that claims {@code path} most strongly; throws when none does. */
    static WeightsFormat detect(Path path) throws IOException {
        BasicFileAttributes a = attributes(path);
        if (a.isDirectory()) {
            return pick(path, Probe.ofFolder(path), null);
        }
        dev.weightmap.internal.io.FileStreamer.requireRegularFile(path, a); // devices, FIFOs, sockets, /proc files
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            return pick(path, Probe.ofFile(path, ch, a.fileKey()), null);
        }
    }

    /**
     * The format that claims the input most strongly, ties going to the first asked: the given formats, or (null)
     * the built-in ones and, unless one of them claims the content, the registered ones after them.
     */
    private static WeightsFormat pick(Path path, Probe probe, List<WeightsFormat> formats) throws IOException {
        Claim claim = strongest(formats != null ? formats : BuiltIn.ALL, probe, new Claim(null, WeightsFormat.NONE));
        if (formats == null && claim.score() < WeightsFormat.CONTENT) {
            claim = strongest(Registered.ALL, probe, claim);
        }
        WeightsFormat best = claim.format();
        int bestScore = claim.score();
        if (bestScore < WeightsFormat.CONTENT && isGguf(probe)) {
            // the magic is content: a name (model.safetensors, x.bin) must not make a GGUF file another format
            throw new WeightmapException(WeightmapException.Common.UNSUPPORTED_FORMAT, path.toString(), null, path
                    + ": a GGUF file (magic 'GGUF'), but no GGUF reader is registered as a WeightsFormat here", null);
        }
        if (best != null && bestScore <= WeightsFormat.NAME && !probe.isDirectory() && isDownloadMistake(probe)) {
            // only the name claims it, and the content is a web page or an LFS pointer: say so, rather than report
            // how the format's parser fails on it (a safetensors "header length" of 5789751444030890300 bytes)
            throw new WeightmapException(WeightmapException.Common.UNKNOWN_FORMAT, path.toString(), null, path
                    + ": not a format weightmap reads (" + describe(probe) + "), although its name says "
                    + best.name(), null);
        }
        if (best == null) {
            throw new WeightmapException(WeightmapException.Common.UNKNOWN_FORMAT, path.toString(), null, path
                    + ": not a format weightmap reads (" + (probe.isDirectory() ? "a folder holding no checkpoint"
                    : describe(probe)) + ")", null);
        }
        return best;
    }

    /** A format and how strongly it claims the input ({@code format} null: none has yet). */
    private record Claim(WeightsFormat format, int score) {
    }

    /** The strongest of {@code so far} and the claims of {@code formats}, asked in order; ties keep the earlier. */
    private static Claim strongest(List<WeightsFormat> formats, Probe probe, Claim soFar) throws IOException {
        Claim best = soFar;
        for (WeightsFormat f : formats) {
            int s = f.detect(probe);
            if (s > best.score()) {
                best = new Claim(f, s);
                if (s >= WeightsFormat.CONTENT) {
                    break; // the strongest claim: later formats could only tie, and ties go to the first
                }
            }
        }
        return best;
    }

    private static boolean isGguf(Probe p) {
        return !p.isDirectory() && p.headByte(0) == 'G' && p.headByte(1) == 'G' && p.headByte(2) == 'U'
                && p.headByte(3) == 'F';
    }

    /** Whether the file is what a failed download leaves under the model's name: an HTML page, a Git LFS pointer. */
    private static boolean isDownloadMistake(Probe p) {
        String d = describe(p);
        return d.startsWith("an HTML page") || d.startsWith("a Git LFS pointer");
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
}
