// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a {@link WeightsFormat} may look at to rate an input: its path, whether it is a folder, its size, its first
 * bytes, and positional reads. Created by the opener; reads never touch a mapping.
 *
 * <p>A probe of a file holds the opener's open channel on it. The format chosen may {@linkplain #takeChannel() take}
 * that channel in {@link WeightsFormat#open(Probe, dev.weightmap.OpenOptions)}, so that the file is opened and
 * examined once: the format then owns the channel and closes it, also when its open fails. A channel nobody took
 * is closed by the opener once the format's open returns or throws.
 */
public final class Probe {
    /** How many leading bytes {@link #head()} holds at most. */
    public static final int HEAD = 4096;

    private final Path path;
    private final boolean directory;
    private final long size;
    private final byte[] head;
    private final FileChannel channel;
    private final Object fileKey;
    private boolean channelTaken;
    private List<String> zipNames;

    /**
     * A probe of a folder.
     *
     * @param folder the folder
     * @return the probe
     */
    public static Probe ofFolder(Path folder) {
        return new Probe(folder, true, 0, new byte[0], null, null);
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
        return ofFile(file, channel, null);
    }

    /**
     * A probe of an open file whose identity is known.
     *
     * @param file    the file
     * @param channel an open channel on it (the caller closes it unless a format {@linkplain #takeChannel() takes}
     *                it)
     * @param fileKey the file's {@link java.nio.file.attribute.BasicFileAttributes#fileKey()}, or null
     * @return the probe
     * @throws IOException when reading fails
     */
    public static Probe ofFile(Path file, FileChannel channel, Object fileKey) throws IOException {
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
        return new Probe(file, false, size, head, channel, fileKey);
    }

    private Probe(Path path, boolean directory, long size, byte[] head, FileChannel channel, Object fileKey) {
        this.path = path;
        this.directory = directory;
        this.size = size;
        this.head = head;
        this.channel = channel;
        this.fileKey = fileKey;
    }

    /**
     * Hands the probe's open channel to the caller, which from now on owns it: it closes the channel when done,
     * and also when its open fails; whoever created the probe no longer closes it. The channel was opened for
     * reading when the probe was made, and {@link #size()} and {@link #head()} were read through it.
     *
     * @return the channel, or null for a folder, a probe made without one, or when it was already taken
     */
    public FileChannel takeChannel() {
        if (channel == null || channelTaken) {
            return null;
        }
        channelTaken = true;
        return channel;
    }

    /**
     * Whether {@link #takeChannel()} handed the channel over: the probe's creator closes the channel only when not.
     *
     * @return true once taken
     */
    public boolean channelTaken() {
        return channelTaken;
    }

    /**
     * The file's identity as the opener read it before opening the file.
     *
     * @return its {@link java.nio.file.attribute.BasicFileAttributes#fileKey()}, or null when unknown (or for a
     *         folder)
     */
    public Object fileKey() {
        return fileKey;
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

    /** At most this many bytes of a central directory are read by {@link #zipNames()}. */
    public static final int MAX_CENTRAL_DIRECTORY = 1 << 20;
    /** At most this many names are returned by {@link #zipNames()}. */
    public static final int MAX_ZIP_NAMES = 16384;

    /**
     * Whether the file looks like a ZIP archive: a local header signature ({@code PK\3\4}) at offset 0, or an
     * end-of-central-directory record in its last 64 KiB.
     *
     * @return true for a ZIP archive
     * @throws IOException when reading fails
     */
    public boolean isZip() throws IOException {
        if (directory) {
            return false;
        }
        if (headByte(0) == 'P' && headByte(1) == 'K' && headByte(2) == 3 && headByte(3) == 4) {
            return true;
        }
        return !zipNames().isEmpty();
    }

    /**
     * The entry names of a ZIP archive's central directory, in directory order, read with bounded positional reads
     * (the end record in the last 64 KiB, ZIP64 end records, at most {@link #MAX_CENTRAL_DIRECTORY} bytes of the
     * directory and {@link #MAX_ZIP_NAMES} names). Cached.
     *
     * @return the names, or an empty list when the file is no ZIP archive (or the records are damaged)
     * @throws IOException when reading fails
     */
    public List<String> zipNames() throws IOException {
        if (zipNames == null) {
            zipNames = readZipNames();
        }
        return zipNames;
    }

    private List<String> readZipNames() throws IOException {
        if (directory || size < 22) {
            return List.of();
        }
        int tailLength = (int) Math.min(size, 22 + 65535);
        long tailStart = size - tailLength;
        ByteBuffer tail = ByteBuffer.wrap(read(tailStart, tailLength)).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = -1;
        for (int i = tail.limit() - 22; i >= 0; i--) {
            if (tail.getInt(i) == 0x06054b50) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) {
            return List.of();
        }
        long entries = tail.getShort(eocd + 10) & 0xFFFFL;
        long cdSize = tail.getInt(eocd + 12) & 0xFFFFFFFFL;
        long cdOffset = tail.getInt(eocd + 16) & 0xFFFFFFFFL;
        if (entries == 0xFFFF || cdSize == 0xFFFFFFFFL || cdOffset == 0xFFFFFFFFL) {
            long locator = tailStart + eocd - 20;
            ByteBuffer loc = ByteBuffer.wrap(read(locator, 20)).order(ByteOrder.LITTLE_ENDIAN);
            if (loc.limit() < 20 || loc.getInt(0) != 0x07064b50) {
                return List.of();
            }
            long end64 = loc.getLong(8);
            ByteBuffer e64 = ByteBuffer.wrap(read(end64, 56)).order(ByteOrder.LITTLE_ENDIAN);
            if (e64.limit() < 56 || e64.getInt(0) != 0x06064b50) {
                return List.of();
            }
            entries = e64.getLong(32);
            cdSize = e64.getLong(40);
            cdOffset = e64.getLong(48);
        }
        if (cdOffset < 0 || cdSize < 0 || cdOffset >= size) {
            return List.of();
        }
        ByteBuffer cd = ByteBuffer.wrap(read(cdOffset, (int) Math.min(cdSize, MAX_CENTRAL_DIRECTORY)))
                .order(ByteOrder.LITTLE_ENDIAN);
        List<String> names = new ArrayList<>();
        int p = 0;
        while (names.size() < Math.min(entries, MAX_ZIP_NAMES) && p + 46 <= cd.limit() && cd.getInt(p) == 0x02014b50) {
            int nameLength = cd.getShort(p + 28) & 0xFFFF;
            int extra = cd.getShort(p + 30) & 0xFFFF;
            int comment = cd.getShort(p + 32) & 0xFFFF;
            if (p + 46 + nameLength > cd.limit()) {
                break;
            }
            names.add(new String(cd.array(), p + 46, nameLength, StandardCharsets.UTF_8));
            p += 46 + nameLength + extra + comment;
        }
        return List.copyOf(names);
    }

    /**
     * Whether the file starts, after JSON whitespace, with {@code c}.
     *
     * @param c an ASCII character
     * @return true when the first non-whitespace byte of {@link #head()} is {@code c}
     */
    public boolean startsWithJson(char c) {
        for (byte b : head) {
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                continue;
            }
            return b == c;
        }
        return false;
    }
}
