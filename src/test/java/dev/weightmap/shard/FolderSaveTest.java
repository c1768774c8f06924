// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.WeightmapException;
import dev.weightmap.cli.Main;
import dev.weightmap.internal.json.JsonReader;
import dev.weightmap.shard.CrashSaveChild.Version;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Folder saves: temporary-entry recovery and {@code weightmap clean}, targets that are not files, modes. */
class FolderSaveTest {
    private static final Version OLD = new Version(1, 6, 64, 600, false);
    private static final Version NEW = new Version(2, 6, 64, 600, false);
    private static final List<String> SHARDS = List.of("model-00001-of-00003.safetensors",
            "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors");

    @TempDir
    Path tmp;

    private Path saved(Version v) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        StateDicts.save(v.stateDict(), dir, v.options());
        return dir;
    }

    private static Map<String, String> bytesOf(Map<String, Tensor> tensors) {
        Map<String, String> out = new java.util.TreeMap<>();
        tensors.forEach((n, t) -> out.put(n, java.util.HexFormat.of().formatHex(
                t.contiguous(Arena.ofAuto()).data().toArray(ValueLayout.JAVA_BYTE))));
        return out;
    }

    private static boolean isVersion(Path dir, Version v) throws IOException {
        try (Checkpoint c = Checkpoints.open(dir)) {
            return bytesOf(c.tensors()).equals(bytesOf(v.stateDict()));
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A pid no process has. */
    private static long deadPid() {
        for (long p = 4_000_000; ; p--) {
            if (ProcessHandle.of(p).isEmpty()) {
                return p;
            }
        }
    }

    private static String live(String rand) {
        long start = ProcessHandle.current().info().startInstant().map(Instant::toEpochMilli).orElse(0L);
        return ".weightmap-tmp-" + ProcessHandle.current().pid() + "-" + start + "-" + rand;
    }

    record Run(int code, String out, String err) {
    }

    private static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), false);
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** A checkpoint with a dead writer's temporary file (100 bytes) and staging folder (50 bytes), a live one's. */
    private Path leftovers() throws IOException {
        Path dir = saved(OLD);
        long dead = deadPid();
        Files.write(dir.resolve(".weightmap-tmp-" + dead + "-1700000000000-abc.tmp"), new byte[100]);
        Path staging = Files.createDirectory(dir.resolve(".weightmap-tmp-" + dead + "-1700000000000-def"));
        Files.write(staging.resolve("model-00001-of-00003.safetensors"), new byte[50]);
        Files.write(dir.resolve(live("123.tmp")), new byte[7]);
        Files.createDirectory(dir.resolve(live("456")));
        Files.write(dir.resolve(".hidden-user-file"), new byte[3]);
        return dir;
    }

    @Test
    void cleanRemovesWhatDeadWritersLeftAndKeepsLiveOnes() throws IOException {
        Path dir = leftovers();
        List<String> before = names(dir);
        Run dry = cli("clean", dir.toString(), "--dry-run", "--json");
        assertThat(dry.code()).as(dry.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> j = (Map<String, Object>) JsonReader.parse(dry.out().trim()
                .getBytes(StandardCharsets.UTF_8));
        assertThat(j).containsEntry("removed", 2L).containsEntry("bytes", 150L).containsEntry("kept", 2L)
                .containsEntry("dry_run", true).containsEntry("path", dir.toString());
        assertThat(names(dir)).isEqualTo(before);

        Run r = cli("clean", dir.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("removed 2 temporary entries, 150 bytes; kept 2");
        assertThat(names(dir)).containsExactlyInAnyOrder(".hidden-user-file", live("123.tmp"), live("456"),
                SHARDS.get(0), SHARDS.get(1), SHARDS.get(2), "model.safetensors.index.json");
        assertThat(isVersion(dir, OLD)).isTrue();

        Run again = cli("clean", dir.toString(), "--json");
        assertThat(again.out()).contains("\"removed\":0").contains("\"bytes\":0").contains("\"kept\":2");
    }

    @Test
    void theNextSaveRemovesWhatDeadWritersLeftAndKeepsLiveOnes() throws IOException {
        Path dir = leftovers();
        StateDicts.save(NEW.stateDict(), dir, NEW.options());
        assertThat(isVersion(dir, NEW)).isTrue();
        assertThat(names(dir)).containsExactlyInAnyOrder(".hidden-user-file", live("123.tmp"), live("456"),
                SHARDS.get(0), SHARDS.get(1), SHARDS.get(2), "model.safetensors.index.json");
    }

    @Test
    void cleanHelpAndUsage() {
        Run h = cli("clean", "--help");
        assertThat(h.code()).isZero();
        assertThat(h.out()).contains("weightmap clean DIR [--dry-run] [--json]").contains("\"removed\"");
        assertThat(cli("clean").code()).isEqualTo(2);
        Run missing = cli("clean", tmp.resolve("nope").toString());
        assertThat(missing.code()).isEqualTo(1);
        assertThat(missing.err()).startsWith("error: ");
    }

    @Test
    void convertCountsOnlyTheFilesItWrote() throws IOException {
        Path in = saved(new Version(1, 6, 64, 1 << 20, false)).resolve("model.safetensors");
        Path out = Files.createDirectories(tmp.resolve("out"));
        for (String n : List.of("config.json", "model.fp16.safetensors", "model.safetensors.backup",
                "pytorch_model.bin", "model-00001-of-00002.safetensors", "model.safetensors.index.json")) {
            Files.write(out.resolve(n), new byte[1000]);
        }
        Run r = cli("convert", in.toString(), out.resolve("model.safetensors").toString());
        assertThat(r.code()).as(r.err()).isZero();
        long size = Files.size(out.resolve("model.safetensors"));
        assertThat(r.out()).contains(": 1 file(s), " + size + " bytes");
        // the old checkpoint of the same pattern is gone, everything else stays
        assertThat(names(out)).containsExactly("config.json", "model.fp16.safetensors", "model.safetensors",
                "model.safetensors.backup", "pytorch_model.bin");

        Run sharded = cli("convert", in.toString(), out.resolve("model.safetensors").toString(),
                "--max-shard-size", "600");
        assertThat(sharded.code()).as(sharded.err()).isZero();
        long total = 0;
        for (String n : List.of(SHARDS.get(0), SHARDS.get(1), SHARDS.get(2), "model.safetensors.index.json")) {
            total += Files.size(out.resolve(n));
        }
        assertThat(sharded.out()).contains(": 4 file(s), " + total + " bytes");
    }

    @Test
    void aRealFullDiskDuringAnInPlaceReshardKeepsTheOldCheckpoint() throws Exception {
        Path mnt = Files.createDirectories(tmp.resolve("small-disk"));
        assumeTrue(run("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt.toString()) == 0,
                "mounting a small tmpfs needs root");
        try {
            Path dir = Files.createDirectory(mnt.resolve("ckpt"));
            StateDicts.save(OLD.stateDict(), dir, OLD.options());
            List<String> before = names(dir);
            // fill the disk, then free three pages: room for the three new shards, none for the index
            Path filler = mnt.resolve("filler");
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(filler,
                    java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
                java.nio.ByteBuffer page = java.nio.ByteBuffer.allocate(4096);
                try {
                    while (true) {
                        page.clear();
                        ch.write(page);
                    }
                } catch (IOException full) {
                    assertThat(full.getMessage()).containsIgnoringCase("space");
                }
                ch.truncate(Math.max(0, ch.size() - 3 * 4096L));
            }
            assertThatThrownBy(() -> StateDicts.save(NEW.stateDict(), dir, NEW.options()))
                    .isInstanceOf(IOException.class).hasMessageContaining("no space left on device writing "
                            + dir.resolve("model.safetensors.index.json")); // the commit point
            assertThat(isVersion(dir, OLD)).isTrue();
            assertThat(names(dir)).isEqualTo(before);
            Files.delete(filler);
            StateDicts.save(NEW.stateDict(), dir, NEW.options()); // room again: the save goes through
            assertThat(isVersion(dir, NEW)).isTrue();
        } finally {
            run("umount", mnt.toString());
        }
    }

    // ------------------------------------------------------------------------------------------ not files

    @Test
    void aFolderAtAShardNameIsRefusedBeforeAnythingIsWritten() throws IOException {
        Path dir = saved(new Version(1, 6, 64, 1 << 20, false)); // one file: no shard names in use
        Files.createDirectory(dir.resolve(SHARDS.get(1)));
        List<String> before = names(dir);
        assertThatThrownBy(() -> StateDicts.save(NEW.stateDict(), dir, NEW.options()))
                .isInstanceOf(WeightmapException.class)
                .satisfies(e -> assertThat(((WeightmapException) e).code()).isEqualTo("NOT_A_REGULAR_FILE"))
                .hasMessageContaining(dir.resolve(SHARDS.get(1)).toString()).hasMessageContaining("a folder");
        assertThat(names(dir)).isEqualTo(before);
        assertThat(Files.isDirectory(dir.resolve(SHARDS.get(1)))).isTrue();
    }

    @Test
    void aFifoAtTheIndexNameIsRefusedAndStaysAFifo() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Path fifo = dir.resolve("model.safetensors.index.json");
        assumeTrue(run("mkfifo", fifo.toString()) == 0, "mkfifo is not available");
        assertThatThrownBy(() -> StateDicts.save(NEW.stateDict(), dir, NEW.options()))
                .isInstanceOf(WeightmapException.class)
                .satisfies(e -> assertThat(((WeightmapException) e).code()).isEqualTo("NOT_A_REGULAR_FILE"))
                .hasMessageContaining("FIFO");
        assertThat(names(dir)).containsExactly("model.safetensors.index.json");
        assertThat(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS)).isFalse();
    }

    @Test
    void aDeviceAtTheSingleFileNameIsRefused() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("ckpt"));
        Path dev = dir.resolve("model.safetensors");
        assumeTrue(run("mknod", dev.toString(), "c", "1", "3") == 0, "mknod needs root");
        Version single = new Version(2, 6, 64, 1 << 20, false);
        assertThatThrownBy(() -> StateDicts.save(single.stateDict(), dir, single.options()))
                .isInstanceOf(WeightmapException.class).hasMessageContaining("character device");
        assertThat(names(dir)).containsExactly("model.safetensors");
    }

    @Test
    void aLinkAtAShardNameIsWrittenThroughAndStaysALink() throws IOException {
        Path dir = saved(OLD);
        Path blobs = Files.createDirectories(tmp.resolve("blobs"));
        Path blob = blobs.resolve("abc123");
        Files.move(dir.resolve(SHARDS.get(0)), blob);
        Files.createSymbolicLink(dir.resolve(SHARDS.get(0)), Path.of("../blobs/abc123"));
        assertThat(isVersion(dir, OLD)).isTrue();
        StateDicts.save(NEW.stateDict(), dir, NEW.options());
        assertThat(isVersion(dir, NEW)).isTrue();
        assertThat(Files.isSymbolicLink(dir.resolve(SHARDS.get(0)))).isTrue();
        try (Checkpoint c = Checkpoints.open(dir)) {
            assertThat(c.tensors()).isNotEmpty();
        }
        assertThat(names(blobs)).containsExactly("abc123"); // replaced atomically in its own folder
        assertThat(names(dir).stream().filter(n -> n.startsWith(".weightmap-tmp-"))).isEmpty();
    }

    @Test
    void anOldSingleFileThatIsALinkStaysLoadableThroughoutAndIsRestoredAfterAFailure() throws IOException {
        Version single = new Version(1, 6, 64, 1 << 20, false);
        Path dir = saved(single);
        Path blobs = Files.createDirectories(tmp.resolve("blobs"));
        Files.move(dir.resolve("model.safetensors"), blobs.resolve("sha"));
        Files.createSymbolicLink(dir.resolve("model.safetensors"), Path.of("../blobs/sha"));
        byte[] blob = Files.readAllBytes(blobs.resolve("sha"));
        dev.weightmap.internal.io.FsSteps.writeFault = target -> {
            if (target.getFileName().toString().endsWith(".index.json")
                    && Files.exists(target.getParent().resolve("model.safetensors.index.json"))) {
                throw new IOException("No space left on device"); // the commit, not the old file's own index
            }
        };
        try {
            assertThatThrownBy(() -> StateDicts.save(NEW.stateDict(), dir, NEW.options()))
                    .hasMessageContaining("no space left on device");
        } finally {
            dev.weightmap.internal.io.FsSteps.writeFault = null;
        }
        assertThat(Files.isSymbolicLink(dir.resolve("model.safetensors"))).isTrue();
        assertThat(Files.readSymbolicLink(dir.resolve("model.safetensors"))).isEqualTo(Path.of("../blobs/sha"));
        assertThat(names(dir)).containsExactly("model.safetensors");
        assertThat(isVersion(dir, single)).isTrue();

        StateDicts.save(NEW.stateDict(), dir, NEW.options());
        assertThat(isVersion(dir, NEW)).isTrue();
        assertThat(names(dir)).containsExactly(SHARDS.get(0), SHARDS.get(1), SHARDS.get(2),
                "model.safetensors.index.json");
        assertThat(Files.readAllBytes(blobs.resolve("sha"))).isEqualTo(blob); // the blob is never written
    }

    @Test
    void aSingleFileSavedByAnotherProcessThanTheMainOneKeepsAnIndexNamingIt() throws IOException {
        Path dir = saved(OLD);
        Version single = new Version(2, 6, 64, 1 << 20, false);
        List<Path> written = StateDicts.save(single.stateDict(), dir, SaveOptions.builder().maxShardSize(1 << 20)
                .isMainProcess(false).build());
        assertThat(written).containsExactly(dir.resolve("model.safetensors"),
                dir.resolve("model.safetensors.index.json"));
        assertThat(names(dir)).containsExactly(SHARDS.get(0), SHARDS.get(1), SHARDS.get(2), "model.safetensors",
                "model.safetensors.index.json"); // the old shards stay (hub's rule), unused
        assertThat(isVersion(dir, single)).isTrue(); // the index rule
        try (Checkpoint c = Checkpoints.loadStateDictFromFile(dir.resolve("model.safetensors"))) {
            assertThat(bytesOf(c.tensors())).isEqualTo(bytesOf(single.stateDict())); // the single-file rule
        }
    }

    // ------------------------------------------------------------------------------------------ modes

    @Test
    void replacedFilesKeepTheirMode() throws IOException {
        Path dir = saved(OLD);
        for (String n : List.of(SHARDS.get(0), "model.safetensors.index.json")) {
            Files.setPosixFilePermissions(dir.resolve(n), PosixFilePermissions.fromString("rw-r-----"));
        }
        StateDicts.save(NEW.stateDict(), dir, NEW.options());
        assertThat(isVersion(dir, NEW)).isTrue();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SHARDS.get(0)))))
                .isEqualTo("rw-r-----");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(
                dir.resolve("model.safetensors.index.json")))).isEqualTo("rw-r-----");
    }

    @Test
    void newFilesHonourTheUmask() throws Exception {
        assumeTrue(run("sh", "-c", "umask 077") == 0, "no POSIX shell");
        for (Version v : List.of(NEW, new Version(2, 4, 64, 600, true), new Version(2, 4, 64, 1 << 20, true))) {
            Path dir = Files.createDirectories(tmp.resolve("umask-" + v.spec().replace(':', '_')));
            String cp = Path.of("target/classes").toAbsolutePath() + java.io.File.pathSeparator
                    + Path.of("target/test-classes").toAbsolutePath();
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            int code = run("sh", "-c", "umask 077 && exec \"$0\" -XX:TieredStopAtLevel=1 -cp \"$1\" "
                    + CrashSaveChild.class.getName() + " \"$2\" \"$3\"", java, cp, dir.toString(), v.spec());
            assertThat(code).isZero();
            List<String> files = names(dir);
            assertThat(files).isNotEmpty();
            for (String n : files) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(n))))
                        .as(n).isEqualTo("rw-------");
            }
        }
        // the single-file writers of the CLI: a manifest and a DDUF archive
        Path st = saved(new Version(3, 2, 64, 1 << 20, false)).resolve("model.safetensors");
        Path pipe = Files.createDirectories(tmp.resolve("pipe/unet"));
        Files.writeString(pipe.getParent().resolve("model_index.json"),
                "{\"_class_name\": \"P\", \"unet\": [\"d\", \"U\"]}");
        Files.writeString(pipe.resolve("config.json"), "{}");
        Files.copy(st, pipe.resolve("diffusion_pytorch_model.safetensors"));
        Path outs = Files.createDirectories(tmp.resolve("umask-cli"));
        String cp = Path.of("target/classes").toAbsolutePath() + java.io.File.pathSeparator
                + Path.of("target/test-classes").toAbsolutePath();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String cli = "\"$0\" -XX:TieredStopAtLevel=1 -cp \"$1\" " + Main.class.getName();
        int code = run("sh", "-c", "umask 077 && " + cli + " hash --manifest \"$2/m.json\" \"$3\" && " + cli
                + " export-dduf \"$4\" \"$2/p.dduf\"", java, cp, outs.toString(), st.toString(),
                pipe.getParent().toString());
        assertThat(code).isZero();
        assertThat(names(outs)).containsExactly("m.json", "p.dduf");
        for (String n : names(outs)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(outs.resolve(n))))
                    .as(n).isEqualTo("rw-------");
        }
        Path dir = saved(NEW); // this process's umask (022 or so) gives group/other read
        String mode = PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve(SHARDS.get(0))));
        assertThat(mode).startsWith("rw-");
    }

    private static int run(String... cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor();
        } catch (IOException absent) {
            return -1;
        }
    }
}
