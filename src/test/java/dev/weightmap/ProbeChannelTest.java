// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.safetensors.Safetensors;
import dev.weightmap.safetensors.SafetensorsException;
import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;
import dev.weightmap.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The opener's probe channel: a format that takes it owns it (the opener leaves it open), a channel no format took
 * is closed by the opener whether the open returned or threw, and neither a failed nor a successful open through
 * the front door leaves a file descriptor behind.
 */
class ProbeChannelTest {
    @TempDir
    Path dir;

    private Path small() throws IOException {
        Path p = dir.resolve("a.safetensors");
        Safetensors.save(Map.of("w", Tensor.ofFloats(new float[] {1f, 2f, 3f}, 3)), Map.of(), p);
        return p;
    }

    /** A format claiming every file, which records the probe and then does what the test asks. */
    private static final class Recording implements WeightsFormat {
        final boolean take;
        final boolean fail;
        Probe probe;
        FileChannel taken;

        Recording(boolean take, boolean fail) {
            this.take = take;
            this.fail = fail;
        }

        @Override
        public String name() {
            return "recording";
        }

        @Override
        public int detect(Probe p) {
            return CONTENT;
        }

        @Override
        public Weights open(Path path, OpenOptions options) throws IOException {
            throw new AssertionError("the opener calls open(Probe, OpenOptions)");
        }

        @Override
        public Weights open(Probe p, OpenOptions options) throws IOException {
            probe = p;
            if (take) {
                taken = p.takeChannel();
                assertThat(p.takeChannel()).as("taken once only").isNull();
                assertThat(p.channelTaken()).isTrue();
            }
            if (fail) {
                throw new WeightmapException(WeightmapException.Common.UNKNOWN_FORMAT, "refused");
            }
            return dev.weightmap.safetensors.SafetensorsFile.open(p.path());
        }
    }

    @Test
    void aChannelNoFormatTookIsClosedByTheOpener() throws IOException {
        Path p = small();
        Recording ok = new Recording(false, false);
        try (Weights w = Opener.open(p, null, List.of(ok))) {
            assertThat(w.tensorNames()).containsExactly("w");
            assertThatThrownBy(() -> ok.probe.read(0, 8)).isInstanceOf(ClosedChannelException.class);
        }
        Recording failing = new Recording(false, true);
        assertThatThrownBy(() -> Opener.open(p, null, List.of(failing)))
                .isInstanceOf(WeightmapException.class).hasMessageContaining("refused");
        assertThatThrownBy(() -> failing.probe.read(0, 8)).isInstanceOf(ClosedChannelException.class);
    }

    @Test
    void aChannelAFormatTookIsLeftToIt() throws IOException {
        Path p = small();
        Recording ok = new Recording(true, false);
        try (Weights w = Opener.open(p, null, List.of(ok))) {
            assertThat(ok.taken.isOpen()).isTrue();
            assertThat(ok.taken.size()).isEqualTo(Files.size(p));
        } finally {
            ok.taken.close();
        }
        Recording failing = new Recording(true, true); // a format breaking the rule: the opener still leaves it
        assertThatThrownBy(() -> Opener.open(p, null, List.of(failing))).isInstanceOf(WeightmapException.class);
        assertThat(failing.taken.isOpen()).isTrue();
        failing.taken.close();
    }

    @Test
    void theSafetensorsFormatOwnsTheProbesChannelUntilClose() throws IOException {
        Path p = small();
        try (FileChannel ch = FileChannel.open(p)) {
            Probe probe = Probe.ofFile(p, ch, null);
            Weights w = new dev.weightmap.safetensors.SafetensorsFormat().open(probe, OpenOptions.defaults());
            assertThat(probe.channelTaken()).isTrue();
            assertThat(w.tensor("w").toFloatArray()).containsExactly(1f, 2f, 3f);
            assertThat(ch.isOpen()).isTrue();
            w.close();
            assertThat(ch.isOpen()).isFalse();
        }
        try (FileChannel ch = FileChannel.open(p); java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Probe probe = Probe.ofFile(p, ch, null);
            try (Weights w = new dev.weightmap.safetensors.SafetensorsFormat().open(probe,
                    OpenOptions.defaults().withArena(arena))) {
                assertThat(w.tensorNames()).containsExactly("w");
            }
            assertThat(probe.channelTaken()).as("a caller's arena maps at open: the opener keeps its channel")
                    .isFalse();
            assertThat(ch.isOpen()).isTrue();
        }
    }

    @Test
    void aFailedSafetensorsOpenClosesTheProbesChannel() throws IOException {
        Path p = damaged();
        try (FileChannel ch = FileChannel.open(p)) {
            Probe probe = Probe.ofFile(p, ch, null);
            assertThatThrownBy(() -> new dev.weightmap.safetensors.SafetensorsFormat().open(probe,
                    OpenOptions.defaults())).isInstanceOf(SafetensorsException.class);
            assertThat(probe.channelTaken()).isTrue();
            assertThat(ch.isOpen()).isFalse();
        }
    }

    /** A safetensors header the detection claims whose one tensor runs past the end of the file. */
    private Path damaged() throws IOException {
        byte[] h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path p = dir.resolve("bad.safetensors");
        Files.write(p, b.array());
        return p;
    }

    private static Path hubDduf() {
        try {
            return Path.of(ProbeChannelTest.class.getResource("/fixtures/dduf/pipeline-folder.dduf").toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A ZIP the DDUF detection claims (a root model_index.json) that DDUF refuses: its entry is compressed. */
    private Path deflatedDduf() throws IOException {
        Path p = dir.resolve("bad.dduf");
        try (java.util.zip.ZipOutputStream z = new java.util.zip.ZipOutputStream(Files.newOutputStream(p))) {
            z.putNextEntry(new java.util.zip.ZipEntry("model_index.json"));
            z.write("{\"_class_name\": \"X\"}".getBytes(StandardCharsets.US_ASCII));
            z.closeEntry();
        }
        return p;
    }

    @Test
    void theDdufFormatOwnsTheProbesChannelUntilCloseAndClosesItOnFailure() throws IOException {
        Path p = hubDduf();
        try (FileChannel ch = FileChannel.open(p)) {
            Probe probe = Probe.ofFile(p, ch, null);
            Weights w = new dev.weightmap.dduf.DdufFormat().open(probe, OpenOptions.defaults());
            assertThat(probe.channelTaken()).isTrue();
            assertThat(w.tensorNames()).isNotEmpty();
            assertThat(ch.isOpen()).isTrue();
            w.close();
            assertThat(ch.isOpen()).isFalse();
        }
        Path bad = deflatedDduf();
        try (FileChannel ch = FileChannel.open(bad)) {
            Probe probe = Probe.ofFile(bad, ch, null);
            assertThat(new dev.weightmap.dduf.DdufFormat().detect(probe)).isEqualTo(WeightsFormat.CONTENT);
            assertThatThrownBy(() -> new dev.weightmap.dduf.DdufFormat().open(probe, OpenOptions.defaults()))
                    .isInstanceOf(WeightmapException.class);
            assertThat(probe.channelTaken()).isTrue();
            assertThat(ch.isOpen()).isFalse();
        }
    }

    private static long openFds() throws IOException {
        try (Stream<Path> s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void opensThroughTheFrontDoorLeaveNoDescriptorBehind() throws IOException {
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "Linux /proc/self/fd");
        Path bad = damaged();
        Path good = small();
        Path garbage = dir.resolve("x.safetensors");
        Files.write(garbage, "<!doctype html><html></html>".getBytes(StandardCharsets.US_ASCII));
        Path badDduf = deflatedDduf();
        Path dduf = hubDduf();
        for (int i = 0; i < 20; i++) { // warm: class loading and JIT open files of their own
            openAndFail(bad);
            openAndFail(garbage);
            openAndFail(badDduf);
            try (Weights w = Weights.open(good)) {
                w.tensorNames();
            }
        }
        int rounds = 200;
        long before = openFds();
        for (int i = 0; i < rounds; i++) {
            openAndFail(bad);
            openAndFail(garbage);
            try (Weights w = Weights.open(good)) {
                assertThat(w.tensor("w").toFloatArray()).hasSize(3);
            }
            try (Weights w = Weights.open(good)) {
                assertThat(w.tensorNames()).hasSize(1);
            }
            openAndFail(badDduf);
            try (Weights w = Weights.open(dduf)) {
                assertThat(w.tensorNames()).isNotEmpty();
            }
        }
        long after = openFds();
        // other threads of the test JVM may open a file or two meanwhile; a leak would show as hundreds
        assertThat(after - before).as("descriptors left after %d rounds", rounds).isLessThan(10);
    }

    private static void openAndFail(Path p) {
        assertThatThrownBy(() -> Weights.open(p).close()).isInstanceOf(WeightmapException.class);
    }
}
