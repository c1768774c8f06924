// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.Crafted.P;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Pickles that promise unbounded work through the memo (shared tuples as keys, shared dicts as
 * tensor paths) and keys built to collide end quickly, in a LIMIT_EXCEEDED or a correct result.
 */
class PickleBudgetTest {
    @TempDir
    Path dir;

    private static Object run(byte[] pickle) {
        return PickleMachine.run(MemorySegment.ofArray(pickle), "t.pt: archive/data.pkl").value();
    }

    /** Pushes a tuple tree of width^depth None leaves, each level memo-shared (a few hundred bytes). */
    private static P sharedTupleTree(P p, int width, int depth) {
        p.op('N', 'q', 0, '0');
        for (int level = 1; level <= depth; level++) {
            p.op('(');
            for (int i = 0; i < width; i++) {
                p.op('h', level - 1);
            }
            p.op('t', 'q', level);
            if (level < depth) {
                p.op('0');
            }
        }
        return p;
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void memoSharedTupleTreeAsDictKeyIsRefusedNotHashed() {
        byte[] pkl = sharedTupleTree(P.proto2().op('}'), 64, 8).op('N', 's').stop();
        assertThatThrownBy(() -> run(pkl)).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("dict key or set item of more than 1024 elements")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void memoSharedTupleTreeAsSetItemIsRefusedNotHashed() {
        byte[] viaAddItems = sharedTupleTree(P.proto2().op(0x8f, '('), 64, 8).op(0x90).stop();
        byte[] viaSet = sharedTupleTree(P.proto2().global("builtins", "set").op('(', ']'), 64, 8)
                .op('a', 't', 'R').stop();
        for (byte[] pkl : List.of(viaAddItems, viaSet)) {
            assertThatThrownBy(() -> run(pkl)).isInstanceOf(TorchCheckpointException.class)
                    .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        }
    }

    @Test
    void smallTupleKeysStillWork() {
        // {(1, 2): 'a', (1.0, True + 1): 'b'} - Python key equality: the second replaces the first's value
        byte[] pkl = P.proto2().op('}').integer(1).integer(2).op(0x86).str("a").op('s')
                .op('G', 0x3f, 0xf0, 0, 0, 0, 0, 0, 0).integer(2).op(0x86).str("b").op('s')
                .op(0x88).str("t").op('s').integer(1).str("one").op('s').stop();
        Map<?, ?> d = (Map<?, ?>) run(pkl);
        assertThat(d).hasSize(2);
        assertThat(d.get(List.of(1L, 2L))).isEqualTo("b");
        assertThat(d.get(true)).isEqualTo("one");
        assertThat(d.get(1L)).isEqualTo("one");
        assertThat(new java.util.ArrayList<Object>(d.keySet())).containsExactly(List.of(1L, 2L), true); // first keys, first positions
        byte[] set = P.proto2().op(0x8f, '(').integer(3).str("x").integer(3).op(0x90).stop();
        assertThat(new java.util.ArrayList<Object>((Set<?>) run(set))).containsExactly(3L, "x");
    }

    @Test
    void unhashableKeysAreUnsupported() {
        byte[] pkl = P.proto2().op('}', ']', 'N', 's').stop();
        assertThatThrownBy(() -> run(pkl)).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("unsupported dict key or set item of type list")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.UNSUPPORTED);
    }

    /**
     * 2^16 strings and 2^16 integers with one Java hash code in one dict: mixed classes defeat HashMap's tree
     * bins (each insertion scans the bin); PyDict's single key class keeps them O(log n).
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void keysWithOneJavaHashCodeDoNotFloodTheDict() {
        P p = P.proto2().op('}');
        int bits = 16;
        int hash = "Aa".repeat(bits).hashCode();
        for (int i = 0; i < 1 << bits; i++) {
            StringBuilder sb = new StringBuilder();
            for (int b = 0; b < bits; b++) {
                sb.append((i >>> b & 1) == 0 ? "Aa" : "BB");
            }
            p.op('(').shortStr(sb.toString()).op('N', 'u');
            long v = ((long) (i + 1) << 32) | (((i + 1) ^ hash) & 0xFFFFFFFFL);
            assertThat(Long.hashCode(v)).isEqualTo(hash);
            p.op('(').integer(v).op('N', 'u');
        }
        Map<?, ?> d = (Map<?, ?>) run(p.stop());
        assertThat(d).hasSize(2 << bits);
        assertThat(d.containsKey("BB".repeat(bits))).isTrue();
    }

    /** Nested dicts {a: child, b: child} 59 levels deep: 2^59 tensor paths from a few hundred bytes. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void sharedChildrenMakeTooManyTensorPaths() throws IOException {
        P p = P.proto2().tensorV2("torch.FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('q', 0, '0');
        for (int level = 1; level <= 59; level++) {
            p.op('}', '(').shortStr("a").op('h', level - 1).shortStr("b").op('h', level - 1).op('u', 'q', level);
            if (level < 59) {
                p.op('0');
            }
        }
        Path f = Crafted.zip(dir.resolve("paths.pt"), p.stop(), Map.of("0", Crafted.floats(1)));
        assertThatThrownBy(() -> TorchCheckpoint.open(f).close()).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("the object graph flattens to more than")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    }

    /** The same without tensors: the walk itself is bounded. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void sharedChildrenWithoutTensorsBoundTheWalk() throws IOException {
        P p = P.proto2().op('N', 'q', 0, '0');
        for (int level = 1; level <= 59; level++) {
            p.op('}', '(').shortStr("a").op('h', level - 1).shortStr("b").op('h', level - 1).op('u', 'q', level);
            if (level < 59) {
                p.op('0');
            }
        }
        Path f = Crafted.zip(dir.resolve("walk.pt"), p.stop());
        assertThatThrownBy(() -> TorchCheckpoint.open(f).close()).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("too many paths")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    }

    /** A tuple key repeating one memo-shared 1 MB string 1000 times names a tensor of 1 GB: refused. */
    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS)
    void longNamesFromSharedStringsAreALimit() throws IOException {
        P p = P.proto2().op('}').str("x".repeat(1 << 20)).op('q', 0, '0', '(');
        for (int i = 0; i < 1000; i++) {
            p.op('h', 0);
        }
        p.op('t').tensorV2("torch.FloatStorage", "0", 1, 0, new long[] {1}, new long[] {1}).op('s');
        Path f = Crafted.zip(dir.resolve("names.pt"), p.stop(), Map.of("0", Crafted.floats(1)));
        assertThatThrownBy(() -> TorchCheckpoint.open(f).close()).isInstanceOf(TorchCheckpointException.class)
                .hasMessageContaining("characters")
                .extracting(e -> ((TorchCheckpointException) e).reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
    }
}
