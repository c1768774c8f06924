// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.bench;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Drops files from the page cache for cold-cache benchmarks, without root: {@code posix_fadvise(fd, 0, 0,
 * POSIX_FADV_DONTNEED)} through FFM on a descriptor opened by {@code open(2)} (Linux; the pages of a file that
 * is mapped somewhere stay). Not {@code /proc/sys/vm/drop_caches}: that needs root and empties every cache.
 */
final class Eviction {
    private static final int O_RDONLY = 0;
    private static final int POSIX_FADV_DONTNEED = 4;
    private static final Linker LINKER = Linker.nativeLinker();
    private static final MethodHandle OPEN = handle("open", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle FADVISE = handle("posix_fadvise", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));

    private Eviction() {
    }

    private static MethodHandle handle(String name, FunctionDescriptor d) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d);
    }

    /**
     * Evicts the files: forces them (dirty pages cannot be dropped), then advises DONTNEED.
     *
     * @param files the files
     * @throws IOException when a file cannot be opened or the advice fails
     */
    static void evict(List<Path> files) throws IOException {
        for (Path f : files) {
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                ch.force(false);
            }
            try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
                int fd = (int) OPEN.invokeExact(a.allocateFrom(f.toString()), O_RDONLY);
                if (fd < 0) {
                    throw new IOException("open failed: " + f);
                }
                int rc = (int) FADVISE.invokeExact(fd, 0L, 0L, POSIX_FADV_DONTNEED);
                int ignored = (int) CLOSE.invokeExact(fd);
                if (rc != 0) {
                    throw new IOException("posix_fadvise failed (" + rc + "): " + f);
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IOException(t);
            }
        }
    }
}
