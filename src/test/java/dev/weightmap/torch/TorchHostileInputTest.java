// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.torch;

import dev.weightmap.torch.Crafted.P;
import dev.weightmap.torch.TorchCheckpointException.Reason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Malicious and broken checkpoints end in a TorchCheckpointException with the right reason and message. */
class TorchHostileInputTest {
    @TempDir
    Path dir;

    private static TorchCheckpointException pickleFails(byte[] pickle) {
        return pickleFails(pickle, PickleMachine.Limits.DEFAULT);
    }

    private static TorchCheckpointException pickleFails(byte[] pickle, PickleMachine.Limits limits) {
        try {
            PickleMachine.run(MemorySegment.ofArray(pickle), 0, pickle.length, "t.pt: archive/data.pkl", limits);
        } catch (TorchCheckpointException e) {
            return e;
        }
        throw new AssertionError("no exception");
    }

    private void openFails(Path p, Reason reason, String... fragments) {
        assertThatThrownBy(() -> TorchCheckpoint.open(p).close())
                .isInstanceOf(TorchCheckpointException.class)
                .satisfies(e -> {
                    assertThat(((TorchCheckpointException) e).reason()).isEqualTo(reason);
                    assertThat(e.getMessage()).contains(p.toString());
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }

    // ---------------------------------------------------------------- forbidden globals

    @ParameterizedTest
    @CsvSource({
            "os,system,os.system",
            "posix,system,posix.system",
            "builtins,exec,builtins.exec",
            "builtins,eval,builtins.eval",
            "__builtin__,eval,builtins.eval",
            "builtins,getattr,builtins.getattr",
            "subprocess,Popen,subprocess.Popen",
            "commands,Popen,subprocess.Popen",
            "torch,load,torch.load",
            "torch.nn.modules.linear,Linear,torch.nn.modules.linear.Linear",
    })
    void reduceOfAForbiddenGlobalIsRefusedBeforeAnythingRuns(String module, String name, String shown) throws IOException {
        byte[] pkl = P.proto2().global(module, name).str("touch /tmp/weightmap-pwned").op(0x85, 'R').stop();
        TorchCheckpointException e = pickleFails(pkl);
        assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN_GLOBAL);
        assertThat(e.getMessage()).contains("global '" + shown + "' is not allowed").contains("data.pkl");
        openFails(Crafted.zip(dir.resolve("evil.pt"), pkl), Reason.FORBIDDEN_GLOBAL, "global '" + shown + "' is not allowed");
        assertThat(Path.of("/tmp/weightmap-pwned")).doesNotExist();
    }

    @Test
    void stackGlobalFormIsChecked() {
        byte[] pkl = new P().op(0x80, 4).shortStr("os").shortStr("system").op(0x93).shortStr("ls").op(0x85, 'R').stop();
        TorchCheckpointException e = pickleFails(pkl);
        assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN_GLOBAL);
        assertThat(e.getMessage()).contains("global 'os.system' is not allowed");
    }

    @Test
    void instFormIsChecked() {
        byte[] pkl = P.proto2().op('(').str("ls").op('i').raw("os\nsystem\n").stop();
        TorchCheckpointException e = pickleFails(pkl);
        assertThat(e.reason()).isEqualTo(Reason.FORBIDDEN_GLOBAL);
        assertThat(e.getMessage()).contains("global 'os.system' is not allowed");
        byte[] allowed = P.proto2().op('(').op('i').raw("collections\nOrderedDict\n").stop();
        TorchCheckpointException e2 = pickleFails(allowed);
        assertThat(e2.reason()).isEqualTo(Reason.UNSUPPORTED);
        assertThat(e2.getMessage()).contains("opcode INST");
    }

    @ParameterizedTest
    @CsvSource({
            "pickled_module.pt,torch.nn.modules.linear.Linear",
            "reduce_eval.pt,builtins.eval",
            "reduce_system.pt,posix.system",
            "reduce_popen.pt,subprocess.Popen",
    })
    void hostileFilesMadeByTorchAreRefused(String file, String global) {
        Path p = TorchFixturesTest.fixture("torch-malicious/" + file);
        openFails(p, Reason.FORBIDDEN_GLOBAL, "global '" + global + "' is not allowed");
        assertThat(Path.of("/tmp/weightmap-pwned")).doesNotExist();
    }

    // ---------------------------------------------------------------- opcodes and structure

    @ParameterizedTest
    @ValueSource(ints = {0x82, 0x83, 0x84})
    void extensionOpcodesAreRefused(int op) {
        byte[] pkl = P.proto2().op(op, 1, 0, 0, 0).stop();
        TorchCheckpointException e = pickleFails(pkl);
        assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED);
        assertThat(e.getMessage()).contains("extension registry opcode EXT");
    }

    @ParameterizedTest
    @ValueSource(ints = {'o', 0x92, 'P', 'I', 'S', 'V', 'F', 'g', 'p', 'l', 'd'})
    void codeOrTextOpcodesAreRefused(int op) {
        TorchCheckpointException e = pickleFails(P.proto2().op('(').op(op).raw("1\n").stop());
        assertThat(e.reason()).isEqualTo(Reason.UNSUPPORTED);
        assertThat(e.getMessage()).contains("opcode").contains("not");
    }

    @ParameterizedTest
    @ValueSource(ints = {0xff, 0x00, 0x7f, 0x99, 'z'})
    void invalidOpcodes(int op) {
        TorchCheckpointException e = pickleFails(P.proto2().op(op).stop());
        assertThat(e.reason()).isEqualTo(Reason.INVALID_PICKLE);
        assertThat(e.getMessage()).contains("invalid opcode 0x" + Integer.toHexString(op)).contains("at byte 2");
    }

    @Test
    void missingStop() {
        TorchCheckpointException e = pickleFails(P.proto2().op('}').bytes());
        assertThat(e.reason()).isEqualTo(Reason.INVALID_PICKLE);
        assertThat(e.getMessage()).contains("no STOP opcode");
    }

    @Test
    void stackUnderflow() {
        assertThat(pickleFails(P.proto2().op('R').stop()).getMessage()).contains("stack underflow");
        assertThat(pickleFails(P.proto2().op('.').bytes()).getMessage()).contains("stack underflow");
        assertThat(pickleFails(P.proto2().op('N', '(', 'a').stop()).getMessage()).contains("stack underflow");
        assertThat(pickleFails(P.proto2().op('t').stop()).getMessage()).contains("no MARK");
        assertThat(pickleFails(P.proto2().op('R').stop()).reason()).isEqualTo(Reason.INVALID_PICKLE);
    }

    @Test
    void wrongTypes() {
        assertThat(pickleFails(P.proto2().op(')', 'N', 'a').stop()).getMessage()).contains("APPEND on a tuple");
        assertThat(pickleFails(P.proto2().op(']', 'N', 'N', 's').stop()).getMessage()).contains("SETITEM on a list");
        assertThat(pickleFails(P.proto2().op('N', ')', 'R').stop()).getMessage()).contains("REDUCE on a None");
        assertThat(pickleFails(P.proto2().op('}', ']', 'N', 's').stop()).getMessage()).contains("dict key");
        assertThat(pickleFails(P.proto2().op('h', 7).stop()).getMessage()).contains("memo key 7 is not defined");
        assertThat(pickleFails(P.proto2().op('X', 2, 0, 0, 0, 0xff, 0xfe).stop()).getMessage()).contains("invalid UTF-8");
    }

    @Test
    void hugeLengthsAreTruncationNotAllocation() {
        TorchCheckpointException e = pickleFails(P.proto2().op('X', 0xf0, 0xff, 0xff, 0xff).raw("abc").stop());
        assertThat(e.reason()).isEqualTo(Reason.INVALID_PICKLE);
        assertThat(e.getMessage()).contains("truncated pickle");
        TorchCheckpointException e8 = pickleFails(P.proto2().op(0x8d, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f).stop());
        assertThat(e8.getMessage()).contains("truncated pickle");
        byte[] big = P.proto2().str("x".repeat(2000)).stop();
        TorchCheckpointException lim = pickleFails(big, new PickleMachine.Limits(1000, 100, 1000, 1000, 1000));
        assertThat(lim.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        assertThat(lim.getMessage()).contains("exceeds the limit of 1000");
    }

    @Test
    void memoBomb() {
        P p = P.proto2().op('N');
        for (int i = 0; i < 200; i++) {
            p.op('r').le32(i * 7919L);
        }
        TorchCheckpointException e = pickleFails(p.stop(), new PickleMachine.Limits(1000, 100, 100, 100000, 1000));
        assertThat(e.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("memo larger than 100 entries");
    }

    @Test
    void stackBombAndMarkBomb() {
        P p = P.proto2();
        for (int i = 0; i < 2000; i++) {
            p.op('N');
        }
        TorchCheckpointException e = pickleFails(p.stop(), new PickleMachine.Limits(1000, 100, 100, 100000, 1000));
        assertThat(e.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("stack deeper than 1000");
        P m = P.proto2();
        for (int i = 0; i < 2000; i++) {
            m.op('(');
        }
        TorchCheckpointException em = pickleFails(m.stop(), new PickleMachine.Limits(1000, 100, 100, 100000, 1000));
        assertThat(em.getMessage()).contains("more than 100 nested marks");
    }

    @Test
    void billionLaughsIsBoundedByTheObjectCount() {
        // l = []; l.append(l) ... repeated references: each op adds an object
        P p = P.proto2().op(']', 'q', 0);
        for (int i = 0; i < 5000; i++) {
            p.op('h', 0, 'a');
        }
        TorchCheckpointException e = pickleFails(p.stop(), new PickleMachine.Limits(1000, 100, 100, 2000, 1000));
        assertThat(e.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        assertThat(e.getMessage()).contains("more than 2000 objects");
    }

    @Test
    void selfReferentialContainersDoNotLoop() throws IOException {
        byte[] pkl = P.proto2().op('}', 'q', 0, 'X').le32(1).raw("a").op(']', 'q', 1, 'h', 1, 'a', 's')
                .op('X').le32(1).raw("b").op('h', 0, 's').stop();
        try (TorchCheckpoint c = TorchCheckpoint.open(Crafted.zip(dir.resolve("cycle.pt"), pkl))) {
            assertThat(c.stateDict()).isEmpty();
            Map<?, ?> root = (Map<?, ?>) c.root();
            assertThat(root.get("b")).isSameAs(root);
            List<?> a = (List<?>) root.get("a");
            assertThat(a.get(0)).isSameAs(a);
        }
    }

    @Test
    void deepNestingIsALimitNotAStackOverflow() throws IOException {
        P p = P.proto2();
        for (int i = 0; i < 5000; i++) {
            p.op(']');
        }
        for (int i = 0; i < 4999; i++) {
            p.op('a');
        }
        openFails(Crafted.zip(dir.resolve("deep.pt"), p.stop()), Reason.LIMIT_EXCEEDED, "nested deeper than 1000");
    }

    // ---------------------------------------------------------------- storages and views

    @Test
    void missingStorageRecord() throws IOException {
        byte[] pkl = Crafted.oneTensor("0", 6, 0, new long[] {2, 3}, new long[] {3, 1});
        openFails(Crafted.zip(dir.resolve("m.pt"), pkl), Reason.MISSING_RECORD, "storage record 'archive/data/0' is missing");
    }

    @Test
    void shortAndLongStorageRecords() throws IOException {
        byte[] pkl = Crafted.oneTensor("0", 6, 0, new long[] {2, 3}, new long[] {3, 1});
        openFails(Crafted.zip(dir.resolve("s.pt"), pkl, Map.of("0", Crafted.floats(5))), Reason.STORAGE_SIZE_MISMATCH,
                "holds 20 bytes but torch.FloatStorage of 6 elements needs 24 bytes");
        openFails(Crafted.zip(dir.resolve("l.pt"), pkl, Map.of("0", Crafted.floats(7))), Reason.STORAGE_SIZE_MISMATCH,
                "holds 28 bytes");
    }

    @Test
    void numelOverflow() throws IOException {
        byte[] pkl = Crafted.oneTensor("0", Long.MAX_VALUE / 2, 0, new long[] {2}, new long[] {1});
        openFails(Crafted.zip(dir.resolve("o.pt"), pkl, Map.of("0", Crafted.floats(2))), Reason.STORAGE_SIZE_MISMATCH,
                "overflows");
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "0; 2,4; 4,1; reaches element 7 but storage '0' holds 6 elements",
            "3; 2,3; 3,1; reaches element 8",
            "0; 3,3; 1,2; reaches element 6",
            "-1; 2,3; 3,1; negative storage offset -1",
            "0; 2,3; 3,-1; negative stride",
            "0; 2,-3; 3,1; negative size",
            "0; 2,3; 3; differ in rank",
            "0; 4611686018427387904,4; 4,1; overflows",
    })
    void viewsOutsideTheirStorage(long offset, String size, String stride, String message) throws IOException {
        long[] sz = Arrays.stream(size.split(",")).mapToLong(Long::parseLong).toArray();
        long[] st = Arrays.stream(stride.split(",")).mapToLong(Long::parseLong).toArray();
        byte[] pkl = Crafted.oneTensor("0", 6, offset, sz, st);
        openFails(Crafted.zip(dir.resolve("v.pt"), pkl, Map.of("0", Crafted.floats(6))), Reason.INVALID_VIEW,
                "tensor 'w'", message);
    }

    @Test
    void emptyViewsAnywhereAreFine() throws IOException {
        byte[] pkl = Crafted.oneTensor("0", 6, 6, new long[] {0, 3}, new long[] {3, 1});
        try (TorchCheckpoint c = TorchCheckpoint.open(Crafted.zip(dir.resolve("e.pt"), pkl, Map.of("0", Crafted.floats(6))))) {
            assertThat(c.tensor("w").numel()).isZero();
        }
    }

    /** Torch accepts an empty tensor at storage offset 2^63 - 1; it reads (and hashes) as empty. */
    @Test
    void emptyViewAtTheLargestOffsetIsEmpty() throws IOException {
        byte[] pkl = Crafted.oneTensor("0", 6, Long.MAX_VALUE, new long[] {0}, new long[] {1});
        try (TorchCheckpoint c = TorchCheckpoint.open(Crafted.zip(dir.resolve("e.pt"), pkl, Map.of("0", Crafted.floats(6))))) {
            dev.weightmap.tensor.Tensor t = c.tensor("w");
            assertThat(t.numel()).isZero();
            assertThat(t.storageOffset()).isEqualTo(Long.MAX_VALUE);
            assertThat(t.data().byteSize()).isZero();
            assertThat(t.byteExtent()[0]).isEqualTo(t.byteExtent()[1]);
            assertThat(dev.weightmap.checksum.Checksums.hexOfTensor(dev.weightmap.checksum.ChecksumAlgorithm.SHA256, t))
                    .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
            assertThat(c.entries().get("w").fileOffset()).isGreaterThan(0);
        }
    }

    /**
     * A stride-0 view of 2^62 floats over one element fits its storage (torch accepts it) but its
     * logical bytes overflow a long: refused at open instead of "long overflow" in inspect or hash.
     */
    @Test
    void logicalBytesOverflowIsAnInvalidViewAtOpen() throws IOException {
        byte[] pkl = Crafted.oneTensor("0", 1, 0, new long[] {1L << 31, 1L << 31}, new long[] {0, 0});
        openFails(Crafted.zip(dir.resolve("x.pt"), pkl, Map.of("0", Crafted.floats(1))), Reason.INVALID_VIEW,
                "tensor 'w'", "more bytes than a 64-bit count holds");
    }

    @Test
    void untypedStorageNeedsV3AndConjIsRefused() throws IOException {
        byte[] pkl = P.proto2().op('}').op('(').str("w").tensorV2("torch.storage.UntypedStorage", "0", 4, 0,
                new long[] {4}, new long[] {1}).op('u').stop();
        openFails(Crafted.zip(dir.resolve("u.pt"), pkl, Map.of("0", new byte[4])), Reason.INVALID_PICKLE,
                "needs _rebuild_tensor_v3");
        P conj = P.proto2().op('}').op('(').str("w").global("torch._utils", "_rebuild_tensor_v2").op('(')
                .storage("torch.ComplexFloatStorage", "0", 1).integer(0).tuple(1).tuple(1).op(0x89)
                .global("collections", "OrderedDict").op(')', 'R').op('}').str("conj").op(0x88, 's').op('t', 'R', 'u');
        openFails(Crafted.zip(dir.resolve("c.pt"), conj.stop(), Map.of("0", new byte[8])), Reason.UNSUPPORTED,
                "metadata 'conj'");
    }

    @Test
    void oneKeyWithTwoTypes() throws IOException {
        byte[] pkl = P.proto2().op('}').op('(').str("a").tensorV2("torch.FloatStorage", "0", 2, 0, new long[] {2},
                new long[] {1}).str("b").tensorV2("torch.LongStorage", "0", 1, 0, new long[] {1}, new long[] {1})
                .op('u').stop();
        openFails(Crafted.zip(dir.resolve("t.pt"), pkl, Map.of("0", new byte[8])), Reason.INVALID_PICKLE,
                "storage '0' is referenced as torch.FloatStorage[2] and as torch.LongStorage[1]");
    }

    // ---------------------------------------------------------------- containers

    @Test
    void truncatedFilesAtEveryLength() throws IOException {
        for (String f : List.of("torch/tied_weights.pt", "torch/legacy_format.pt", "torch2/new_dtypes.pt")) {
            byte[] all = TorchFixturesTest.bytes(f);
            Path p = dir.resolve("trunc.pt");
            for (int n = 0; n < all.length; n++) {
                byte[] cut = Arrays.copyOf(all, n);
                assertThatThrownBy(() -> TorchCheckpoint.parse(MemorySegment.ofArray(cut), "trunc.pt"))
                        .as("%s truncated to %d bytes", f, n)
                        .isInstanceOf(TorchCheckpointException.class)
                        .hasMessageStartingWith("trunc.pt: ");
                if (n % 97 == 0) { // the mapped path too, now and then
                    Files.write(p, cut);
                    assertThatThrownBy(() -> TorchCheckpoint.open(p).close()).isInstanceOf(TorchCheckpointException.class);
                }
            }
        }
    }

    @Test
    void corruptArchives() throws IOException {
        byte[] all = TorchFixturesTest.bytes("torch/tied_weights.pt");
        Path p = dir.resolve("x.pt");
        Files.write(p, Arrays.copyOf(all, all.length - 30));
        openFails(p, Reason.CORRUPT_ARCHIVE, "end of central directory");
        byte[] notInFolder = all.clone();
        Files.write(p, notInFolder);
        // a record whose local header signature is broken
        byte[] badLocal = all.clone();
        badLocal[0] = 'X';
        Files.write(p, badLocal);
        openFails(p, Reason.NOT_A_CHECKPOINT, "not a PyTorch checkpoint");
    }

    @Test
    void compressedRecordsAreRefused() throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(P.proto2().op('}').stop());
            z.putNextEntry(new ZipEntry("archive/version"));
            z.write("3\n".getBytes(StandardCharsets.US_ASCII));
        }
        Path p = Files.write(dir.resolve("deflated.pt"), bo.toByteArray());
        openFails(p, Reason.UNSUPPORTED, "record 'archive/data.pkl' is compressed (method 8)");
    }

    @Test
    void archiveRules() throws IOException {
        byte[] pkl = P.proto2().op('}').stop();
        openFails(Crafted.zip(dir.resolve("big.pt"), pkl, Map.of("archive/byteorder", "big".getBytes())),
                Reason.UNSUPPORTED, "byteorder 'big' is not supported");
        openFails(Crafted.zip(dir.resolve("odd.pt"), pkl, Map.of("archive/byteorder", "middle".getBytes())),
                Reason.CORRUPT_ARCHIVE, "unknown endianness type 'middle'");
        openFails(Crafted.zip(dir.resolve("v.pt"), pkl, Map.of("archive/version", "99\n".getBytes())),
                Reason.UNSUPPORTED, "file format version '99'");
        openFails(Crafted.zip(dir.resolve("ts.pt"), pkl, Map.of("archive/constants.pkl", pkl)),
                Reason.UNSUPPORTED, "TorchScript");
        openFails(Crafted.zip(dir.resolve("other.pt"), pkl, Map.of("elsewhere/x", pkl)),
                Reason.CORRUPT_ARCHIVE, "record 'elsewhere/x' is not under the archive folder 'archive/'");
    }

    @Test
    void notACheckpointAndMissingFile() throws IOException {
        openFails(Files.write(dir.resolve("junk.pt"), "hello world".getBytes()), Reason.NOT_A_CHECKPOINT,
                "not a PyTorch checkpoint");
        openFails(Files.write(dir.resolve("empty.pt"), new byte[0]), Reason.NOT_A_CHECKPOINT, "not a PyTorch checkpoint");
        openFails(Files.write(dir.resolve("pkl.pt"), P.proto2().op('}').stop()), Reason.NOT_A_CHECKPOINT,
                "invalid magic number");
        assertThatThrownBy(() -> TorchCheckpoint.open(dir.resolve("absent.pt"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void repeatedWorkOverOneBigTupleIsCounted() {
        // a 5000-element tuple, then torch.Size(t) again and again: each call costs its length in the budget
        P p = P.proto2().op('(');
        for (int i = 0; i < 5000; i++) {
            p.op('K', 1);
        }
        p.op('t', 'q', 0);
        for (int i = 0; i < 1000; i++) {
            p.global("torch", "Size").op('h', 0, 0x85, 'R', '0');
        }
        TorchCheckpointException e = pickleFails(p.stop(), new PickleMachine.Limits(1 << 20, 100, 100, 100_000, 1000));
        assertThat(e.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        // and big tuples are not dict keys (the key budget counts elements; see PickleBudgetTest)
        P k = P.proto2().op('}', '(');
        for (int i = 0; i < 2000; i++) {
            k.op('K', 1);
        }
        TorchCheckpointException big = pickleFails(k.op('t', 'N', 's').stop());
        assertThat(big.reason()).isEqualTo(Reason.LIMIT_EXCEEDED);
        assertThat(big.getMessage()).contains("dict key or set item of more than 1024 elements");
    }
}
