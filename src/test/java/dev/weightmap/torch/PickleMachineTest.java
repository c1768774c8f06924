// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.Crafted.P;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The symbolic evaluation of allowlisted callables and the plain data opcodes. */
class PickleMachineTest {
    @TempDir
    Path dir;

    static Object run(byte[] pkl) {
        return PickleMachine.run(MemorySegment.ofArray(pkl), "t.pkl").value();
    }

    @Test
    void scalarsAndContainers() {
        byte[] pkl = P.proto2().op(']', '(').op('N', 0x88, 0x89).integer(-5).integer(300).integer(70000)
                .op(0x8a, 9, 0, 0, 0, 0, 0, 0, 0, 0, 1) // 2^64
                .op('G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0) // 1.5
                .str("é").shortStr("s").op('C', 2, 1, 2).op('e').stop();
        assertThat((List<Object>) run(pkl)).containsExactly(null, true, false, -5L, 300L, 70000L,
                BigInteger.ONE.shiftLeft(64), 1.5, "é", "s", new byte[] {1, 2});
    }

    @Test
    @SuppressWarnings("unchecked")
    void allowedCallablesAreEvaluatedSymbolically() {
        byte[] size = P.proto2().global("torch", "Size").tuple(2, 3).op(0x85, 'R').stop();
        assertThat((List<Object>) run(size)).containsExactly(2L, 3L);
        byte[] dev = P.proto2().global("torch", "device").str("cuda").integer(1).op(0x86, 'R').stop();
        assertThat(run(dev)).isEqualTo("cuda:1");
        byte[] enc = P.proto2().global("_codecs", "encode").str("\u00ff\u0001").str("latin1").op(0x86, 'R').stop();
        assertThat(run(enc)).isEqualTo(new byte[] {(byte) 0xff, 1});
        byte[] set = P.proto2().global("builtins", "set").op(']', '(').integer(1).integer(2).op('e', 0x85, 'R').stop();
        assertThat((Set<Object>) run(set)).containsExactly(1L, 2L);
        byte[] od = P.proto2().global("collections", "OrderedDict").op(']', '(').str("a").integer(1).op(0x86)
                .op('e', 0x85, 'R').stop();
        assertThat((Map<Object, Object>) run(od)).containsEntry("a", 1L);
        byte[] newobj = P.proto2().global("collections", "OrderedDict").op(')', 0x81).str("k").integer(2).op('s').stop();
        assertThat((Map<Object, Object>) run(newobj)).containsEntry("k", 2L);
        byte[] counter = P.proto2().global("collections", "Counter").op(')', 'R').stop();
        assertThat((Map<Object, Object>) run(counter)).isEmpty();
        byte[] build = P.proto2().global("collections", "OrderedDict").op(')', 'R').op('}').str("_metadata").op('}', 's', 'b').stop();
        assertThat((Map<Object, Object>) run(build)).isEmpty();
    }

    @Test
    void namedButNotCallable() {
        byte[] pkl = P.proto2().global("builtins", "complex").op('G', 0x3f, 0xf0, 0, 0, 0, 0, 0, 0).op(0x85, 'R').stop();
        assertThatThrownBy(() -> run(pkl)).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("calling the allowed global 'builtins.complex' is not supported")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.UNSUPPORTED);
        byte[] q = P.proto2().global("torch._utils", "_rebuild_qtensor").op(')', 'R').stop();
        assertThatThrownBy(() -> run(q)).hasMessageContaining("'torch._utils._rebuild_qtensor' is not supported");
        byte[] bad = P.proto2().global("torch", "float32").op(')', 'b').stop();
        assertThatThrownBy(() -> run(bad)).hasMessageContaining("BUILD on a global torch.float32 is not allowed");
    }

    @Test
    void parametersAndTypeRebuilds() throws IOException {
        P p = P.proto2().op('}', '(');
        // 'p': _rebuild_parameter(tensor, True, OrderedDict())
        p.str("p").global("torch._utils", "_rebuild_parameter").op('(')
                .tensorV2("torch.FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1}).op(0x88)
                .global("collections", "OrderedDict").op(')', 'R').op('t', 'R');
        // 'ps': _rebuild_parameter_with_state(tensor, False, OrderedDict(), {})
        p.str("ps").global("torch._utils", "_rebuild_parameter_with_state").op('(')
                .tensorV2("torch.FloatStorage", "0", 4, 1, new long[] {2}, new long[] {1}).op(0x89)
                .global("collections", "OrderedDict").op(')', 'R').op('}').op('t', 'R');
        // 't': _rebuild_from_type_v2(_rebuild_tensor_v2, torch.Tensor, (args...), {})
        p.str("t").global("torch._tensor", "_rebuild_from_type_v2").op('(')
                .global("torch._utils", "_rebuild_tensor_v2").global("torch", "Tensor").op('(')
                .storage("torch.FloatStorage", "0", 4).integer(2).tuple(2).tuple(1).op(0x89)
                .global("collections", "OrderedDict").op(')', 'R').op('t').op('}').op('t', 'R');
        // 'n': Parameter.__new__(Parameter, tensor, True) through NEWOBJ
        p.str("n").global("torch.nn.parameter", "Parameter").op('(')
                .tensorV2("torch.FloatStorage", "0", 4, 3, new long[] {1}, new long[] {1}).op(0x88, 't', 0x81);
        byte[] pkl = p.op('u').stop();
        try (TorchCheckpoint c = TorchCheckpoint.open(Crafted.zip(dir.resolve("p.pt"), pkl, Map.of("0", new byte[16])))) {
            Map<String, TorchCheckpoint.TensorEntry> e = c.entries();
            assertThat(e.get("p").parameter()).isTrue();
            assertThat(e.get("p").requiresGrad()).isTrue();
            assertThat(e.get("ps").parameter()).isTrue();
            assertThat(e.get("ps").requiresGrad()).isFalse();
            assertThat(e.get("t").parameter()).isFalse();
            assertThat(e.get("t").tensor().storageOffset()).isEqualTo(2);
            assertThat(e.get("n").parameter()).isTrue();
            assertThat(e.get("n").tensor().storage()).isSameAs(e.get("p").tensor().storage());
        }
    }

    @Test
    void protocol4WithMemoize() {
        byte[] pkl = new P().op(0x80, 4).op(0x95, 14, 0, 0, 0, 0, 0, 0, 0).op('}', 0x94).shortStr("k").op(0x94)
                .op(0x8c, 1, 'v').op('s').op('h', 0).op('0').stop();
        assertThat(run(pkl)).isEqualTo(Map.of("k", "v"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void memoKeysDenseSparseAndNone() {
        // None under key 0, "a" under 2^32 - 1 (sparse), "b" under 5, then a list of GETs of all three
        byte[] pkl = P.proto2().op('N', 'q', 0, '0').shortStr("a").op('r', 0xff, 0xff, 0xff, 0xff, '0')
                .shortStr("b").op('q', 5, '0').op(']', '(').op('h', 0).op('j', 0xff, 0xff, 0xff, 0xff).op('h', 5)
                .op('e').stop();
        assertThat((List<Object>) run(pkl)).containsExactly(null, "a", "b");
        byte[] undefined = P.proto2().op('N', 'q', 0, '0', 'h', 1).stop();
        assertThatThrownBy(() -> run(undefined)).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("memo key 1 is not defined");
    }
}
