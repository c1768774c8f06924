// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.internal.io;

import dev.weightmap.WeightmapException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The single-file writer every format uses: crash-consistent replacement, cleanup, and its messages. */
class AtomicFileTest {
    @TempDir
    Path dir;

    private static void write(Path p, String text) throws IOException {
        AtomicFile.write(p, ch -> ch.write(ByteBuffer.wrap(text.getBytes())));
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static boolean run(String... cmd) throws Exception {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException absent) {
            return false;
        }
    }

    @Test
    void fifoTargetIsRefusedAndStaysAFifo() throws Exception {
        Path fifo = dir.resolve("out.safetensors");
        assumeTrue(run("mkfifo", fifo.toString()), "mkfifo is not available");
        assertThatThrownBy(() -> write(fifo, "x")).isInstanceOf(WeightmapException.class)
                .hasMessageContaining(fifo.toString()).hasMessageContaining("FIFO")
                .satisfies(e -> assertThat(((WeightmapException) e).code()).isEqualTo("NOT_A_REGULAR_FILE"));
        assertThat(Files.isRegularFile(fifo, LinkOption.NOFOLLOW_LINKS)).isFalse();
        assertThat(AtomicFile.kind(fifo)).isEqualTo("a FIFO (named pipe)");
        assertThat(names()).containsExactly("out.safetensors");
    }

    @Test
    void characterDeviceTargetIsRefusedAndStaysADevice() throws Exception {
        // a private copy of /dev/null's device node: never risk the real one
        Path dev = dir.resolve("null.bin");
        assumeTrue(run("mknod", dev.toString(), "c", "1", "3"), "mknod needs root");
        assertThatThrownBy(() -> write(dev, "x")).isInstanceOf(WeightmapException.class)
                .hasMessageContaining("character device");
        assertThat(AtomicFile.kind(dev)).isEqualTo("a character device");
    }

    @Test
    void folderTargetIsRefused() throws IOException {
        Path d = Files.createDirectory(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> write(d, "x")).isInstanceOf(WeightmapException.class)
                .hasMessageContaining("a folder");
        assertThat(Files.isDirectory(d)).isTrue();
    }

    @Test
    void symlinkIsWrittenThroughAndStaysALink() throws IOException {
        Path real = dir.resolve("real.bin");
        Files.writeString(real, "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.bin"), real.getFileName());
        write(link, "new");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(Files.readString(real)).isEqualTo("new");
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.bin"), dir.resolve("nowhere"));
        assertThatThrownBy(() -> write(dangling, "x")).isInstanceOf(WeightmapException.class)
                .hasMessageContaining("missing file");
        assertThat(Files.isSymbolicLink(dangling)).isTrue();
    }

    @Test
    void replacedFileKeepsItsMode() throws IOException {
        Path p = dir.resolve("model.dduf");
        Files.writeString(p, "old");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        write(p, "new");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-rw-r--"));
        write(p, "newer");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-rw-r--");
    }

    @Test
    void fullDiskNamesTheTargetAndLeavesNothing() throws IOException {
        Path p = dir.resolve("model.safetensors.index.json");
        Files.writeString(p, "old");
        FsSteps.writeFault = t -> {
            throw new IOException("No space left on device");
        };
        try {
            assertThatThrownBy(() -> write(p, "new")).isInstanceOf(IOException.class)
                    .hasMessage("no space left on device writing " + p.toAbsolutePath());
        } finally {
            FsSteps.writeFault = null;
        }
        assertThat(Files.readString(p)).isEqualTo("old");
        assertThat(names()).containsExactly("model.safetensors.index.json");
    }

    @Test
    void deniedFolderNamesTheTargetNotTheTemporaryFile() {
        Path tmp = dir.resolve(TempFiles.newName(true));
        Path dest = dir.resolve("out.bin");
        IOException e = AtomicFile.named(new java.nio.file.AccessDeniedException(tmp.toString()), tmp, dest);
        assertThat(e).isInstanceOf(java.nio.file.AccessDeniedException.class);
        assertThat(e.getMessage()).contains(dest.toString()).doesNotContain(TempFiles.PREFIX);
    }

    @Test
    void staleTemporaryFilesOfDeadWritersAreRemovedByTheNextWrite() throws IOException {
        Path mine = dir.resolve(TempFiles.newName(true));
        Files.writeString(mine, "in progress"); // owned by this live JVM: kept
        Path dead = dir.resolve(TempFiles.PREFIX + "999999999-1-abc" + TempFiles.FILE_SUFFIX); // no such pid
        Files.writeString(dead, "left by a kill -9");
        Path foreign = dir.resolve(".notes.123.tmp");
        Files.writeString(foreign, "not ours");
        assertThat(TempFiles.isStale(dead)).isTrue();
        assertThat(TempFiles.isStale(mine)).isFalse();
        write(dir.resolve("a.safetensors"), "x");
        assertThat(dead).doesNotExist();
        assertThat(mine).exists();
        assertThat(foreign).exists();
    }

    @Test
    void staleStagingFoldersAreRemovedByTheNextWriteUnlessAnIndexNamesThem() throws IOException {
        Path dead = Files.createDirectory(dir.resolve(TempFiles.PREFIX + "999999999-1-abc"));
        Files.writeString(dead.resolve("model-00001-of-00002.safetensors"), "left by a kill -9");
        Path named = Files.createDirectory(dir.resolve(TempFiles.PREFIX + "999999999-1-def"));
        Files.writeString(named.resolve("model-00001-of-00001.safetensors"), "a committed checkpoint");
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"w\": \""
                + named.getFileName() + "/model-00001-of-00001.safetensors\"}}");
        Path mine = Files.createDirectory(dir.resolve(TempFiles.newName(false)));
        write(dir.resolve("a.safetensors"), "x");
        assertThat(dead).doesNotExist();
        assertThat(named.resolve("model-00001-of-00001.safetensors")).exists();
        assertThat(mine).exists();
    }
}
