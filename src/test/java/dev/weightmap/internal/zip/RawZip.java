// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.zip;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32;

/** Test helper: builds ZIP bytes field by field, so tests can break any rule on purpose. */
public final class RawZip {
    /** One entry; every field can be overridden. */
    public static final class E {
        public byte[] name;
        public byte[] localName;
        public byte[] data;
        public int method = 0;
        public int flags = 0;
        public long crc = -1;
        public long csize = -1;
        public long usize = -1;
        public byte[] localExtra = new byte[0];
        public byte[] centralExtra = new byte[0];
        public byte[] comment = new byte[0];
        public int diskStart = 0;
        public long lhoOverride = -1;
        public boolean dataDescriptor;

        public E(String name, byte[] data) {
            this.name = name.getBytes(StandardCharsets.UTF_8);
            this.data = data;
        }
    }

    public final List<E> entries = new ArrayList<>();
    public byte[] comment = new byte[0];
    public int disk = 0;
    public int cdDisk = 0;
    public int countOverride = -1;
    public long cdOffsetOverride = -1;
    public long cdSizeOverride = -1;
    public boolean zip64End;
    public int zip64EndSig = ZipArchive.ZIP64_END_SIG;

    public RawZip add(String name, String data) {
        return add(new E(name, data.getBytes(StandardCharsets.UTF_8)));
    }

    public RawZip add(String name, byte[] data) {
        return add(new E(name, data));
    }

    public RawZip add(E e) {
        entries.add(e);
        return this;
    }

    public static byte[] zip64Extra(long usize, long csize) {
        return ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 1).putShort((short) 16)
                .putLong(usize).putLong(csize).array();
    }

    public byte[] build() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long[] lho = new long[entries.size()];
        long[] crcs = new long[entries.size()];
        for (int i = 0; i < entries.size(); i++) {
            E e = entries.get(i);
            lho[i] = out.size();
            CRC32 c = new CRC32();
            c.update(e.data);
            crcs[i] = e.crc >= 0 ? e.crc : c.getValue();
            byte[] ln = e.localName != null ? e.localName : e.name;
            ByteBuffer b = le(30 + ln.length + e.localExtra.length);
            b.putInt(ZipArchive.LOC_SIG).putShort((short) 20).putShort((short) e.flags).putShort((short) e.method)
                    .putShort((short) 0).putShort((short) 0x21)
                    .putInt(e.dataDescriptor ? 0 : (int) crcs[i])
                    .putInt(e.dataDescriptor ? 0 : (int) (e.csize >= 0 ? e.csize : e.data.length))
                    .putInt(e.dataDescriptor ? 0 : (int) (e.usize >= 0 ? e.usize : e.data.length))
                    .putShort((short) ln.length).putShort((short) e.localExtra.length).put(ln).put(e.localExtra);
            out.writeBytes(b.array());
            out.writeBytes(e.data);
            if (e.dataDescriptor) {
                out.writeBytes(le(16).putInt(0x08074b50).putInt((int) crcs[i]).putInt(e.data.length)
                        .putInt(e.data.length).array());
            }
        }
        long cdOff = out.size();
        for (int i = 0; i < entries.size(); i++) {
            E e = entries.get(i);
            ByteBuffer b = le(46 + e.name.length + e.centralExtra.length + e.comment.length);
            b.putInt(ZipArchive.CEN_SIG).putShort((short) 0x031e).putShort((short) 20).putShort((short) e.flags)
                    .putShort((short) e.method).putShort((short) 0).putShort((short) 0x21).putInt((int) crcs[i])
                    .putInt((int) (e.csize >= 0 ? e.csize : e.data.length))
                    .putInt((int) (e.usize >= 0 ? e.usize : e.data.length))
                    .putShort((short) e.name.length).putShort((short) e.centralExtra.length)
                    .putShort((short) e.comment.length).putShort((short) e.diskStart).putShort((short) 0)
                    .putInt(0x81a40000).putInt((int) (e.lhoOverride >= 0 ? e.lhoOverride : lho[i]))
                    .put(e.name).put(e.centralExtra).put(e.comment);
            out.writeBytes(b.array());
        }
        long cdSize = out.size() - cdOff;
        int count = countOverride >= 0 ? countOverride : entries.size();
        long cdo = cdOffsetOverride >= 0 ? cdOffsetOverride : cdOff;
        long cds = cdSizeOverride >= 0 ? cdSizeOverride : cdSize;
        if (zip64End) {
            long z = out.size();
            out.writeBytes(le(56).putInt(zip64EndSig).putLong(44).putShort((short) 45).putShort((short) 45)
                    .putInt(0).putInt(0).putLong(count).putLong(count).putLong(cds).putLong(cdo).array());
            out.writeBytes(le(20).putInt(ZipArchive.ZIP64_LOC_SIG).putInt(0).putLong(z).putInt(1).array());
        }
        out.writeBytes(le(22 + comment.length).putInt(ZipArchive.END_SIG).putShort((short) disk)
                .putShort((short) cdDisk).putShort((short) count).putShort((short) count).putInt((int) cds)
                .putInt((int) cdo).putShort((short) comment.length).put(comment).array());
        return out.toByteArray();
    }

    private static ByteBuffer le(int n) {
        return ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
    }
}
