// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.Weights;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.remote.RemoteWeights;

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
                weightmap inspect [--json] [--allow-gguf] PATH|URL
                  Opens PATH zero-copy and lists its tensors: name, dtype, shape, absolute byte offset, length
                  and alignment, then the parameter counts. PATH: a safetensors, DDUF, PyTorch or GGUF file
                  (of any name: the format is detected from the content), a checkpoint folder or its .index.json.
                  URL: an http(s) safetensors file, sharded index or GGUF file, read with range requests
                  (headers only; a token from HF_TOKEN goes to that host only).
                  Warnings (a shard tensor the index does not list) go to stderr as "warning: message".
                  --json   one JSON object: {"format":…,…,"tensors":[{"name","dtype","shape","offset","length",
                           "alignment", then the format's extras (entry, file, stride, storage …)}],
                           "parameters":N,"parameter_counts":{dtype:N}}; for a URL also "url", "files",
                           "requests" and "bytes_fetched"
                           GGUF: {"format":"gguf","version","alignment","data_offset","metadata":{key:value},
                           "tensors":[{"name","dtype" (GGML type),"shape" (row-major),"ne" (stored order),
                           "offset","length","alignment"}]}; arrays of more than 16 items as
                           {"type","length","first"} (8 items), NaN/Infinity as strings, 64-bit integers exact
                  --allow-gguf  accept .gguf entries in a DDUF archive (as the JavaScript DDUF checker does)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--json", "--allow-gguf"), Set.of());
        String given = a.positionals(1, "one PATH").get(0);
        if (Input.isUrl(given)) {
            try (RemoteWeights w = Input.openRemote(given)) {
                for (String warning : w.warnings()) {
                    cli.err().println("warning: " + warning);
                }
                if (a.flag("--json")) {
                    cli.out().println(JsonWriter.compact().write(Describe.remoteJson(w, given)));
                } else {
                    Describe.printRemoteTable(w, given, cli.out());
                }
            }
            return 0;
        }
        Path p = Path.of(given);
        try (Weights w = Input.open(p, Input.OPTIONS.withAllowGguf(a.flag("--allow-gguf")))) {
            for (String warning : w.warnings()) {
                cli.err().println("warning: " + warning);
            }
            if (a.flag("--json")) {
                printJson(cli.out(), Describe.inspectJson(w, p));
            } else {
                Describe.printTable(w, p, cli.out());
            }
        }
        return 0;
    }

    /**
     * Prints the compact JSON of {@code m}, its top-level lists ({@code tensors}, {@code storages}) written one
     * element at a time, so a checkpoint of a million tensors never has all their objects, or all the text, in
     * memory.
     */
    static void printJson(java.io.PrintStream out, java.util.Map<String, Object> m) {
        JsonWriter json = JsonWriter.compact();
        StringBuilder sb = new StringBuilder("{");
        boolean firstKey = true;
        for (java.util.Map.Entry<String, Object> e : m.entrySet()) {
            if (!firstKey) {
                sb.append(',');
            }
            firstKey = false;
            json.string(sb, e.getKey());
            sb.append(':');
            if (e.getValue() instanceof java.util.List<?> list) {
                sb.append('[');
                boolean first = true;
                for (Object o : list) {
                    if (!first) {
                        sb.append(',');
                    }
                    first = false;
                    json.write(sb, o);
                    if (sb.length() > 1 << 16) {
                        out.print(sb);
                        sb.setLength(0);
                    }
                }
                sb.append(']');
            } else {
                json.write(sb, e.getValue());
            }
        }
        out.print(sb.append('}'));
        out.println();
    }
}
