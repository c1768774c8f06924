// SPDX-License-Identifier: Apache-2.0
package dev.weightmap;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@link Weights} contract for the pre-1.6 (non-zip) stream of {@code torch.save}: the zip format's contract
 * (format, extensions, corruption reason) over the legacy fixture.
 */
class TorchLegacyContractTest extends TorchContractTest {
    @Override
    List<Fixture> fixtures() throws IOException {
        return TorchContractTest.fixtures(List.of("torch/legacy_format.pt"));
    }

    /** The legacy stream records no checksums: the last storage's bytes cut short. */
    @Override
    Path corrupt(Fixture f, Path dir) throws IOException {
        return truncated(f.path(), dir.resolve(f.path().getFileName()), 1);
    }
}
