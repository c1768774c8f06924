// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import dev.weightmap.internal.tensor.MappedTensors;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.DType;
import dev.weightmap.tensor.Tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One file inside a DDUF archive (hub's {@code DDUFEntry}): its name, the absolute offset and length of its
 * stored bytes, and its CRC-32 as recorded in the central directory. {@link #segment()} is a zero-copy slice of
 * the archive's mapping, valid until the {@link DdufFile} is closed.
 */
public final class DdufEntry {
    private final DdufFile file;
    private final String name;
    private final long offset;
    private final long length;
    private final long crc32;

    DdufEntry(DdufFile file, String name, long offset, long length, long crc32) {
        this.file = file;
        this.name = name;
        this.offset = offset;
        this.length = length;
        this.crc32 = crc32;
    }

    /**
     * The entry name ({@code vae/diffusion_pytorch_model.safetensors}); hub's {@code filename}.
     *
     * @return the name, folder included
     */
    public String name() {
        return name;
    }

    /**
     * Absolute offset of the entry's data in the archive.
     *
     * @return the byte offset from the start of the archive
     */
    public long offset() {
        return offset;
    }

    /**
     * Length of the entry's data in bytes.
     *
     * @return the length in bytes
     */
    public long length() {
        return length;
    }

    /**
     * The CRC-32 recorded in the central directory (unsigned, 0..2^32-1).
     *
     * @return the recorded CRC-32
     */
    public long crc32() {
        return crc32;
    }

    /**
     * The largest power of two, at most 4096, that divides {@link #offset()}.
     *
     * @return the alignment in bytes, a power of two from 1 to 4096
     */
    public int alignment() {
        return offset == 0 ? 4096 : (int) Math.min(4096, Long.lowestOneBit(offset));
    }

    /**
     * The archive this entry belongs to.
     *
     * @return the archive
     */
    public DdufFile file() {
        return file;
    }

    /**
     * The entry's bytes: a zero-copy, read-only slice of the archive mapping (hub's {@code as_mmap}, without the
     * copy).
     *
     * @return the bytes, valid until the archive is closed
     */
    public MemorySegment segment() {
        return file.segment().asSlice(offset, length);
    }

    /**
     * The entry's bytes decoded as strict UTF-8 (hub's {@code read_text}).
     *
     * @return the text
     * @throws DdufCorruptedFileException when the bytes are not valid UTF-8 or exceed 2 GiB
     */
    public String readText() {
        if (length > Integer.MAX_VALUE - 8) {
            throw new DdufCorruptedFileException(where() + "entry of " + length + " bytes is too large to read as text");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(segment().toArray(ValueLayout.JAVA_BYTE))).toString();
        } catch (CharacterCodingException e) {
            throw new DdufCorruptedFileException(where() + "entry is not valid UTF-8 text", e);
        }
    }

    /**
     * A safetensors view over the entry's bytes: zero-copy, tensors are slices of the archive mapping (with
     * whatever alignment the entry has). The view does not own the mapping; it is valid until the archive is
     * closed.
     *
     * @return the safetensors file; closing it leaves the archive open
     * @throws dev.weightmap.safetensors.SafetensorsException when the entry is not a valid safetensors image
     */
    public SafetensorsFile openSafetensors() {
        return SafetensorsFile.parse(segment(), file.displayName() + "::" + name);
    }

    /**
     * Parses this entry as a GGUF file over its stored bytes (zero-copy); the archive must have been opened with
     * {@link dev.weightmap.OpenOptions#withAllowGguf(boolean)} for such an entry to be present.
     *
     * @return the GGUF view, valid while the archive is open
     * @throws dev.weightmap.gguf.GgufException when the entry is not a valid GGUF file
     */
    public dev.weightmap.gguf.GgufFile openGguf() {
        return dev.weightmap.gguf.GgufFile.parse(segment(), file.displayName() + "::" + name);
    }

    /**
     * Recomputes the CRC-32 of the data (unsigned).
     *
     * @return the CRC-32 of the entry's bytes as they are now
     */
    public long computeCrc32() {
        return Integer.toUnsignedLong(dev.weightmap.checksum.Crc.crc32OfTensors(List.of(bytes()), 1, null)[0]);
    }

    /** The entry's bytes as a U8 tensor carrying the archive's file region (read from the file where it can be). */
    Tensor bytes() {
        MemorySegment s = segment();
        return MappedTensors.mapped(Tensor.of(s, DType.U8, s.byteSize()), file.regionOf(s));
    }

    private String where() {
        return file.displayName() + ": entry '" + name + "': ";
    }

    @Override
    public String toString() {
        return "DdufEntry(filename='" + name + "', length=" + length + ", offset=" + offset + ")";
    }
}
