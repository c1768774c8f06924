// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.Weights;
import dev.weightmap.dduf.Dduf;
import dev.weightmap.internal.zip.ZipArchive;
import dev.weightmap.internal.zip.ZipEntry;
import dev.weightmap.internal.zip.ZipFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The ZIP structure of remote archives, and what it costs in requests. */
class RemoteZipTest extends LoopbackServerTest {
    @TempDir
    Path dir;

    private static List<String> facts(ZipArchive z) {
        List<String> out = new ArrayList<>();
        for (ZipEntry e : z.entries()) {
            out.add(e.name() + " " + e.dataOffset() + " " + e.size() + " " + e.crc32());
        }
        out.add("cd " + z.centralDirectoryOffset() + " " + z.centralDirectorySize() + " zip64 " + z.isZip64());
        return out;
    }

    private ZipArchive remote(String path, int prefix, long[] requests) {
        try (HttpRangeSource src = HttpRangeSource.open(server.uri(path), RemoteWeightsTest.FAST)) {
            ZipArchive z = RemoteZip.structure(src, src.readPrefix(prefix));
            requests[0] = src.requestCount();
            return z;
        }
    }

    @Test
    void aSmallArchiveCostsThePrefixRequestOnly() throws IOException {
        Path f = Path.of("src/test/resources/fixtures/dduf/pipeline-folder.dduf");
        server.putFile("/p.dduf", f);
        long[] n = new long[1];
        ZipArchive z = remote("/p.dduf", 1 << 16, n);
        assertThat(facts(z)).isEqualTo(facts(ZipArchive.read(MemorySegment.ofArray(Files.readAllBytes(f)))));
        assertThat(n[0]).isEqualTo(1);
    }

    @Test
    void aLargeArchiveCostsTheTailAndOneRequestPerFarLocalHeader() throws IOException {
        Path f = dir.resolve("big.dduf");
        byte[] blob = new byte[300_000];
        Dduf.exportEntries(f, List.of(
                Dduf.entry("model_index.json", "{\"a\": [\"x\", \"y\"], \"b\": [\"x\", \"y\"]}".getBytes(StandardCharsets.UTF_8)),
                Dduf.entry("a/config.json", "{}".getBytes(StandardCharsets.UTF_8)),
                Dduf.entry("a/w.safetensors", blob),
                Dduf.entry("b/config.json", "{}".getBytes(StandardCharsets.UTF_8)),
                Dduf.entry("b/w.safetensors", blob)));
        server.putFile("/big.dduf", f);
        long[] n = new long[1];
        ZipArchive z = remote("/big.dduf", 4096, n);
        assertThat(facts(z)).isEqualTo(facts(ZipArchive.read(MemorySegment.ofArray(Files.readAllBytes(f)))));
        // prefix (first three local headers), tail (end records, central directory and the last entry's local
        // header), and b/config.json's local header after the first 300 kB blob
        assertThat(n[0]).isEqualTo(3);
    }

    @Test
    void aDdufArchiveOpensRemotelyAsItDoesLocally() throws IOException {
        for (String name : List.of("pipeline-entries.dduf", "pipeline-folder.dduf")) {
            Path f = Path.of("src/test/resources/fixtures/dduf/" + name);
            server.putFile("/d/" + name, f);
            int before = server.requests();
            try (Weights local = Weights.open(f);
                 RemoteWeights remote = Weights.open(server.uri("/d/" + name), RemoteWeightsTest.FAST)) {
                assertThat(remote.format()).isEqualTo("dduf");
                assertThat(server.requests() - before).as(name).isEqualTo(1); // the whole archive fits the prefix
                RemoteWeightsTest.assertSame(local, remote);
                assertThat(remote.metadata()).isEqualTo(local.metadata());
            }
        }
    }

    @Test
    void aLargeRemoteDdufFetchesOnlyItsStructureAndHeaders() throws IOException {
        Path f = dir.resolve("w.dduf");
        byte[] data = new byte[200_000];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 7);
        }
        byte[] st = dev.weightmap.safetensors.TestFiles.image(
                "{\"w\":{\"dtype\":\"F32\",\"shape\":[500,100],\"data_offsets\":[0,200000]}}", data);
        Dduf.exportEntries(f, List.of(
                Dduf.entry("model_index.json", "{\"a\": [\"x\", \"y\"]}".getBytes(StandardCharsets.UTF_8)),
                Dduf.entry("a/config.json", "{}".getBytes(StandardCharsets.UTF_8)),
                Dduf.entry("a/w.safetensors", st)));
        server.putFile("/w.dduf", f);
        try (Weights local = Weights.open(f);
             RemoteWeights remote = Weights.open(server.uri("/w.dduf"), RemoteWeightsTest.FAST.withSpeculativeBytes(4096))) {
            // prefix (local headers and the safetensors header), tail (end records, central directory)
            assertThat(server.requests()).isEqualTo(2);
            RemoteWeightsTest.assertSame(local, remote);
        }
    }

    @Test
    void aBrokenRemoteDdufIsRefusedWithDdufsReason() throws IOException {
        byte[] b = Files.readAllBytes(Path.of("src/test/resources/fixtures/dduf/pipeline-entries.dduf"));
        b[b.length - 22 + 10] = 99; // the end record's entry count
        server.put("/bad.dduf", b);
        assertThatThrownBy(() -> Weights.open(server.uri("/bad.dduf"), RemoteWeightsTest.FAST).close())
                .isInstanceOf(dev.weightmap.dduf.DdufCorruptedFileException.class);
    }

    @Test
    void notAZipIsReportedAsSuch() {
        server.put("/junk.zip", new byte[100_000]);
        long[] n = new long[1];
        assertThatThrownBy(() -> remote("/junk.zip", 4096, n)).isInstanceOf(ZipFormatException.class)
                .hasMessageStartingWith("not a zip archive");
    }
}
