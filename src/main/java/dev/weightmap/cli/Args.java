// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** A tiny option parser: flags, options with values ({@code --x v} or {@code --x=v}) and positionals. */
final class Args {
    private final List<String> positionals = new ArrayList<>();
    private final java.util.Map<String, List<String>> options = new java.util.LinkedHashMap<>();

    /**
     * Parses {@code args}; {@code flags} take no value, {@code valued} take one (and may repeat).
     *
     * @throws UsageException for unknown options or missing values
     */
    Args(List<String> args, Set<String> flags, Set<String> valued) {
        boolean rest = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (rest || !a.startsWith("--") || a.equals("-")) {
                positionals.add(a);
                continue;
            }
            if (a.equals("--")) {
                rest = true;
                continue;
            }
            String name = a;
            String value = null;
            int eq = a.indexOf('=');
            if (eq > 0) {
                name = a.substring(0, eq);
                value = a.substring(eq + 1);
            }
            if (flags.contains(name)) {
                if (value != null) {
                    throw new UsageException("option " + name + " takes no value");
                }
                options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("option " + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                options.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                throw new UsageException("unknown option " + name);
            }
        }
    }

    boolean flag(String name) {
        return options.containsKey(name);
    }

    String option(String name, String dflt) {
        List<String> v = options.get(name);
        return v == null ? dflt : v.get(v.size() - 1);
    }

    List<String> all(String name) {
        return options.getOrDefault(name, List.of());
    }

    List<String> positionals() {
        return positionals;
    }

    /** Exactly {@code n} positionals, else a usage error naming {@code what}. */
    List<String> positionals(int n, String what) {
        if (positionals.size() != n) {
            throw new UsageException("expected " + what);
        }
        return positionals;
    }
}
