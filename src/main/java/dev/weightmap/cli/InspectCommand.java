// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.Weights;
import dev.weightmap.internal.json.JsonWriter;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code weightmap inspect [--json] PATH}. */
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
                weightmap inspect [--json] PATH
                  Opens PATH zero-copy and lists its tensors: name, dtype, shape, absolute byte offset, length
                  and alignment. PATH: a safetensors, DDUF or PyTorch file (of any name: the format is detected
                  from the content), a checkpoint folder or its .index.json.
                  --json   one JSON object: {"format":…,…,"tensors":[{"name","dtype","shape","offset","length",
                           "alignment", then the format's extras (entry, file, stride, storage …)}]}""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--json"), Set.of());
        Path p = Path.of(a.positionals(1, "one PATH").get(0));
        try (Weights w = Input.open(p)) {
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
