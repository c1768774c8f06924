// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Locale;

/**
 * What a {@link WeightsFormat} may look at to rate an input: its path, whether it is a folder, its size, its first
 * bytes, and positional reads. Created by the opener; reads never touch a mapping.
 */
public final class Probe {
    /** How many leading bytes {@link #head()} holds at most. */
    public static final int HEAD = 4096;

    private final Path path;
    private final boolean directory;
    private final long size;
    private final byte[] head;
    private final FileChannel channel;

    /**
     * A probe of a folder.
     *
     * @param folder the folder
     * @return the probe
     */
    public static Probe ofFolder(Path folder) {
        return new Probe(folder, true, 0, new byte[0], null);
    }

    /**
     * A probe of an open file.
     *
     * @param file    the file
     * @param channel an open channel on it (the caller closes it)
     * @return the probe
     * @throws IOException when reading fails
     */
    public static Probe ofFile(Path file, FileChannel channel) throws IOException {
        long size = channel.size();
        int n = (int) Math.min(HEAD, size);
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b, b.position()) < 0) {
                break;
            }
        }
        byte[] head = new byte[b.position()];
        b.flip().get(head);
        return new Probe(file, false, size, head, channel);
    }

    private Probe(Path path, boolean directory, long size, byte[] head, FileChannel channel) {
        this.path = path;
        this.directory = directory;
        this.size = size;
        this.head = head;
        this.channel = channel;
    }

    /**
     * The input's path.
     *
     * @return the path as given
     */
    public Path path() {
        return path;
    }

    /**
     * The file name in lower case.
     *
     * @return the name, or an empty string
     */
    public String fileName() {
        Path n = path.getFileName();
        return n == null ? "" : n.toString().toLowerCase(Locale.ROOT);
    }

    /**
     * Whether the input is a folder.
     *
     * @return true for a folder
     */
    public boolean isDirectory() {
        return directory;
    }

    /**
     * The file's size.
     *
     * @return bytes (0 for a folder)
     */
    public long size() {
        return size;
    }

    /**
     * The first bytes of the file (at most {@link #HEAD}).
     *
     * @return a copy of them
     */
    public byte[] head() {
        return head.clone();
    }

    /**
     * The byte at {@code i} of {@link #head()}.
     *
     * @param i an index
     * @return the byte as 0..255, or -1 beyond the head
     */
    public int headByte(int i) {
        return i >= 0 && i < head.length ? head[i] & 0xFF : -1;
    }

    /**
     * How many bytes {@link #head()} holds.
     *
     * @return the count
     */
    public int headLength() {
        return head.length;
    }

    /**
     * Reads bytes at a position (fewer at the end of the file).
     *
     * @param position a file offset
     * @param length   at most this many bytes (at most 1 MiB)
     * @return the bytes read
     * @throws IOException when reading fails
     */
    public byte[] read(long position, int length) throws IOException {
        if (channel == null || position < 0 || position >= size) {
            return new byte[0];
        }
        int n = (int) Math.min(Math.min(length, 1 << 20), size - position);
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (channel.read(b, position + b.position()) < 0) {
                break;
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }
}
