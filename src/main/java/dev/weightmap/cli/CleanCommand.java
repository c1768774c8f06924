// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.shard.StateDicts;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code weightmap clean DIR [--dry-run] [--json]}: removes what interrupted writes left in a folder. */
final class CleanCommand implements Command {
    @Override
    public String name() {
        return "clean";
    }

    @Override
    public String summary() {
        return "remove temporary files and folders that interrupted writes left in a folder";
    }

    @Override
    public String usage() {
        return """
                weightmap clean DIR [--dry-run] [--json]
                  Removes the temporary files and staging folders weightmap writers left in DIR when they were
                  killed (names starting with .weightmap-tmp-<pid>-<start>-, and the older .weightmap-staging-*
                  and .NAME.<n>.tmp names once 15 minutes old) whose writer process is gone. Entries of a writer
                  that is still running are kept. A save that was interrupted after its commit (its index names
                  files in a staging folder) is finished first: the files are put at their final names and the
                  index rewritten, so the folder keeps the checkpoint the loaders see. Every save does this itself
                  before writing. Prints what was removed and the bytes freed; exit 0.
                  --dry-run  only report what would be removed
                  --json     print one JSON object: {"path","dry_run","removed","bytes","kept","finished",
                             "entries"} (removed, kept, finished: counts; entries: the names removed)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--dry-run", "--json"), Set.of());
        Path dir = Path.of(a.positionals(1, "one DIR").get(0));
        boolean dryRun = a.flag("--dry-run");
        StateDicts.CleanResult r = StateDicts.cleanTemporaryFiles(dir, dryRun);
        List<Object> entries = new ArrayList<>();
        for (Path p : r.removed()) {
            entries.add(p.getFileName().toString());
        }
        if (a.flag("--json")) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("path", dir.toString());
            out.put("dry_run", dryRun);
            out.put("removed", (long) r.removed().size());
            out.put("bytes", r.bytes());
            out.put("kept", (long) r.kept().size());
            out.put("finished", (long) r.finished().size());
            out.put("entries", entries);
            cli.out().println(JsonWriter.compact().write(out));
            return 0;
        }
        for (Path p : r.finished()) {
            cli.out().printf("finished the interrupted save of %s%n", p.getFileName());
        }
        for (Path p : r.removed()) {
            cli.out().printf("%s %s%n", dryRun ? "would remove" : "removed", p.getFileName());
        }
        int n = r.removed().size();
        cli.out().printf("%s: %s %d temporary entr%s, %d bytes; kept %d (their writer is running, or an index"
                + " names them)%n", dir, dryRun ? "would remove" : "removed", n, n == 1 ? "y" : "ies", r.bytes(),
                r.kept().size());
        return 0;
    }
}
