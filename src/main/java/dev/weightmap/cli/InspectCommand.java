// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.Weights;
import dev.weightmap.internal.json.JsonWriter;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code weightmap inspect [--json] [--allow-gguf] PATH}. */
final class InspectCommand implements Command {
    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String summary() {
        return "show the tensors of a checkpoint (table, or --json)";
    }

    @Override
    public String usage() {
        return """
                weightmap inspect [--json] [--allow-gguf] PATH
                  Opens PATH zero-copy and lists its tensors: name, dtype, shape, absolute byte offset, length
                  and alignment. PATH: a safetensors, DDUF, PyTorch or GGUF file (of any name: the format is
                  detected from the content), a checkpoint folder or its .index.json.
                  Warnings (a shard tensor the index does not list) go to stderr as "warning: message".
                  --json   one JSON object: {"format":…,…,"tensors":[{"name","dtype","shape","offset","length",
                           "alignment", then the format's extras (entry, file, stride, storage …)}]}
                           GGUF: {"format":"gguf","version","alignment","data_offset","metadata":{key:value},
                           "tensors":[{"name","dtype" (GGML type),"shape" (row-major),"ne" (stored order),
                           "offset","length","alignment"}]}; arrays of more than 16 items as
                           {"type","length","first"} (8 items), NaN/Infinity as strings, 64-bit integers exact
                  --allow-gguf  accept .gguf entries in a DDUF archive (as the JavaScript DDUF checker does)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--json", "--allow-gguf"), Set.of());
        Path p = Path.of(a.positionals(1, "one PATH").get(0));
        try (Weights w = Input.open(p, Input.OPTIONS.withAllowGguf(a.flag("--allow-gguf")))) {
            for (String warning : w.warnings()) {
                cli.err().println("warning: " + warning);
            }
            if (a.flag("--json")) {
                cli.out().println(JsonWriter.compact().write(Describe.inspectJson(w, p)));
            } else {
                Describe.printTable(w, p, cli.out());
            }
        }
        return 0;
    }
}
