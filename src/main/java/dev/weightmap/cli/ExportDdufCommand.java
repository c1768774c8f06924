// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.dduf.Dduf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code weightmap export-dduf FOLDER OUT.dduf} and {@code weightmap export-dduf OUT.dduf --entry NAME=PATH ...}. */
final class ExportDdufCommand implements Command {
    @Override
    public String name() {
        return "export-dduf";
    }

    @Override
    public String summary() {
        return "write a DDUF archive from a pipeline folder or from NAME=PATH entries";
    }

    @Override
    public String usage() {
        return """
                weightmap export-dduf FOLDER OUT.dduf
                weightmap export-dduf [--allow-gguf] OUT.dduf --entry NAME=PATH [--entry NAME=PATH ...]
                  Writes a DDUF archive (STORED zip, entry data 64-byte aligned, fixed timestamps) atomically:
                  nothing is left at OUT.dduf if anything fails. From a FOLDER: .json .model .safetensors .txt
                  files at the root and one folder deep, hidden ones skipped, in sorted order. With --entry: the
                  entries in the order given. model_index.json and the folder/config rules are checked.
                  --allow-gguf  also accept .gguf entries (as the JavaScript DDUF checker does; huggingface_hub
                                refuses them, so read such archives with --allow-gguf too)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--allow-gguf"), Set.of("--entry"));
        List<String> pos = a.positionals();
        List<Dduf.Entry> entries;
        Path out;
        if (!a.all("--entry").isEmpty()) {
            if (pos.size() != 1) {
                throw new UsageException("expected OUT.dduf and --entry NAME=PATH options");
            }
            out = Path.of(pos.get(0));
            entries = new ArrayList<>();
            for (String spec : a.all("--entry")) {
                int eq = spec.indexOf('=');
                if (eq <= 0 || eq == spec.length() - 1) {
                    throw new UsageException("--entry needs NAME=PATH, got '" + spec + "'");
                }
                entries.add(Dduf.entry(spec.substring(0, eq), Path.of(spec.substring(eq + 1))));
            }
        } else {
            if (pos.size() != 2) {
                throw new UsageException("expected FOLDER OUT.dduf (or OUT.dduf --entry NAME=PATH ...)");
            }
            out = Path.of(pos.get(1));
            entries = Dduf.folderEntries(Path.of(pos.get(0)));
        }
        long total = 0;
        for (Dduf.Entry e : entries) {
            if (Files.isRegularFile(e.file())) {
                total += Files.size(e.file());
            }
        }
        try (Cli.Progress progress = cli.progress("writing " + out.getFileName(), total)) {
            Dduf.exportEntries(out, entries, progress::update, a.flag("--allow-gguf"));
        }
        cli.out().println("wrote " + out + ": " + entries.size() + " entries, " + Files.size(out) + " bytes");
        return 0;
    }
}
