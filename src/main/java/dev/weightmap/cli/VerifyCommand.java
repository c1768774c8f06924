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
                weightmap verify PATH
                  Validates PATH completely: headers, offsets, archive structure, CRCs, index agreement.
                  Prints "OK …" and exits 0, or prints "error: REASON: message" on stderr and exits 1.""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of(), Set.of());
        Path p = Path.of(a.positionals(1, "one PATH").get(0));
        try (CliFormat.Opened o = Formats.open(p)) {
            cli.out().println("OK " + o.verify());
        }
        return 0;
    }
}
