// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.remote;

import dev.weightmap.TensorLocation;
import dev.weightmap.Weights;
import dev.weightmap.WeightmapException;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.torch.TorchCheckpoint;
import dev.weightmap.torch.TorchCheckpointException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Torch zip checkpoints over HTTP range requests: the same tensors as the local open, from byte ranges. */
class RemoteTorchTest extends LoopbackServerTest {

    /** Every torch zip checkpoint under the test resources that opens locally. */
    static List<Path> zipFixtures() throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(Path.of("src/test/resources"))) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return n.endsWith(".pt") || n.endsWith(".pth") || n.endsWith(".bin");
            }).sorted().toList()) {
                byte[] head = new byte[4];
                try (var in = Files.newInputStream(p)) {
                    if (in.readNBytes(head, 0, 4) < 4 || head[0] != 'P' || head[1] != 'K') {
                        continue;
                    }
                }
                try (TorchCheckpoint ignored = TorchCheckpoint.open(p)) {
                    out.add(p);
                } catch (TorchCheckpointException e) {
                    // invalid or refused locally: the remote open must refuse it the same way (below)
                }
            }
        }
        return out;
    }

    @Test
    void everyTorchZipFixtureOpenedRemotelyIsTheLocalOne() throws IOException {
        List<Path> fixtures = zipFixtures();
        assertThat(fixtures).hasSizeGreaterThan(15);
        int noncontiguous = 0;
        for (Path f : fixtures) {
            String url = "/t/" + f.toString().replace('/', '_');
            server.putFile(url, f);
            try (Weights local = Weights.open(f); RemoteWeights remote = Weights.open(server.uri(url),
                    RemoteWeightsTest.FAST)) {
                assertThat(remote.format()).as(f.toString()).isEqualTo(Weights.TORCH);
                assertThat(remote.tensorNames()).as(f.toString()).isEqualTo(local.tensorNames());
                assertThat(remote.metadata()).as(f.toString()).isEqualTo(local.metadata());
                List<TensorLocation> ll = local.locations();
                List<TensorLocation> rl = remote.locations();
                for (int i = 0; i < ll.size(); i++) {
                    TensorLocation a = ll.get(i);
                    TensorLocation b = rl.get(i);
                    String n = f + " " + a.name();
                    assertThat(b.dtype()).as(n).isEqualTo(a.dtype());
                    assertThat(b.shape()).as(n).isEqualTo(a.shape());
                    assertThat(b.offset()).as(n).isEqualTo(a.offset());
                    assertThat(b.extras().get("contiguous")).as(n).isEqualTo(a.extras().get("contiguous"));
                    assertThat(b.extras().get("storage")).as(n).isEqualTo(a.extras().get("storage"));
                    assertThat((long[]) b.extras().get("stride")).as(n).isEqualTo((long[]) a.extras().get("stride"));
                    Tensor lt = local.tensor(a.name());
                    if (lt.isContiguous()) {
                        assertThat(b.length()).as(n).isEqualTo(a.length());
                        Tensor rt = remote.tensor(a.name());
                        assertThat(RemoteWeightsTest.bytes(rt)).as(n).isEqualTo(RemoteWeightsTest.bytes(lt));
                    } else {
                        noncontiguous++;
                        assertThatThrownBy(() -> remote.tensor(a.name())).as(n)
                                .isInstanceOfSatisfying(RemoteException.class, e -> {
                                    assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_UNSUPPORTED);
                                    assertThat(e.getMessage()).contains(a.name()).contains("non-contiguous");
                                });
                    }
                }
            }
        }
        assertThat(noncontiguous).isPositive();
    }

    @Test
    void tensorsSharingAStorageAreEachTheirOwnRange() throws IOException {
        Path f = Path.of("src/test/resources/fixtures/torch2/tied_weights.pt");
        server.putFile("/tied.pt", f);
        try (TorchCheckpoint local = TorchCheckpoint.open(f);
             RemoteWeights remote = Weights.open(server.uri("/tied.pt"), RemoteWeightsTest.FAST)) {
            long shared = local.entries().values().stream().map(TorchCheckpoint.TensorEntry::storageKey)
                    .distinct().count();
            assertThat(shared).isLessThan(local.entries().size());
            for (String n : local.tensorNames()) {
                if (local.tensor(n).isContiguous()) {
                    assertThat(RemoteWeightsTest.bytes(remote.tensor(n))).as(n)
                            .isEqualTo(RemoteWeightsTest.bytes(local.tensor(n)));
                }
            }
        }
    }

    @Test
    void aSmallCheckpointCostsOneRequestToOpenAndOnePerTensor() throws IOException {
        Path f = Path.of("src/test/resources/fixtures/torch/state_dict_dtypes.pt");
        server.putFile("/s.pt", f);
        int before = server.requests();
        try (RemoteWeights remote = Weights.open(server.uri("/s.pt"), RemoteWeightsTest.FAST)) {
            assertThat(server.requests() - before).isEqualTo(1);
            String first = remote.tensorNames().getFirst();
            remote.tensor(first);
            assertThat(server.requests() - before).isEqualTo(2);
        }
    }

    @Test
    void aLargeCheckpointReadsTheTailAndDataPklWithoutItsStorages() throws IOException {
        Path f = Path.of("src/test/resources/fixtures/torch/state_dict_dtypes.pt");
        server.putFile("/s.pt", f);
        int before = server.requests();
        try (RemoteWeights remote = Weights.open(server.uri("/s.pt"), RemoteWeightsTest.FAST.withSpeculativeBytes(64))) {
            assertThat(server.requests() - before).isBetween(2, 4);
            assertThat(remote.tensorNames()).isNotEmpty();
        }
    }

    @Test
    void invalidAndUnsafeCheckpointsAreRefusedAsLocally() throws IOException {
        for (String p : List.of("torch-malicious/reduce_system.pt", "torch-malicious/pickled_module.pt",
                "torch-hostile/expanded_overflow.pt")) {
            Path f = Path.of("src/test/resources/fixtures/" + p);
            server.putFile("/x.pt", f);
            TorchCheckpointException local = null;
            try (TorchCheckpoint ignored = TorchCheckpoint.open(f)) {
                continue; // opens locally: nothing to compare
            } catch (TorchCheckpointException e) {
                local = e;
            }
            TorchCheckpointException expected = local;
            assertThatThrownBy(() -> Weights.open(server.uri("/x.pt"), RemoteWeightsTest.FAST)).as(p)
                    .isInstanceOfSatisfying(TorchCheckpointException.class,
                            e -> assertThat(e.reason()).isEqualTo(expected.reason()));
        }
    }

    @Test
    void aLegacyCheckpointIsRefused() throws IOException {
        server.putFile("/l.pt", Path.of("src/test/resources/fixtures/torch/legacy_format.pt"));
        assertThatThrownBy(() -> Weights.open(server.uri("/l.pt"), RemoteWeightsTest.FAST))
                .isInstanceOfSatisfying(RemoteException.class, e -> {
                    assertThat(e.reason()).isEqualTo(RemoteException.Reason.REMOTE_UNSUPPORTED);
                    assertThat(e.getMessage()).contains("legacy");
                });
    }

    @Test
    void aTruncatedArchiveIsCorrupt() throws IOException {
        byte[] b = Files.readAllBytes(Path.of("src/test/resources/fixtures/torch/state_dict_dtypes.pt"));
        server.put("/cut.pt", java.util.Arrays.copyOf(b, b.length - 30));
        assertThatThrownBy(() -> Weights.open(server.uri("/cut.pt"), RemoteWeightsTest.FAST))
                .isInstanceOf(WeightmapException.class)
                .isInstanceOfSatisfying(TorchCheckpointException.class,
                        e -> assertThat(e.reason()).isEqualTo(TorchCheckpointException.Reason.CORRUPT_ARCHIVE));
    }
}
