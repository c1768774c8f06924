// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.gguf;

import dev.weightmap.gguf.GgufException.Reason;
import dev.weightmap.gguf.GgufTestSupport.Builder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.weightmap.gguf.GgufTestSupport.fixtures;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every hostile field of a GGUF header gives a {@link GgufException} with its reason, naming the file and item. */
class GgufHostileInputTest {
    private static GgufException fails(byte[] image) {
        try {
            GgufFile.parse(MemorySegment.ofArray(image), "bad.gguf");
        } catch (GgufException e) {
            assertThat(e.getMessage()).startsWith("bad.gguf: ");
            assertThat(e.file()).isEqualTo("bad.gguf");
            return e;
        }
        throw new AssertionError("opened");
    }

    private static void assertReason(byte[] image, Reason reason, String... messageParts) {
        GgufException e = fails(image);
        assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
        if (messageParts.length > 0) {
            assertThat(e.getMessage()).contains(messageParts);
        }
    }

    /** A valid file: one F32 [4] tensor. */
    private static Builder valid() {
        return new Builder().header(3, 1, 1).kvString("general.architecture", "x")
                .tensor("t", GgmlType.F32, 0, 4);
    }

    @Test
    void aValidImageOpens() {
        byte[] b = valid().pad(32).zeros(16).bytes();
        GgufFile g = GgufFile.parse(MemorySegment.ofArray(b), "ok.gguf");
        assertThat(g.tensor("t").shape()).containsExactly(4);
        assertThat(g.architecture()).contains("x");
    }

    @Test
    void magicVersionAndByteOrder() {
        assertReason(new byte[] {'G', 'G', 'U', 'X', 3, 0, 0, 0}, Reason.INVALID_MAGIC);
        assertReason(new byte[0], Reason.INVALID_MAGIC);
        assertReason(new Builder().header(1, 0, 0).bytes(), Reason.UNSUPPORTED_VERSION, "version 1");
        assertReason(new Builder().header(4, 0, 0).bytes(), Reason.UNSUPPORTED_VERSION, "version 4");
        assertReason(new Builder().header(0x03000000, 0, 0).bytes(), Reason.BIG_ENDIAN, "big-endian");
        // version 2 reads as version 3 does
        assertThat(GgufFile.parse(MemorySegment.ofArray(new Builder().header(2, 0, 0).bytes()), "v2").version())
                .isEqualTo(2);
    }

    @Test
    void cutShortAnywhere() {
        byte[] full = valid().pad(32).zeros(16).bytes();
        int infoEnd = valid().size();
        for (int n = 0; n < infoEnd; n++) {
            GgufException e = fails(Arrays.copyOf(full, n));
            assertThat(e.reason()).as("cut at " + n + ": " + e.getMessage())
                    .isIn(Reason.INVALID_MAGIC, Reason.TRUNCATED, Reason.COUNT_TOO_LARGE);
        }
        for (int n = infoEnd; n < full.length; n++) {
            assertReason(Arrays.copyOf(full, n), Reason.OUT_OF_BOUNDS, "`t`");
        }
    }

    @Test
    void countsNearTwoToThe64() {
        assertReason(new Builder().header(3, 0, -1).bytes(), Reason.COUNT_TOO_LARGE, "18446744073709551615");
        assertReason(new Builder().header(3, -1, 0).bytes(), Reason.COUNT_TOO_LARGE, "tensors");
        assertReason(new Builder().header(3, 0, 1L << 40).zeros(64).bytes(), Reason.COUNT_TOO_LARGE);
        assertReason(new Builder().header(3, 0, 1).str("k").u32(GgufValueType.STRING.id()).u64(-1).bytes(),
                Reason.TRUNCATED, "`k`");
        assertReason(new Builder().header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.UINT64.id()).u64(Long.MAX_VALUE / 4).zeros(64).bytes(), Reason.COUNT_TOO_LARGE, "`k`");
        assertReason(new Builder().header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(3).str("a").u64(1L << 50).zeros(32).bytes(), Reason.TRUNCATED, "`k`");
        assertReason(new Builder().header(3, 0, 1).u64(1L << 62).zeros(32).bytes(), Reason.TRUNCATED);
    }

    @Test
    void valueTypesKeysAndStrings() {
        assertReason(new Builder().header(3, 0, 1).str("k").u32(13).u32(0).bytes(), Reason.UNKNOWN_VALUE_TYPE, "13");
        assertReason(new Builder().header(3, 0, 1).str("k").u32(GgufValueType.ARRAY.id()).u32(99).u64(0).bytes(),
                Reason.UNKNOWN_VALUE_TYPE, "`k`");
        assertReason(new Builder().header(3, 0, 2).kvU32("k", 1).kvU32("k", 2).bytes(), Reason.DUPLICATE_KEY, "`k`");
        assertReason(new Builder().header(3, 0, 1).u64(2).raw((byte) 0xC3, (byte) 0x28).u32(0).raw((byte) 0).bytes(),
                Reason.INVALID_UTF8);
        assertReason(new Builder().header(3, 0, 1).str("k").u32(GgufValueType.STRING.id()).u64(1).raw((byte) 0xFF)
                .bytes(), Reason.INVALID_UTF8, "`k`");
        assertReason(new Builder().header(3, 0, 1).str("b").u32(GgufValueType.BOOL.id()).raw((byte) 2).bytes(),
                Reason.INVALID_VALUE, "`b`");
    }

    @Test
    void arrayStringsAreCheckedWhenReadAndByVerify() {
        byte[] b = new Builder().header(3, 0, 1).str("tok").u32(GgufValueType.ARRAY.id())
                .u32(GgufValueType.STRING.id()).u64(2).str("ok").u64(1).raw((byte) 0xFF).bytes();
        GgufFile g = GgufFile.parse(MemorySegment.ofArray(b), "lazy.gguf");
        assertThat(g.array("tok").getString(0)).isEqualTo("ok");
        assertThatThrownBy(() -> g.array("tok").getString(1)).isInstanceOf(GgufException.class)
                .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.INVALID_UTF8);
        assertThatThrownBy(g::verify).isInstanceOf(GgufException.class).hasMessageContaining("`tok`");
        assertThatThrownBy(() -> g.array("tok").get(2)).isInstanceOf(GgufException.class)
                .extracting(e -> ((GgufException) e).reason()).isEqualTo(Reason.INVALID_ARGUMENT);
    }

    @Test
    void nestingTenThousandDeep() {
        Builder b = new Builder().header(3, 0, 1).str("deep").u32(GgufValueType.ARRAY.id());
        for (int i = 0; i < 10_000; i++) {
            b.u32(GgufValueType.ARRAY.id()).u64(1);
        }
        assertReason(b.bytes(), Reason.NESTING_TOO_DEEP, "`deep`");
    }

    @Test
    void alignment() {
        for (long a : new long[] {0, 3, 48}) {
            assertReason(new Builder().header(3, 0, 1).kvU32("general.alignment", a).bytes(),
                    Reason.INVALID_ALIGNMENT, "general.alignment");
        }
        assertReason(new Builder().header(3, 0, 1).str("general.alignment").u32(GgufValueType.UINT64.id()).u64(32)
                .bytes(), Reason.INVALID_ALIGNMENT, "UINT64");
        byte[] ok = new Builder().header(3, 1, 1).kvU32("general.alignment", 1).tensor("t", GgmlType.I8, 3, 1)
                .zeros(8).bytes();
        assertThat(GgufFile.parse(MemorySegment.ofArray(ok), "a1").info("t").offset() % 1).isZero();
    }

    @Test
    void tensorInfos() {
        assertReason(new Builder().header(3, 2, 0).tensor("t", GgmlType.F32, 0, 4).tensor("t", GgmlType.F32, 32, 4)
                .pad(32).zeros(64).bytes(), Reason.DUPLICATE_TENSOR, "`t`");
        assertReason(new Builder().header(3, 1, 0).str("t").u32(0).u32(0).u64(0).pad(32).bytes(), Reason.INVALID_DIMS,
                "`t`");
        assertReason(new Builder().header(3, 1, 0).str("t").u32(5).zeros(60).bytes(), Reason.INVALID_DIMS, "5");
        assertReason(new Builder().header(3, 1, 0).str("t").u32(1).u64(4).u32(31).u64(0).pad(32).zeros(64).bytes(),
                Reason.UNKNOWN_GGML_TYPE, "31");
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.Q4_0, 0, 33).pad(32).zeros(64).bytes(),
                Reason.INVALID_SHAPE, "33");
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.F32, 0, 1L << 32, 1L << 32).pad(32).bytes(),
                Reason.INVALID_SHAPE, "overflow");
        // stricter than llama.cpp: the non-zero dims of an empty tensor must not overflow either
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.F32, 0, 0, 1L << 40, 1L << 40).pad(32)
                .bytes(), Reason.INVALID_SHAPE, "overflow");
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.F32, 0, -1).pad(32).bytes(),
                Reason.INVALID_SHAPE);
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.F32, 4, 1).pad(32).zeros(64).bytes(),
                Reason.UNALIGNED_OFFSET, "`t`");
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.F32, 64, 4).pad(32).zeros(64).bytes(),
                Reason.OUT_OF_BOUNDS, "`t`");
        assertReason(new Builder().header(3, 1, 0).tensor("t", GgmlType.F32, -32, 4).pad(32).zeros(64).bytes(),
                Reason.OUT_OF_BOUNDS, "`t`");
        assertReason(new Builder().header(3, 2, 0).tensor("a", GgmlType.F32, 0, 16).tensor("b", GgmlType.F32, 32, 4)
                .pad(32).zeros(96).bytes(), Reason.OVERLAP, "`b`", "`a`");
    }

    @Test
    void zeroSizeTensorsMayShareAnOffset() {
        byte[] b = new Builder().header(3, 2, 0).tensor("e", GgmlType.F32, 0, 0, 4).tensor("f", GgmlType.F32, 0, 4)
                .pad(32).zeros(16).bytes();
        GgufFile g = GgufFile.parse(MemorySegment.ofArray(b), "z");
        assertThat(g.tensor("e").numel()).isZero();
        assertThat(g.tensor("f").numel()).isEqualTo(4);
    }

    @Test
    void missingTensorsAndKeys() throws Exception {
        try (GgufFile g = GgufFile.open(fixtures().resolve("metadata_types.gguf"))) {
            assertThatThrownBy(() -> g.tensor("nope")).isInstanceOf(GgufException.class)
                    .hasMessageContaining("`nope`").extracting(e -> ((GgufException) e).reason())
                    .isEqualTo(Reason.TENSOR_NOT_FOUND);
            assertThatThrownBy(() -> g.string("nope")).extracting(e -> ((GgufException) e).reason())
                    .isEqualTo(Reason.KEY_NOT_FOUND);
            assertThatThrownBy(() -> g.string("test.u8")).extracting(e -> ((GgufException) e).reason())
                    .isEqualTo(Reason.WRONG_TYPE);
            assertThatThrownBy(() -> g.integer("test.u64")).extracting(e -> ((GgufException) e).reason())
                    .isEqualTo(Reason.WRONG_TYPE);
        }
    }

    /** The 2^40-pairs header fails at once in a JVM with a 64 MiB heap (no allocation sized by the claim). */
    @Test
    void hugeCountsFailAtOnceUnderASmallHeap(@TempDir Path tmp) throws Exception {
        Path f = tmp.resolve("huge.gguf");
        Files.write(f, new Builder().header(3, 1L << 40, 1L << 40).zeros(4096).bytes());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cp = System.getProperty("java.class.path");
        Process p = new ProcessBuilder(java, "-Xmx64m", "-cp", cp, HugeCountsMain.class.getName(), f.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("child JVM finished").isTrue();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("COUNT_TOO_LARGE");
    }

    /** The child JVM of {@link #hugeCountsFailAtOnceUnderASmallHeap}. */
    static final class HugeCountsMain {
        public static void main(String[] args) throws Exception {
            try (GgufFile g = GgufFile.open(Path.of(args[0]))) {
                System.out.println("opened " + g);
                System.exit(1);
            } catch (GgufException e) {
                System.out.println(e.code() + ": " + e.getMessage());
            }
        }
    }

    @Test
    void everyFixtureCutShortFailsCleanly() throws Exception {
        for (String name : List.of("metadata_types.gguf", "odd_shapes.gguf")) {
            byte[] full = Files.readAllBytes(fixtures().resolve(name));
            long end = 0; // bytes after the last tensor are padding: a cut there still leaves a valid file
            try (GgufFile g = GgufFile.open(fixtures().resolve(name))) {
                for (GgufTensorInfo t : g.infos()) {
                    end = Math.max(end, t.offset() + t.length());
                }
            }
            for (int n = 0; n < end; n += 7) {
                try {
                    GgufFile.parse(MemorySegment.ofArray(Arrays.copyOf(full, n)), name);
                } catch (GgufException expected) {
                    continue;
                }
                throw new AssertionError(name + " cut at " + n + " opened");
            }
        }
    }
}
