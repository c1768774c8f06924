// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Random;

/**
 * Jazzer fuzz tests over the restricted pickle machine and the whole checkpoint reader: any bytes either parse
 * or raise a {@link TorchCheckpointException}; nothing else escapes (no IndexOutOfBounds, NullPointer,
 * StackOverflow, OOM). In {@code mvn test} they run in regression mode over the seeds in
 * {@code src/test/resources/dev/weightmap/torch/TorchPickleFuzzTestInputs/}; {@code JAZZER_FUZZ=1} fuzzes.
 * {@link #randomMutationsOfRealPickles()} is a small deterministic mutation run that always executes.
 */
class TorchPickleFuzzTest {
    private static final PickleMachine.Limits SMALL = new PickleMachine.Limits(1 << 12, 1 << 8, 1 << 12, 1 << 16, 1 << 16);

    @FuzzTest(maxDuration = "60s")
    void fuzzPickle(byte[] data) {
        pickle(data);
    }

    @FuzzTest(maxDuration = "60s")
    void fuzzCheckpoint(byte[] data) {
        checkpoint(data);
    }

    static void pickle(byte[] data) {
        try {
            PickleMachine.run(MemorySegment.ofArray(data), 0, data.length, "fuzz.pt: data.pkl", SMALL);
        } catch (TorchCheckpointException expected) {
            // the only failure allowed
        }
    }

    static void checkpoint(byte[] data) {
        TorchCheckpoint c;
        try {
            c = TorchCheckpoint.parse(MemorySegment.ofArray(data), "fuzz.pt");
        } catch (TorchCheckpointException expected) {
            return;
        }
        try {
            c.root();
            c.rootAttributes();
            WritableByteChannel sink = Channels.newChannel(OutputStream.nullOutputStream());
            for (Tensor t : c.stateDict().values()) {
                t.writeTo(sink);
            }
        } catch (TorchCheckpointException expected) {
            // e.g. two paths flattening to one name
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void randomMutationsOfRealPickles() throws IOException {
        Random rnd = new Random(42);
        for (String f : List.of("torch/nested_checkpoint.pt", "torch/legacy_format.pt", "torch2/pickle_protocol4.pt",
                "torch2/strided_views.pt", "torch/module_state_dict_keep_vars.pt")) {
            byte[] orig = TorchFixturesTest.bytes(f);
            for (int i = 0; i < 200; i++) {
                byte[] m = orig.clone();
                int flips = 1 + rnd.nextInt(4);
                for (int k = 0; k < flips; k++) {
                    m[rnd.nextInt(m.length)] = (byte) rnd.nextInt(256);
                }
                checkpoint(m);
                pickle(m);
            }
        }
    }
}
