// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.cli.Main;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.math.BigInteger;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The contract every {@link Weights} implementation keeps, in the manner of Lucene's {@code BaseDirectoryTestCase}:
 * each format has one subclass that supplies inputs written by the real tools (copied with the tools'
 * {@code expected.json} under {@code src/test/resources/contract/}) and says how to damage a copy; every test here
 * runs against each of them.
 *
 * <p>What the contract is:
 * <ul>
 *   <li>names in the format's documented order; every tensor's dtype, shape, SHA-256 and location (file, absolute
 *       offset, alignment) as the writing tool recorded; {@code tensors()} read-only and ordered as
 *       {@code tensorNames()}; an unknown name (or null) fails with {@code TENSOR_NOT_FOUND} naming it and the
 *       file; metadata as the tool wrote it;</li>
 *   <li>{@code verify()} passes and counts the checksums the format records; a damaged copy (a flipped tensor byte
 *       where there are checksums, a truncated file elsewhere) fails with the format's reason; truncated and
 *       bit-flipped copies fail with a {@link WeightmapException} whose {@code file()} names the file, or, where
 *       checksums cover the bytes, read back unchanged;</li>
 *   <li>after {@code close()} every library method throws {@link WeightsClosedException} naming the file
 *       (identity accessors {@code path()}, {@code displayName()}, {@code format()}, {@code files()},
 *       {@code isOpen()} and {@code close()} keep working) and raw segments throw the JDK's
 *       {@link IllegalStateException}; eight readers racing a close see only those two; leases keep the memory
 *       mapped, also for readers racing the close, until the last is released; a caller's arena outlives close;
 *       closing one reader leaves another of the same file working;</li>
 *   <li>detection by content: every input renamed without an extension, with another format's, or as a Hugging
 *       Face cache snapshot's link to an extensionless blob opens the same; garbage, empty, text, HTML and LFS
 *       pointer files fail with {@code UNKNOWN_FORMAT} naming the file and saying what it looks like (HTML and
 *       LFS pointers even under this format's name); GGUF content opens as {@code gguf} under any name
 *       ({@link #checkGguf});</li>
 *   <li>the {@code weightmap} command shows the same tensors ({@code inspect --json}, also for a renamed copy),
 *       verifies the same checksums ({@code verify --json}) and reports a damaged copy with the same reason.</li>
 * </ul>
 */
@ExtendWith(Seeded.Extension.class)
abstract class WeightsContractTest {

    /**
     * One input of the suite and what the tool that wrote it recorded.
     *
     * @param id        a short label for messages
     * @param path      the file, index file or folder to open
     * @param options   the options to open it with
     * @param tensors   every tensor, in the order {@link Weights#tensorNames()} documents for the format
     * @param metadata  what {@link Weights#metadata()} must equal
     * @param checksums how many recorded checksums {@link Weights#verify()} recomputes
     */
    record Fixture(String id, Path path, OpenOptions options, List<ExpectedTensor> tensors,
                   Map<String, ?> metadata, int checksums) {
        @Override
        public String toString() {
            return id;
        }

        List<String> names() {
            return tensors.stream().map(ExpectedTensor::name).toList();
        }
    }

    /**
     * One tensor as the writing tool recorded it.
     *
     * @param name   its name
     * @param dtype  the safetensors dtype name ({@code C128} for torch's complex128)
     * @param shape  its shape
     * @param sha256 SHA-256 of its logical bytes (row-major, contiguous, little-endian)
     * @param file   the name of the file it lives in, or null for the fixture's own file
     * @param offset the absolute offset of its first byte in that file
     */
    record ExpectedTensor(String name, String dtype, long[] shape, String sha256, String file, long offset) {
        ExpectedTensor in(String otherFile) {
            return new ExpectedTensor(name, dtype, shape, sha256, otherFile, offset);
        }
    }

    @TempDir
    Path tmp;

    // ------------------------------------------------------------------ what each format supplies

    /**
     * The format every fixture opens as.
     *
     * @return the name {@link Weights#format()} reports
     */
    abstract String format();

    /**
     * The inputs, each with what its writer recorded.
     *
     * @return at least one fixture
     * @throws IOException when a resource cannot be read
     */
    abstract List<Fixture> fixtures() throws IOException;

    /**
     * Makes a damaged copy of {@code f} in {@code dir}: a flipped byte inside a tensor for a format that records
     * checksums, a truncated file for the others.
     *
     * @param f   the fixture
     * @param dir an empty folder to write into
     * @return the damaged input to open
     * @throws IOException when copying fails
     */
    abstract Path corrupt(Fixture f, Path dir) throws IOException;

    /**
     * The reason codes the damaged copy of {@code f} may fail with (when opened, or else when verified).
     *
     * @param f the fixture
     * @return the accepted codes
     */
    abstract Set<String> corruptionReasons(Fixture f);

    /**
     * File name endings that do not name this format (the empty string: no extension), for the detection tests.
     *
     * @return the endings
     */
    abstract List<String> wrongExtensions();

    /**
     * File name endings of this format: garbage named so must fail with one of the format's own typed errors.
     *
     * @return the endings
     */
    abstract List<String> ownExtensions();

    /**
     * Copies the input of {@code f} to {@code dir/name} (a folder is copied as a tree).
     *
     * @param f    the fixture
     * @param dir  the folder to copy into
     * @param name the new file name
     * @return the path to open
     * @throws IOException when copying fails
     */
    Path copyAs(Fixture f, Path dir, String name) throws IOException {
        Path to = dir.resolve(name);
        if (Files.isDirectory(f.path())) {
            copyTree(f.path(), to);
        } else {
            Files.copy(f.path(), to);
        }
        return to;
    }

    /**
     * The file to damage in a copy made by {@link #copyAs}: the copy itself, unless the format spreads over
     * several files.
     *
     * @param copy the copy
     * @return the file to truncate or flip bytes in
     * @throws IOException when listing a folder fails
     */
    Path dataFile(Path copy) throws IOException {
        return copy;
    }

    /**
     * The input to open inside a Hugging Face cache layout made by {@link #hubCache}: by default the snapshot's
     * link named like the fixture.
     *
     * @param f        the fixture
     * @param snapshot the snapshot folder
     * @return the path to open
     */
    Path inSnapshot(Fixture f, Path snapshot) {
        return snapshot.resolve(f.path().getFileName().toString());
    }

    /**
     * A GGUF file opens as {@code gguf} whatever its name: the magic is content, no name makes it another format.
     *
     * @param gguf a real GGUF file (gguf-py's, no tensors)
     * @throws IOException when the file cannot be read
     */
    void checkGguf(Path gguf) throws IOException {
        assertThat(Weights.detect(gguf)).isEqualTo(Weights.GGUF);
        try (Weights w = Weights.open(gguf)) {
            assertThat(w.format()).isEqualTo(Weights.GGUF);
            assertThat(w.tensorNames()).isEmpty();
        }
    }

    /**
     * Whether {@link OpenOptions#withArena} is honoured: when false, {@link #aCallersArenaOutlivesClose()} is
     * skipped, saying so.
     *
     * @return true when the format maps into the caller's arena
     */
    boolean honoursCallersArena() {
        return true;
    }

    /**
     * Whether every path the reader reports (files, locations) is relative when the input was given relative:
     * when false, {@link #pathsStayAsGiven()} is skipped, saying so.
     *
     * @return true when paths stay as given
     */
    boolean keepsPathsAsGiven() {
        return true;
    }

    /**
     * The tensor as {@code inspect --json} prints it: by default as the library reads it.
     *
     * @param f the fixture
     * @param e one of its tensors
     * @return what the command prints for it (name, dtype, shape, offset)
     */
    ExpectedTensor printed(Fixture f, ExpectedTensor e) {
        return e;
    }

    /**
     * Whether a copy of {@code f} cut to {@code keep} bytes still holds the whole content (a format whose files end
     * in padding no reader needs): such a cut must open and read like the original instead of failing.
     *
     * @param f    the fixture
     * @param keep the bytes kept
     * @return false by default: every cut fails
     */
    boolean cutKeepsEverything(Fixture f, long keep) {
        return false;
    }

    Weights open(Fixture f) throws IOException {
        return Weights.open(f.path(), f.options());
    }

    // ------------------------------------------------------------------ names, tensors, metadata

    @Test
    void namesComeInTheDocumentedOrder() throws IOException {
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                assertThat(w.format()).as(f.id()).isEqualTo(format());
                assertThat(w.tensorNames()).as(f.id()).containsExactlyElementsOf(f.names());
                assertThat(List.copyOf(w.tensors().keySet())).as(f.id()).containsExactlyElementsOf(f.names());
                assertThat(w.locations().stream().map(TensorLocation::name).toList()).as(f.id())
                        .containsExactlyElementsOf(f.names());
                assertThatThrownBy(() -> w.tensorNames().add("x")).isInstanceOf(UnsupportedOperationException.class);
                assertThat(w.tensorNames()).as("stable").isEqualTo(w.tensorNames());
            }
        }
    }

    @Test
    void everyTensorHasTheToolsDtypeShapeAndBytes() throws IOException {
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                Map<String, Tensor> all = w.tensors();
                List<TensorLocation> locations = w.locations();
                for (int i = 0; i < f.tensors().size(); i++) {
                    ExpectedTensor e = f.tensors().get(i);
                    String at = f.id() + " " + e.name();
                    Tensor t = w.tensor(e.name());
                    assertThat(w.contains(e.name())).as(at).isTrue();
                    assertThat(t.dtype().headerName()).as(at).isEqualTo(e.dtype());
                    assertThat(t.shape()).as(at).isEqualTo(e.shape());
                    assertThat(sha256(t)).as(at).isEqualTo(e.sha256());
                    assertThat(sha256(all.get(e.name()))).as(at).isEqualTo(e.sha256());
                    TensorLocation l = locations.get(i);
                    assertThat(l.dtype()).as(at).isEqualTo(t.dtype());
                    assertThat(l.shape()).as(at).isEqualTo(e.shape());
                    assertThat(l.length()).as(at).isEqualTo(t.byteLength());
                    assertThat(l.offset()).as(at).isEqualTo(e.offset());
                    assertThat(l.alignment()).as(at).isEqualTo(TensorLocation.alignmentOf(e.offset()));
                    Path folder = Files.isDirectory(w.path()) ? w.path() : w.path().getParent();
                    Path file = e.file() == null ? w.path() : folder.resolve(e.file());
                    assertThat(l.file()).as(at).isEqualTo(file);
                }
            }
        }
    }

    @Test
    void tensorsIsReadOnlyAndOrderedLikeTensorNames() throws IOException {
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                Map<String, Tensor> m = w.tensors();
                assertThat(m).as(f.id()).hasSize(f.tensors().size());
                assertThat(List.copyOf(m.keySet())).as(f.id()).isEqualTo(w.tensorNames());
                List<String> iterated = new ArrayList<>();
                m.forEach((k, v) -> iterated.add(k));
                assertThat(iterated).as(f.id()).isEqualTo(w.tensorNames());
                String first = f.names().get(0);
                Tensor any = m.get(first);
                assertThat(any).isNotNull();
                assertReadOnly(f.id(), () -> m.put("x", any));
                assertReadOnly(f.id(), () -> m.remove(first));
                assertReadOnly(f.id(), () -> m.putAll(Map.of("x", any)));
                assertReadOnly(f.id(), m::clear);
                assertReadOnly(f.id(), () -> m.keySet().remove(first));
                assertReadOnly(f.id(), () -> m.values().clear());
                assertReadOnly(f.id(), () -> m.entrySet().iterator().next().setValue(any));
                assertReadOnly(f.id(), () -> {
                    Iterator<String> it = m.keySet().iterator();
                    it.next();
                    it.remove();
                });
                assertThat(m).as(f.id() + ": unchanged").hasSize(f.tensors().size()).containsKey(first);
                assertThat(w.tensorNames()).as(f.id()).containsExactlyElementsOf(f.names());
            }
        }
    }

    @Test
    void anUnknownNameIsTensorNotFoundNamingIt() throws IOException {
        String missing = "no.such.tensor \u00e9";
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                assertThat(w.contains(missing)).as(f.id()).isFalse();
                assertThat(w.tensors().get(missing)).as(f.id()).isNull();
                assertThat(w.tensors().containsKey(missing)).as(f.id()).isFalse();
                Throwable t = catchThrowable(() -> w.tensor(missing));
                assertThat(t).as(f.id()).isInstanceOf(WeightmapException.class);
                assertThat(((WeightmapException) t).code()).as(f.id()).isEqualTo("TENSOR_NOT_FOUND");
                assertThat(WeightmapException.reasonOf(t)).isEqualTo("TENSOR_NOT_FOUND");
                assertThat(t.getMessage()).as(f.id()).contains(missing).contains(w.displayName());
                assertThat(((WeightmapException) t).file()).as(f.id() + ": file()").isEqualTo(w.displayName());
                assertThat(w.contains(null)).as(f.id() + ": contains(null)").isFalse();
                Throwable n = catchThrowable(() -> w.tensor(null));
                assertThat(n).as(f.id() + ": tensor(null)").isInstanceOf(WeightmapException.class);
                assertThat(((WeightmapException) n).code()).isEqualTo("TENSOR_NOT_FOUND");
            }
        }
    }

    @Test
    void metadataIsWhatTheToolWrote() throws IOException {
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                Map<String, ?> m = w.metadata();
                assertThat(plain(m)).as(f.id()).isEqualTo(plain(f.metadata()));
                assertReadOnly(f.id(), () -> put(m, "x"));
            }
        }
    }

    // ------------------------------------------------------------------ verify and damage

    @Test
    void verifyPassesAndReportsWhatTheFormatRecords() throws IOException {
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                VerifyReport r = w.verify();
                assertThat(r.format()).as(f.id()).isEqualTo(format());
                assertThat(r.tensors()).as(f.id()).isEqualTo(f.tensors().size());
                assertThat(r.files()).as(f.id()).isEqualTo(w.files().size());
                assertThat(r.checksums()).as(f.id()).isEqualTo(f.checksums());
                assertThat(r.bytes()).as(f.id()).isPositive();
                assertThat(r.checks()).as(f.id()).isNotEmpty();
                if (f.checksums() > 0) {
                    assertThat(String.join("; ", r.checks())).as(f.id()).containsIgnoringCase("CRC");
                }
            }
        }
    }

    @Test
    void aDamagedCopyFailsTyped() throws IOException {
        for (Fixture f : fixtures()) {
            Path dir = Files.createDirectories(tmp.resolve("damaged-" + f.id().replace('/', '_')));
            Path bad = corrupt(f, dir);
            boolean[] opened = new boolean[1];
            Throwable t = catchThrowable(() -> {
                try (Weights w = Weights.open(bad, f.options())) {
                    opened[0] = true;
                    w.verify();
                }
            });
            if (f.checksums() > 0) { // a flipped tensor byte breaks no structure: only verify() can tell
                assertThat(opened[0]).as(f.id() + ": opens despite the flipped byte: " + t).isTrue();
            }
            assertThat(t).as(f.id() + ": open + verify of the damaged copy").isInstanceOf(WeightmapException.class);
            WeightmapException e = (WeightmapException) t;
            assertThat(e.code()).as(f.id() + ": " + e.getMessage()).isIn(corruptionReasons(f));
            assertThat(e.getMessage()).as(f.id()).contains(dir.toString());
            assertThat(e.file()).as(f.id() + ": file() of " + e.getMessage()).isNotNull().contains(dir.toString());
        }
    }

    @Test
    void aTruncatedCopyFailsTypedNamingTheFile(Seeded seeded) throws IOException {
        List<Fixture> all = fixtures();
        seeded.tries(12, g -> {
            Fixture f = g.pick(all);
            Path dir = Files.createTempDirectory(tmp, "cut");
            Path copy = copyAs(f, dir, f.path().getFileName().toString());
            Path victim = dataFile(copy);
            long size = Files.size(victim);
            long keep = g.pick(0L, 1L, 7L, 8L, 64L, size / 2, size - 22, size - 1, g.longIn(0, size - 1));
            keep = Math.max(0, Math.min(size - 1, keep));
            try (FileChannel ch = FileChannel.open(victim, StandardOpenOption.WRITE)) {
                ch.truncate(keep);
            }
            seeded.tally("kept", keep == 0 ? "0" : keep == size - 1 ? "all but 1" : "some");
            Throwable t = catchThrowable(() -> openReadAll(copy, f.options()));
            if (cutKeepsEverything(f, keep)) {
                assertThat(t).as("%s cut to %d of %d bytes: only padding lost", f.id(), keep, size).isNull();
                try (Weights w = Weights.open(copy, f.options())) {
                    for (ExpectedTensor e : f.tensors()) {
                        assertThat(sha256(w.tensor(e.name()))).as(f.id() + " " + e.name()).isEqualTo(e.sha256());
                    }
                }
                return;
            }
            assertThat(t).as("%s cut to %d of %d bytes", f.id(), keep, size).isInstanceOf(WeightmapException.class);
            assertThat(t.getMessage()).as(f.id()).contains(dir.toString());
            assertThat(((WeightmapException) t).file()).as(f.id() + ": file()").contains(dir.toString());
        });
    }

    @Test
    void flippedBytesFailTypedOrLeaveCheckedBytesIntact(Seeded seeded) throws IOException {
        List<Fixture> all = fixtures();
        seeded.tries(40, g -> {
            Fixture f = g.pick(all);
            Path dir = Files.createTempDirectory(tmp, "flip");
            Path copy = copyAs(f, dir, f.path().getFileName().toString());
            Path victim = dataFile(copy);
            long size = Files.size(victim);
            try (FileChannel ch = FileChannel.open(victim, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                for (int k = g.intIn(1, 3); k > 0; k--) {
                    long at = switch (g.intIn(0, 2)) {
                        case 0 -> g.longIn(0, Math.min(size, 1024) - 1);             // headers, pickle
                        case 1 -> g.longIn(Math.max(0, size - 1024), size - 1);      // zip directories
                        default -> g.longIn(0, size - 1);
                    };
                    ByteBuffer b = ByteBuffer.allocate(1);
                    ch.read(b, at);
                    b.put(0, (byte) (b.get(0) ^ (1 << g.intIn(0, 7))));
                    b.rewind();
                    ch.write(b, at);
                }
            }
            Map<String, String> read = new LinkedHashMap<>();
            Throwable t = catchThrowable(() -> read.putAll(openReadAll(copy, f.options())));
            seeded.tally("outcome", t == null ? "read" : t instanceof WeightmapException e ? e.code() : t.toString());
            if (t != null) {
                assertThat(t).as(f.id()).isInstanceOf(WeightmapException.class);
                assertThat(t.getMessage()).as(f.id()).contains(dir.toString());
                assertThat(((WeightmapException) t).file()).as(f.id() + ": file()").contains(dir.toString());
            } else if (f.checksums() > 0) { // verify() passed: what the checksums cover is unchanged
                Map<String, String> expected = new LinkedHashMap<>();
                f.tensors().forEach(e -> expected.put(e.name(), e.sha256()));
                assertThat(read).as(f.id() + ": verified after a flip").containsExactlyEntriesOf(expected);
            }
        });
    }

    /** Opens, verifies and reads every tensor's bytes: their SHA-256 by name. */
    static Map<String, String> openReadAll(Path p, OpenOptions options) throws IOException {
        try (Weights w = Weights.open(p, options)) {
            w.verify();
            w.metadata();
            w.locations();
            Map<String, String> out = new LinkedHashMap<>();
            for (String n : w.tensorNames()) {
                out.put(n, sha256(w.tensor(n)));
            }
            return out;
        }
    }

    @Test
    void garbageNamedLikeThisFormatFailsWithATypedError(Seeded seeded) {
        seeded.tries(12, g -> {
            byte[] b = g.bytes(g.pick(16, 300, 5000));
            String ext = g.pick(ownExtensions());
            Path p = Files.createTempFile(tmp, "garbage", ext);
            Files.write(p, b);
            Throwable t = catchThrowable(() -> openReadAll(p, OpenOptions.defaults()));
            if (t != null) {
                assertThat(t).as("%s bytes named %s", b.length, ext).isInstanceOf(WeightmapException.class);
                assertThat(t.getMessage()).contains(p.getFileName().toString());
            }
        });
    }

    // ------------------------------------------------------------------ the command line

    @Test
    void theCommandLineShowsWhatTheLibraryReads() throws IOException {
        for (Fixture f : fixtures()) {
            String[] out = new String[2];
            assertThat(cli(out, "inspect", "--json", f.path().toString())).as(f.id() + ": " + out[1]).isZero();
            Map<String, Object> json = map(JsonReader.parse(out[0].strip().getBytes(StandardCharsets.UTF_8)));
            assertThat(json.get("format")).as(f.id()).isEqualTo(format());
            List<Map<String, Object>> tensors = maps(json.get("tensors"));
            // a DDUF tensor prints as its name inside the entry plus an "entry" field: entry::name in the library
            assertThat(tensors.stream().map(t -> t.containsKey("entry") ? t.get("entry") + "::" + t.get("name")
                    : t.get("name")).toList()).as(f.id()).isEqualTo(f.names());
            for (int i = 0; i < tensors.size(); i++) {
                Map<String, Object> t = tensors.get(i);
                ExpectedTensor e = printed(f, f.tensors().get(i));
                assertThat(t.get("dtype")).as(f.id() + " " + e.name()).isEqualTo(e.dtype());
                assertThat(longs(t.get("shape"))).as(f.id() + " " + e.name()).isEqualTo(e.shape());
                assertThat(number(t.get("offset"))).as(f.id() + " " + e.name()).isEqualTo(e.offset());
                assertThat(number(t.get("alignment"))).isEqualTo(TensorLocation.alignmentOf(e.offset()));
                if (e.file() != null) {
                    assertThat(t.get("file")).as(f.id() + " " + e.name()).isEqualTo(e.file());
                }
            }
            Path dir = Files.createDirectories(tmp.resolve("cli-" + f.id().replace('/', '_')));
            Path blob = copyAs(f, dir, "blob");
            assertThat(cli(out, "inspect", "--json", blob.toString())).as(f.id() + ": " + out[1]).isZero();
            Map<String, Object> renamed = map(JsonReader.parse(out[0].strip().getBytes(StandardCharsets.UTF_8)));
            assertThat(renamed.get("tensors")).as(f.id() + ": the renamed copy").isEqualTo(json.get("tensors"));

            assertThat(cli(out, "verify", "--json", f.path().toString())).as(f.id() + ": " + out[1]).isZero();
            Map<String, Object> report = map(JsonReader.parse(out[0].strip().getBytes(StandardCharsets.UTF_8)));
            assertThat(report.get("ok")).isEqualTo(true);
            assertThat(number(report.get("checksums"))).as(f.id()).isEqualTo(f.checksums());

            Path bad = corrupt(f, Files.createDirectories(dir.resolve("damaged")));
            assertThat(cli(out, "verify", bad.toString())).as(f.id() + ": verify of the damaged copy").isEqualTo(1);
            assertThat(out[1].lines().toList()).as(f.id()).singleElement().satisfies(line -> assertThat(
                    corruptionReasons(f).stream().anyMatch(r -> line.startsWith("error: " + r + ": "))).as(line)
                    .isTrue());
        }
    }

    /** Runs the {@code weightmap} command; {@code out} receives its standard output and error. */
    static int cli(String[] out, String... args) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
                new PrintStream(e, true, StandardCharsets.UTF_8), false);
        out[0] = o.toString(StandardCharsets.UTF_8);
        out[1] = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    // ------------------------------------------------------------------ close, races, leases

    @Test
    void afterCloseEveryLibraryMethodThrowsTypedNamingTheFile() throws IOException {
        for (Fixture f : fixtures()) {
            Weights w = open(f);
            String first = f.names().get(0);
            Tensor before = w.tensor(first);
            Path path = w.path();
            String name = w.displayName();
            List<Path> files = w.files();
            w.close();
            assertThat(w.isOpen()).isFalse();
            w.close(); // idempotent
            assertThat(w.isOpen()).isFalse();
            Map<String, Executable> calls = new LinkedHashMap<>();
            calls.put("tensorNames", w::tensorNames);
            calls.put("tensor", () -> w.tensor(first));
            calls.put("tensor(missing)", () -> w.tensor("missing"));
            calls.put("contains", () -> w.contains(first));
            calls.put("tensors", w::tensors);
            calls.put("metadata", w::metadata);
            calls.put("verify", w::verify);
            calls.put("locations", w::locations);
            calls.put("retain", w::retain);
            calls.forEach((method, call) -> {
                Throwable t = catchThrowable(call::execute);
                assertThat(t).as(f.id() + ": " + method + " after close").isInstanceOf(WeightsClosedException.class)
                        .isInstanceOf(IllegalStateException.class);
                assertThat(t.getMessage()).as(f.id() + ": " + method).contains(name);
                assertThat(((WeightsClosedException) t).file()).isEqualTo(name);
                assertThat(WeightmapException.reasonOf(t)).isEqualTo("CLOSED");
            });
            assertThat(w.path()).isEqualTo(path);
            assertThat(w.displayName()).isEqualTo(name);
            assertThat(w.format()).isEqualTo(format());
            assertThat(w.files()).isEqualTo(files);
            if (before.byteLength() > 0) {
                assertThatThrownBy(() -> sha256(before)).as(f.id() + ": raw access after unmap")
                        .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void readersOfOneFileAreIndependent() throws IOException {
        for (Fixture f : fixtures()) {
            Weights first = open(f);
            try (Weights second = open(f)) {
                Map<String, Tensor> before = Map.copyOf(first.tensors());
                first.close();
                assertThat(second.isOpen()).isTrue();
                for (ExpectedTensor e : f.tensors()) {
                    assertThat(sha256(second.tensor(e.name()))).as(f.id() + " " + e.name()).isEqualTo(e.sha256());
                }
                second.verify();
                Tensor nonEmpty = before.values().stream().filter(t -> t.byteLength() > 0).findFirst().orElseThrow();
                assertThatThrownBy(() -> readAll(nonEmpty)).isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void readersRacingCloseSeeOnlyTypedFailures() throws Exception {
        for (Fixture f : fixtures()) {
            warmRawReads(f);
            for (int round = 0; round < 2; round++) {
                Weights w = open(f);
                List<String> names = w.tensorNames();
                int readers = 8;
                CountDownLatch warmedUp = new CountDownLatch(readers);
                ConcurrentLinkedQueue<Throwable> wrong = new ConcurrentLinkedQueue<>();
                AtomicInteger closedSeen = new AtomicInteger();
                AtomicBoolean closing = new AtomicBoolean();
                List<Thread> threads = new ArrayList<>();
                for (int r = 0; r < readers; r++) {
                    int me = r;
                    threads.add(Thread.ofPlatform().name("reader-" + r).start(() -> {
                        boolean counted = false;
                        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                        try {
                            for (int pass = 0; System.nanoTime() < deadline; pass++) {
                                for (int i = 0; i < names.size(); i++) {
                                    String n = names.get((i + me) % names.size());
                                    Tensor t = w.tensor(n);
                                    readAll(t);
                                    if (!w.contains(n)) {
                                        throw new AssertionError("lost " + n);
                                    }
                                }
                                switch ((pass + me) % 4) {
                                    case 0 -> w.tensors().forEach((n, t) -> sha256(t));
                                    case 1 -> w.locations();
                                    case 2 -> w.metadata();
                                    default -> w.verify();
                                }
                                if (!counted) {
                                    counted = true;
                                    warmedUp.countDown();
                                }
                            }
                        } catch (IllegalStateException e) { // WeightsClosedException, or the JDK's on raw access
                            if (closing.get()) {
                                closedSeen.incrementAndGet();
                            } else {
                                wrong.add(e);
                            }
                        } catch (Throwable e) {
                            wrong.add(e);
                        } finally {
                            if (!counted) {
                                warmedUp.countDown();
                            }
                        }
                    }));
                }
                assertThat(warmedUp.await(30, TimeUnit.SECONDS)).as("readers started").isTrue();
                closing.set(true);
                w.close();
                for (Thread t : threads) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                    assertThat(t.isAlive()).as(f.id() + ": " + t.getName() + " finished").isFalse();
                }
                assertThat(wrong).as(f.id() + ": failures other than the closed ones").isEmpty();
                assertThat(closedSeen).as(f.id() + ": readers that saw the close").hasValue(readers);
                assertThat(catchThrowable(() -> w.tensor(names.get(0)))).isInstanceOf(WeightsClosedException.class);
            }
        }
    }

    @Test
    void leasedReadersOutliveAConcurrentClose() throws Exception {
        for (Fixture f : fixtures()) {
            Weights w = open(f);
            List<Tensor> tensors = List.copyOf(w.tensors().values());
            int readers = 8;
            List<Weights.Lease> leases = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                leases.add(w.retain()); // as a native consumer would, before handing the memory over
            }
            CountDownLatch warmedUp = new CountDownLatch(readers);
            AtomicBoolean closed = new AtomicBoolean();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int r = 0; r < readers; r++) {
                Weights.Lease lease = leases.get(r);
                threads.add(Thread.ofPlatform().name("leased-" + r).start(() -> {
                    try (lease) {
                        int afterClose = 0;
                        for (int pass = 0; afterClose < 20; pass++) {
                            for (Tensor t : tensors) {
                                readAll(t);
                            }
                            if (pass == 0) {
                                warmedUp.countDown();
                            }
                            if (closed.get()) {
                                afterClose++;
                            }
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                        warmedUp.countDown();
                    }
                }));
            }
            assertThat(warmedUp.await(30, TimeUnit.SECONDS)).isTrue();
            w.close();
            closed.set(true);
            assertThatThrownBy(() -> w.tensor(f.names().get(0))).isInstanceOf(WeightsClosedException.class);
            for (Thread t : threads) {
                t.join(TimeUnit.SECONDS.toMillis(30));
                assertThat(t.isAlive()).as(f.id() + ": " + t.getName() + " finished").isFalse();
            }
            assertThat(failures).as(f.id() + ": reads under a lease").isEmpty();
            Tensor nonEmpty = tensors.stream().filter(t -> t.byteLength() > 0).findFirst().orElseThrow();
            assertThatThrownBy(() -> readAll(nonEmpty)).as(f.id() + ": unmapped once every lease is released")
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void concurrentFirstUseSeesOneReader() throws Exception {
        for (Fixture f : fixtures()) {
            try (Weights w = open(f)) {
                int n = 8;
                CountDownLatch go = new CountDownLatch(1);
                List<Future<Map<String, String>>> seen = new ArrayList<>();
                try (var pool = Executors.newFixedThreadPool(n)) {
                    for (int i = 0; i < n; i++) {
                        int me = i;
                        seen.add(pool.submit(() -> {
                            go.await();
                            Map<String, String> out = new LinkedHashMap<>();
                            List<String> names = me % 2 == 0 ? w.tensorNames() : List.copyOf(w.tensors().keySet());
                            for (String name : names) {
                                out.put(name, sha256(w.tensor(name)));
                            }
                            return out;
                        }));
                    }
                    go.countDown();
                    Map<String, String> expected = new LinkedHashMap<>();
                    f.tensors().forEach(e -> expected.put(e.name(), e.sha256()));
                    for (var s : seen) {
                        assertThat(s.get(30, TimeUnit.SECONDS)).as(f.id()).containsExactlyEntriesOf(expected);
                    }
                }
            }
        }
    }

    @Test
    void aLeaseKeepsTheMappingsUntilReleased() throws IOException {
        for (Fixture f : fixtures()) {
            Weights w = open(f);
            ExpectedTensor e = f.tensors().stream().filter(x -> !x.sha256().equals(EMPTY_SHA256)).findFirst()
                    .orElseThrow();
            Tensor t = w.tensor(e.name());
            Map<String, Tensor> all = Map.copyOf(w.tensors());
            MemorySegment data = t.storage(); // raw memory, as a native consumer holds it
            ByteBuffer buffer = all.values().stream().filter(x -> x.isContiguous() && x.byteLength() > 0)
                    .findFirst().map(Tensor::asByteBuffer).orElse(null); // what an inference runtime is handed
            Weights.Lease lease = w.retain();
            Weights.Lease second = w.retain();
            w.close();
            assertThat(w.isOpen()).isFalse();
            assertThatThrownBy(() -> w.tensor(e.name())).isInstanceOf(WeightsClosedException.class);
            assertThatThrownBy(w::retain).isInstanceOf(WeightsClosedException.class);
            assertThat(sha256(t)).as(f.id() + ": readable while leased").isEqualTo(e.sha256());
            data.get(ValueLayout.JAVA_BYTE, 0);
            if (buffer != null) {
                buffer.get(0);
            }
            for (ExpectedTensor x : f.tensors()) { // one lease covers every file of the reader
                assertThat(sha256(all.get(x.name()))).as(f.id() + " " + x.name() + " while leased")
                        .isEqualTo(x.sha256());
            }
            lease.close();
            lease.close(); // idempotent: must not release the second lease's reference
            assertThat(sha256(t)).as(f.id() + ": readable while the second lease is held").isEqualTo(e.sha256());
            second.close();
            assertThatThrownBy(() -> data.get(ValueLayout.JAVA_BYTE, 0)).as(f.id() + ": unmapped after release")
                    .isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> sha256(t)).isInstanceOf(IllegalStateException.class);
            if (buffer != null) {
                assertThatThrownBy(() -> buffer.get(0)).as(f.id() + ": a ByteBuffer view after the unmap")
                        .isInstanceOf(IllegalStateException.class);
            }
        }
    }

    @Test
    void aCallersArenaOutlivesClose() throws IOException {
        assumeTrue(honoursCallersArena(), format() + ": OpenOptions.withArena is not passed on to the shards yet");
        for (Fixture f : fixtures()) {
            ExpectedTensor e = f.tensors().stream().filter(x -> !x.sha256().equals(EMPTY_SHA256)).findFirst()
                    .orElseThrow();
            Tensor t;
            try (Arena arena = Arena.ofShared()) {
                Weights w = Weights.open(f.path(), f.options().withArena(arena));
                t = w.tensor(e.name());
                w.close();
                assertThatThrownBy(() -> w.tensor(e.name())).isInstanceOf(WeightsClosedException.class);
                assertThat(sha256(t)).as(f.id() + ": the caller's arena decides when to unmap").isEqualTo(e.sha256());
            }
            assertThatThrownBy(() -> sha256(t)).as(f.id() + ": unmapped with the caller's arena")
                    .isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void pathsStayAsGiven() throws IOException {
        assumeTrue(keepsPathsAsGiven(), format() + ": shard paths are resolved against the absolute folder yet");
        Path cwd = Path.of("").toAbsolutePath();
        for (Fixture f : fixtures()) {
            Path relative = cwd.relativize(f.path().toAbsolutePath());
            assertThat(relative.isAbsolute()).isFalse();
            Weights w = Weights.open(relative, f.options());
            try (w) {
                assertThat(w.displayName()).as(f.id()).startsWith(relative.toString());
                for (Path p : w.files()) {
                    assertThat(p.isAbsolute()).as(f.id() + ": " + p).isFalse();
                }
                for (TensorLocation l : w.locations()) {
                    assertThat(l.file().isAbsolute()).as(f.id() + ": " + l.name() + " in " + l.file()).isFalse();
                }
            }
            assertThat(catchThrowable(w::tensorNames)).hasMessageContaining(relative.toString());
        }
    }

    // ------------------------------------------------------------------ detection

    @Test
    void detectedByContentWhateverTheName() throws IOException {
        for (Fixture f : fixtures()) {
            VerifyReport report;
            Map<String, ?> metadata;
            List<TensorLocation> locations;
            try (Weights w = open(f)) {
                report = w.verify();
                metadata = w.metadata();
                locations = List.copyOf(w.locations()); // the list may be a view, read while the reader is open
            }
            for (String ext : wrongExtensions()) {
                String name = "blob-" + Integer.toHexString(f.id().hashCode()) + ext;
                Path dir = Files.createDirectories(tmp.resolve("renamed-" + f.id().replace('/', '_')
                        + ext.replace('.', '_')));
                Path copy = copyAs(f, dir, name);
                String at = f.id() + " as " + copy.getFileName();
                assertThat(Weights.detect(copy)).as(at).isEqualTo(format());
                try (Weights w = Weights.open(copy, f.options())) {
                    assertThat(w.format()).as(at).isEqualTo(format());
                    if (Files.isDirectory(copy)) { // a folder's reader may report the index it found there
                        assertThat(w.path()).as(at).satisfiesAnyOf(p -> assertThat(p).isEqualTo(copy),
                                p -> assertThat(p.getParent()).isEqualTo(copy));
                    } else {
                        assertThat(w.path()).as(at).isEqualTo(copy);
                    }
                    assertThat(w.tensorNames()).as(at).containsExactlyElementsOf(f.names());
                    for (ExpectedTensor e : f.tensors()) {
                        assertThat(sha256(w.tensor(e.name()))).as(at + " " + e.name()).isEqualTo(e.sha256());
                    }
                    assertThat(plain(w.metadata())).as(at).isEqualTo(plain(metadata));
                    assertThat(w.verify()).as(at).isEqualTo(report);
                    List<TensorLocation> moved = w.locations();
                    for (int i = 0; i < moved.size(); i++) {
                        TensorLocation a = locations.get(i);
                        TensorLocation b = moved.get(i);
                        assertThat(b.offset()).as(at + " " + b.name()).isEqualTo(a.offset());
                        assertThat(b.length()).as(at + " " + b.name()).isEqualTo(a.length());
                        assertThat(b.extras().keySet()).as(at + " " + b.name()).isEqualTo(a.extras().keySet());
                    }
                }
            }
        }
    }

    /**
     * Lays out the files of {@code f} as the hub cache does: content in {@code blobs/<sha256>} (no extension),
     * {@code snapshots/<revision>/<name>} symbolic links to them.
     *
     * @param f   the fixture
     * @param dir the cache folder
     * @return the snapshot folder
     * @throws IOException when the files cannot be laid out
     */
    static Path hubCache(Fixture f, Path dir) throws IOException {
        Path blobs = Files.createDirectories(dir.resolve("blobs"));
        Path snapshot = Files.createDirectories(dir.resolve("snapshots").resolve("0123abcd"));
        List<Path> files;
        Path from = Files.isDirectory(f.path()) ? f.path() : f.path().getParent();
        if (Files.isDirectory(f.path()) || f.path().getFileName().toString().endsWith(".index.json")) {
            try (Stream<Path> all = Files.list(from)) {
                files = all.filter(Files::isRegularFile).toList();
            }
        } else {
            files = List.of(f.path());
        }
        for (Path p : files) {
            byte[] b = Files.readAllBytes(p);
            String hash;
            try {
                hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
            Path blob = blobs.resolve(hash);
            if (!Files.exists(blob)) {
                Files.write(blob, b);
            }
            Files.createSymbolicLink(snapshot.resolve(p.getFileName().toString()),
                    snapshot.relativize(blob));
        }
        return snapshot;
    }

    @Test
    void opensFromAHubCacheSnapshot() throws IOException {
        for (Fixture f : fixtures()) {
            Path cache = Files.createDirectories(tmp.resolve("cache-" + f.id().replace('/', '_')));
            Path snapshot;
            try {
                snapshot = hubCache(f, cache);
            } catch (UnsupportedOperationException | java.nio.file.FileSystemException e) {
                assumeTrue(false, "symbolic links are not available here: " + e);
                return;
            }
            Path target = inSnapshot(f, snapshot);
            try (Weights w = Weights.open(target, f.options())) {
                assertThat(w.format()).as(f.id()).isEqualTo(format());
                assertThat(w.tensorNames()).as(f.id()).containsExactlyElementsOf(f.names());
                for (ExpectedTensor e : f.tensors()) {
                    assertThat(sha256(w.tensor(e.name()))).as(f.id() + " " + e.name()).isEqualTo(e.sha256());
                }
                w.verify();
            }
            try (Stream<Path> blobs = Files.list(cache.resolve("blobs"))) {
                for (Path blob : (Iterable<Path>) blobs::iterator) {
                    if (!Files.readString(blob, StandardCharsets.ISO_8859_1).contains("weight_map")) {
                        assertThat(Weights.detect(blob)).as(f.id() + ": blob " + blob.getFileName())
                                .isIn(format(), Weights.SAFETENSORS, Weights.TORCH);
                    }
                }
            }
        }
    }

    @Test
    void aMissingPathIsNoSuchFileNamingIt() {
        Path p = tmp.resolve("not-there.safetensors");
        Throwable t = catchThrowable(() -> Weights.open(p));
        assertThat(t).isInstanceOf(java.nio.file.NoSuchFileException.class).hasMessageContaining(p.toString());
        assertThat(WeightmapException.reasonOf(t)).isEqualTo("NOT_FOUND");
    }

    @Test
    void randomBytesAreUnknownFormat(Seeded seeded) {
        seeded.tries(20, g -> {
            byte[] b = g.bytes(g.pick(1, 7, 8, 64, 4096, 9000));
            if (b.length == 0 || (b[0] == 'G' && b.length > 3 && b[1] == 'G')) {
                return;
            }
            Path p = tmp.resolve("random-" + Integer.toHexString(Arrays.hashCode(b)));
            Files.write(p, b);
            WeightmapException e = unknown(p);
            assertThat(e.getMessage()).containsAnyOf("binary data", "text", "JSON");
            if (e.getMessage().contains("binary data")) { // says how it starts
                byte[] head = Arrays.copyOf(b, Math.min(b.length, 8));
                assertThat(e.getMessage()).contains(HexFormat.of().formatHex(head)).contains(b.length + " bytes");
            }
        });
    }

    @Test
    void anEmptyFileIsUnknownFormat() throws IOException {
        Path p = Files.createFile(tmp.resolve("empty"));
        assertThat(unknown(p).getMessage()).contains("an empty file");
        Path q = Files.createFile(tmp.resolve("empty.txt"));
        assertThat(unknown(q).getMessage()).contains("an empty file");
    }

    @Test
    void aTextFileIsUnknownFormat() throws IOException {
        assertThat(unknownText("notes", "These are not weights.\nJust a line of text, \u00fcnicode too.\n"))
                .contains("text");
        assertThat(unknownText("model-lfs", LFS_POINTER)).contains("Git LFS");
        assertThat(unknownText("config", "{\"hidden_size\": 64}")).contains("JSON");
    }

    @Test
    void anHtmlPageIsUnknownFormat() throws IOException {
        assertThat(unknownText("download",
                "\n<!DOCTYPE html>\n<html><head><title>404</title></head><body>Not found</body></html>\n"))
                .contains("HTML");
        assertThat(unknownText("page.html", "<html><body>rate limited</body></html>")).contains("HTML");
    }

    @Test
    void aPageOrPointerSavedUnderThisFormatsNameIsUnknownFormat() throws IOException {
        for (String ext : ownExtensions()) { // what a failed download leaves: the name is right, the bytes are not
            assertThat(unknownText("page" + ext, "<!doctype html><html><body>Access denied</body></html>"))
                    .contains("HTML").contains("its name says");
            assertThat(unknownText("pointer" + ext, LFS_POINTER)).contains("Git LFS pointer");
        }
    }

    /** A Git LFS pointer file, what a clone without LFS leaves in place of the weights. */
    static final String LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:0123\nsize 12\n";

    /** Writes {@code text} to a file {@code name} and returns the message of its UNKNOWN_FORMAT ({@link #unknown}). */
    String unknownText(String name, String text) throws IOException {
        Path p = tmp.resolve(name);
        Files.writeString(p, text);
        return unknown(p).getMessage();
    }

    @Test
    void aGgufFile() throws IOException {
        checkGguf(resource("zero_tensors.gguf"));
        for (String name : List.of("weights", "model.safetensors", "pytorch_model.bin", "model.pt", "x.dduf",
                "model.safetensors.index.json")) { // the GGUF magic is content: no name makes it another format
            Path copy = Files.createDirectories(tmp.resolve("gguf-" + name)).resolve(name);
            Files.copy(resource("zero_tensors.gguf"), copy);
            checkGguf(copy);
        }
    }

    /** Opens {@code p} and expects UNKNOWN_FORMAT naming it; also through {@link Weights#detect(Path)}. */
    static WeightmapException unknown(Path p) throws IOException {
        for (Executable call : List.<Executable>of(() -> Weights.open(p).close(), () -> Weights.detect(p))) {
            Throwable t = catchThrowable(call::execute);
            assertThat(t).as(p.getFileName().toString()).isInstanceOf(WeightmapException.class);
            WeightmapException e = (WeightmapException) t;
            assertThat(e.code()).as(e.getMessage()).isEqualTo("UNKNOWN_FORMAT");
            assertThat(e.getMessage()).contains(p.toString());
            assertThat(e.file()).isEqualTo(p.toString());
        }
        return (WeightmapException) catchThrowable(() -> Weights.detect(p));
    }

    // ------------------------------------------------------------------ shared by the subclasses

    /** SHA-256 of no bytes: a zero-size tensor's. */
    static final String EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    static Path resource(String rel) {
        try {
            var url = WeightsContractTest.class.getResource("/contract/" + rel);
            if (url == null) {
                throw new IllegalStateException("missing test resource contract/" + rel);
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Object json(Path p) throws IOException {
        return JsonReader.parse(Files.readAllBytes(p));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> maps(Object o) {
        return (List<Map<String, Object>>) o;
    }

    static long[] longs(Object o) {
        return ((List<?>) o).stream().mapToLong(x -> ((Number) x).longValue()).toArray();
    }

    static long number(Object o) {
        return ((Number) o).longValue();
    }

    /** SHA-256 over a tensor's logical bytes (row-major, contiguous), as the fixtures record it. */
    static String sha256(Tensor t) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (OutputStream os = new DigestOutputStream(OutputStream.nullOutputStream(), md)) {
                t.writeTo(Channels.newChannel(os));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Reads every tensor of {@code f} on this thread, closed afterwards, until the raw read path has run some
     * 200,000 times, so the racing readers mostly start in fully compiled code. A close racing a read still in
     * profiled C1 code can crash the JVM on JDK builds without the fix of JDK-8364167 (see docs/ARCHITECTURE.md);
     * this narrows that window, it does not close it.
     */
    private void warmRawReads(Fixture f) throws IOException {
        long reads = 0;
        try (Weights w = open(f)) {
            List<String> names = w.tensorNames();
            long bytes = 0;
            for (String n : names) {
                bytes += w.tensor(n).byteLength();
            }
            if (bytes == 0) {
                return;
            }
            while (reads < 200_000) {
                for (String n : names) {
                    Tensor t = w.tensor(n);
                    readAll(t);
                    reads += Math.max(1, t.byteLength() / 8);
                }
            }
        }
    }

    /** Reads every byte of a tensor's raw segment, {@code data()} (its storage when strided), as native code would. */
    static long readAll(Tensor t) {
        MemorySegment s = t.isContiguous() ? t.data() : t.storage();
        long sum = 0;
        long n = s.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            sum += s.get(ValueLayout.JAVA_LONG_UNALIGNED, i);
        }
        for (; i < n; i++) {
            sum += s.get(ValueLayout.JAVA_BYTE, i);
        }
        return sum;
    }

    /** A copy of {@code from} with the byte at {@code offset} inverted. */
    static Path flipByte(Path from, Path to, long offset) throws IOException {
        Files.copy(from, to);
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.flip();
            b.put(0, (byte) ~b.get(0));
            ch.write(b, offset);
        }
        return to;
    }

    /** A copy of {@code from} without its last {@code drop} bytes. */
    static Path truncated(Path from, Path to, long drop) throws IOException {
        Files.copy(from, to);
        try (FileChannel ch = FileChannel.open(to, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - drop);
        }
        return to;
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }

    /** Values as JSON has them: maps with string keys in order, lists, strings, booleans, integers as longs. */
    static Object plain(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), plain(x)));
            return out;
        }
        if (v instanceof Collection<?> c) {
            return c.stream().map(WeightsContractTest::plain).toList();
        }
        if (v instanceof BigInteger b && b.bitLength() < 64) {
            return b.longValue();
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        return v;
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static void put(Map<String, ?> m, String key) {
        ((Map) m).put(key, "v");
    }

    private static void assertReadOnly(String at, Executable call) {
        assertThat(catchThrowable(call::execute)).as(at + ": a write through tensors()/metadata()")
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
