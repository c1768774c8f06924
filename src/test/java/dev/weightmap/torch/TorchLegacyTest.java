// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.Crafted.P;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The legacy (pre-1.6) stream, hand-built: storage views, counts, big-endian sys_info. */
class TorchLegacyTest {

    static byte[] magic() {
        byte[] be = new BigInteger("1950a86a20f9469cfc6c", 16).toByteArray();
        P p = P.proto2().op(0x8a, be.length);
        for (int i = be.length - 1; i >= 0; i--) {
            p.op(be[i] & 0xFF);
        }
        return p.stop();
    }

    static byte[] legacy(boolean littleEndian, long count, int dataFloats, boolean view) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(magic());
        out.writeBytes(P.proto2().op('M', 0xe9, 0x03).stop()); // 1001
        out.writeBytes(P.proto2().op('}', '(').str("protocol_version").op('M', 0xe9, 0x03).str("little_endian")
                .op(littleEndian ? 0x88 : 0x89).op('u').stop());
        // {'w': tensor over storage '7' [6 floats], 'v': tensor over a view of '7' at element 2 of size 3}
        P main = P.proto2().op('}', '(');
        main.str("w").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .op('(').str("storage").global("torch", "FloatStorage").str("7").str("cpu").integer(6).op('N', 't', 'Q')
                .integer(0).tuple(2, 3).tuple(3, 1).op(0x89).global("collections", "OrderedDict").op(')', 'R').op('t', 'R');
        if (view) {
            main.str("v").global("torch._utils", "_rebuild_tensor_v2").op('(')
                    .op('(').str("storage").global("torch", "FloatStorage").str("7").str("cpu").integer(6)
                    .op('(').str("8").integer(2).integer(3).op('t').op('t', 'Q')
                    .integer(1).tuple(2).tuple(1).op(0x89).global("collections", "OrderedDict").op(')', 'R').op('t', 'R');
        }
        out.writeBytes(main.op('u').stop());
        out.writeBytes(P.proto2().op(']', '(').str("7").op('e').stop());
        ByteBuffer b = ByteBuffer.allocate(8 + dataFloats * 4).order(ByteOrder.LITTLE_ENDIAN).putLong(count);
        for (int i = 0; i < dataFloats; i++) {
            b.putFloat(i);
        }
        out.writeBytes(b.array());
        return out.toByteArray();
    }

    @Test
    void legacyStreamWithAStorageView() {
        byte[] bytes = legacy(true, 6, 6, true);
        TorchCheckpoint c = TorchCheckpoint.parse(MemorySegment.ofArray(bytes), "legacy.pt");
        assertThat(c.container()).isEqualTo(TorchCheckpoint.Format.LEGACY);
        assertThat(c.tensor("w").getFloat(1, 2)).isEqualTo(5f);
        // view storage '8' = elements 2..4 of '7'; tensor v = view[1:3] = elements 3, 4
        assertThat(c.tensor("v").getFloat(0)).isEqualTo(3f);
        assertThat(c.tensor("v").getFloat(1)).isEqualTo(4f);
        assertThat(c.entries().get("v").storageKey()).isEqualTo("7");
        assertThat(c.entries().get("v").fileOffset()).isEqualTo(c.storages().get("7").dataOffset() + 12);
        assertThat(c.tensor("v").storage().address()).isNotEqualTo(c.tensor("w").storage().address());
    }

    @Test
    void legacyErrors() {
        assertThatThrownBy(() -> TorchCheckpoint.parse(MemorySegment.ofArray(legacy(true, 5, 6, false)), "l.pt"))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("l.pt: legacy storage '7' holds 5 elements")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.STORAGE_SIZE_MISMATCH);
        assertThatThrownBy(() -> TorchCheckpoint.parse(MemorySegment.ofArray(legacy(true, 6, 5, false)), "l.pt"))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("truncated file: legacy storage '7' needs 24 bytes")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.CORRUPT_ARCHIVE);
        assertThatThrownBy(() -> TorchCheckpoint.parse(MemorySegment.ofArray(legacy(false, 6, 6, false)), "l.pt"))
                .isInstanceOf(TorchCheckpointException.class).hasMessageContaining("big-endian legacy checkpoint is not supported")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.UNSUPPORTED);
    }
}
