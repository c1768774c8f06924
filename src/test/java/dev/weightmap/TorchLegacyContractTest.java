// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** The {@link Weights} contract for the pre-1.6 (non-zip) stream of {@code torch.save}. */
class TorchLegacyContractTest extends WeightsContractTest {
    @Override
    String format() {
        return Weights.TORCH;
    }

    @Override
    List<Fixture> fixtures() throws IOException {
        return TorchContractTest.fixtures(List.of("torch/legacy_format.pt"));
    }

    /** The legacy stream records no checksums: the last storage's bytes cut short. */
    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return truncated(f.path(), dir.resolve(f.path().getFileName()), 1);
    }

    @Override
    Set<String> corruptionReasons(Fixture f) {
        return Set.of("CORRUPT_ARCHIVE");
    }

    @Override
    List<String> wrongExtensions() {
        return List.of("", ".safetensors", ".zip", ".dduf", ".gguf", ".index.json");
    }

    @Override
    List<String> ownExtensions() {
        return List.of(".pt", ".bin", ".pth");
    }
}
