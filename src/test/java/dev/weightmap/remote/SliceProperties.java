// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.Weights;
import dev.weightmap.safetensors.SafetensorsFile;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Remote boxes of random tensors equal the same boxes cut locally, and fetch only their runs' bytes. */
@ExtendWith(Seeded.Extension.class)
class SliceProperties {
    @Test
    void aRemoteBoxIsTheLocalBox(Seeded seeded) throws IOException {
        try (RangeServer server = RangeServer.start()) {
            seeded.tries(60, g -> {
                int rank = g.intIn(1, 4);
                long[] shape = new long[rank];
                for (int d = 0; d < rank; d++) {
                    shape[d] = g.intIn(1, 7);
                }
                String dtype = g.pick("U8", "F16", "F32", "F64");
                int elem = switch (dtype) {
                    case "U8" -> 1;
                    case "F16" -> 2;
                    case "F32" -> 4;
                    default -> 8;
                };
                long n = Arrays.stream(shape).reduce(1, (a, b) -> a * b) * elem;
                String header = "{\"t\":{\"dtype\":\"" + dtype + "\",\"shape\":" + Arrays.toString(shape).replace(" ", "")
                        + ",\"data_offsets\":[0," + n + "]}}";
                byte[] h = header.getBytes(StandardCharsets.US_ASCII);
                byte[] file = new byte[(int) (8 + h.length + n)];
                ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).put(h);
                for (int i = 8 + h.length; i < file.length; i++) {
                    file[i] = (byte) g.intIn(0, 255);
                }
                server.put("/t.safetensors", file);
                long[] start = new long[rank];
                long[] stop = new long[rank];
                for (int d = 0; d < rank; d++) {
                    start[d] = g.intIn(0, (int) shape[d]);
                    stop[d] = g.intIn((int) start[d], (int) shape[d]);
                }
                try (RemoteWeights w = Weights.open(server.uri("/t.safetensors"),
                        RemoteOptions.defaults().withToken(null).withMaxConcurrency(g.intIn(1, 4)));
                     Arena arena = Arena.ofShared()) {
                    long before = server.bytesSent.get();
                    Tensor remote = w.slice("t", start, stop, arena);
                    Tensor local = SafetensorsFile.parse(MemorySegment.ofArray(file), "t").tensor("t");
                    for (int d = 0; d < rank; d++) {
                        local = local.narrow(d, start[d], stop[d] - start[d]);
                    }
                    assertThat(remote.shape()).isEqualTo(local.shape());
                    byte[] want = local.contiguous(arena).data().toArray(ValueLayout.JAVA_BYTE);
                    assertThat(remote.data().toArray(ValueLayout.JAVA_BYTE)).isEqualTo(want);
                    assertThat(server.bytesSent.get() - before).isEqualTo(want.length);
                }
            });
        }
    }
}
