// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The bytes an operation has written into a folder so far, for progress of writers that report none: the sizes
 * of the regular files in the folder (and one level of sub-folders, where staged or temporary files are) that are
 * new or changed since this object was made. Files present before and left alone do not count.
 */
final class WrittenBytes implements LongSupplier {
    private static final int DEPTH = 2;

    private record Stamp(long size, FileTime modified) {
    }

    private final Path folder;
    private final Map<Path, Stamp> before;

    /**
     * Takes the snapshot of {@code folder} that later counts are relative to.
     *
     * @param folder the folder the operation writes into (it may not exist yet)
     */
    WrittenBytes(Path folder) {
        this.folder = folder;
        this.before = scan();
    }

    @Override
    public long getAsLong() {
        long total = 0;
        for (Map.Entry<Path, Stamp> e : scan().entrySet()) {
            if (!e.getValue().equals(before.get(e.getKey()))) {
                total += e.getValue().size();
            }
        }
        return total;
    }

    private Map<Path, Stamp> scan() {
        Map<Path, Stamp> files = new HashMap<>();
        if (!Files.isDirectory(folder)) {
            return files;
        }
        try (Stream<Path> s = Files.walk(folder, DEPTH)) {
            s.forEach(p -> {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        files.put(p, new Stamp(a.size(), a.lastModifiedTime()));
                    }
                } catch (NoSuchFileException gone) {
                    // renamed or removed while we looked
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // a folder changing under the walk: count what was seen
        }
        return files;
    }
}
