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
     * Prints the compact JSON of {@code m} with its {@code tensors} list (its last key) written one object at a
     * time, so a checkpoint of a million tensors never has all their objects, or all the text, in memory.
     */
    static void printJson(java.io.PrintStream out, java.util.Map<String, Object> m) {
        Object tensors = m.get("tensors");
        java.util.List<String> keys = new java.util.ArrayList<>(m.keySet());
        if (!(tensors instanceof java.util.List<?> list) || list.isEmpty() || !keys.getLast().equals("tensors")) {
            out.println(JsonWriter.compact().write(m));
            return;
        }
        java.util.Map<String, Object> head = new java.util.LinkedHashMap<>(m);
        head.remove("tensors");
        JsonWriter json = JsonWriter.compact();
        String start = json.write(head);
        StringBuilder sb = new StringBuilder().append(start, 0, start.length() - 1); // without the closing brace
        sb.append(head.isEmpty() ? "" : ",").append("\"tensors\":[");
        boolean first = true;
        for (Object t : list) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            json.write(sb, t);
            if (sb.length() > 1 << 16) {
                out.print(sb);
                sb.setLength(0);
            }
        }
        out.print(sb.append("]}"));
        out.println();
    }
}
