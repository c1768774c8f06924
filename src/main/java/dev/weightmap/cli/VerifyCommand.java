// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code weightmap verify PATH}. */
final class VerifyCommand implements Command {
    @Override
    public String name() {
        return "verify";
    }

    @Override
    public String summary() {
        return "validate a checkpoint completely (exit 0 OK, 1 invalid)";
    }

    @Override
    public String usage() {
        return """
                weightmap verify [--manifest M.json] [--threads N] PATH
                  Validates PATH completely: headers, offsets, archive structure, CRCs, index agreement.
                  Prints "OK …" and exits 0, or prints "error: REASON: message" on stderr and exits 1.
                  --manifest M.json  also re-hash every tensor and file (all cores) against a manifest from
                                     weightmap hash --manifest; differences fail with CHECKSUM_MISMATCH""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of(), Set.of("--manifest", "--threads"));
        Path p = Path.of(a.positionals(1, "one PATH").get(0));
        String manifest = a.option("--manifest", null);
        int threads = HashCommand.threads(a.option("--threads", null));
        try (CliFormat.Opened o = Formats.open(p)) {
            String summary = o.verify();
            if (manifest != null) {
                summary += "; " + ChecksumManifest.verify(cli, o, p, Path.of(manifest), threads);
            }
            cli.out().println("OK " + summary);
        }
        return 0;
    }
}
