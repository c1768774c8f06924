// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import dev.weightmap.spi.Probe;
import dev.weightmap.spi.WeightsFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The front door asks its own formats first, by name, and the formats other libraries register with the service
 * loader after them: this test registers {@link MagicFormat} through {@code src/test/resources/META-INF/services}.
 */
class RegisteredFormatTest {
    /**
     * A registered format that claims files starting with {@code WMTEST01}, files named {@code *.wmtest} and
     * folders holding a {@code wmtest.marker} file.
     */
    public static final class MagicFormat implements WeightsFormat {
        static final String FORMAT = "wm-test";

        /** The service loader's constructor. */
        public MagicFormat() {
        }

        @Override
        public String name() {
            return FORMAT;
        }

        @Override
        public int detect(Probe probe) {
            if (probe.isDirectory()) {
                return Files.isRegularFile(probe.path().resolve("wmtest.marker")) ? CONTENT : NONE;
            }
            byte[] magic = "WMTEST01".getBytes(StandardCharsets.US_ASCII);
            boolean content = probe.headLength() >= magic.length;
            for (int i = 0; content && i < magic.length; i++) {
                content = probe.headByte(i) == magic[i];
            }
            return content ? CONTENT : probe.fileName().endsWith(".wmtest") ? NAME : NONE;
        }

        @Override
        public Weights open(Path path, OpenOptions options) throws IOException {
            throw new IOException("opened by " + FORMAT + ": " + path.getFileName());
        }
    }

    @Test
    void theBuiltInFormatsAreTheOnesTheServiceFileAndTheModuleProvideInTheSameOrder() throws IOException {
        List<String> builtIn = new ArrayList<>();
        for (WeightsFormat f : Opener.builtIn()) {
            builtIn.add(f.getClass().getName());
        }
        List<String> serviceFile = Files.readAllLines(
                Path.of("src/main/resources/META-INF/services/dev.weightmap.spi.WeightsFormat")).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        Matcher m = Pattern.compile("provides dev\\.weightmap\\.spi\\.WeightsFormat with([^;]+);")
                .matcher(Files.readString(Path.of("src/main/java/module-info.java")));
        assertThat(m.find()).isTrue();
        List<String> provides = List.of(m.group(1).replaceAll("\\s", "").split(","));
        assertThat(builtIn).containsExactlyElementsOf(serviceFile).containsExactlyElementsOf(provides)
                .hasSize(5);
    }

    @Test
    void aRegisteredFormatIsAskedForWhatNoBuiltInFormatClaims(@TempDir Path dir) throws IOException {
        Path f = Files.write(dir.resolve("weights.data"), "WMTEST01 and some bytes".getBytes(StandardCharsets.US_ASCII));
        assertThat(Weights.detect(f)).isEqualTo(MagicFormat.FORMAT);
        assertThatThrownBy(() -> Weights.open(f)).isInstanceOf(IOException.class)
                .hasMessageContaining("opened by wm-test: weights.data");
        Path named = Files.write(dir.resolve("x.wmtest"), "plain text".getBytes(StandardCharsets.US_ASCII));
        assertThat(Weights.detect(named)).isEqualTo(MagicFormat.FORMAT);
    }

    @Test
    void aFolderHoldingAHubIndexIsShardedWhateverElseItHolds(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectory(dir.resolve("model"));
        Files.writeString(folder.resolve("wmtest.marker"), "");
        assertThat(Weights.detect(folder)).isEqualTo(MagicFormat.FORMAT); // the sharded claim on a folder is weak
        Files.writeString(folder.resolve("model.safetensors.index.json"), "{\"weight_map\":{}}");
        assertThat(Weights.detect(folder)).isEqualTo(Weights.SHARDED); // an index is the sharded format's content
        Path other = Files.createDirectory(dir.resolve("torch-model"));
        Files.writeString(other.resolve("wmtest.marker"), "");
        Files.writeString(other.resolve("pytorch_model.bin.index.json"), "{\"weight_map\":{}}");
        assertThat(Weights.detect(other)).isEqualTo(Weights.SHARDED);
    }

    @Test
    void aBuiltInContentClaimDecidesBeforeAnyRegisteredFormatIsAsked(@TempDir Path dir) throws IOException {
        // a safetensors file named like the registered format's files is still safetensors
        byte[] json = "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}".getBytes(StandardCharsets.US_ASCII);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(8 + json.length + 1).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json).put((byte) 7);
        Path f = Files.write(dir.resolve("x.wmtest"), b.array());
        assertThat(Weights.detect(f)).isEqualTo(Weights.SAFETENSORS);
        try (Weights w = Weights.open(f)) {
            assertThat(w.tensors()).containsOnlyKeys("a");
        }
    }
}
