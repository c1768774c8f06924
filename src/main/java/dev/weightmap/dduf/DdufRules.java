// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.dduf;

import java.math.BigInteger;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** DDUF naming and structure rules: huggingface_hub's checks, in its order and with its messages, plus ours. */
final class DdufRules {
    private DdufRules() {
    }

    /** Allowed extensions (case-sensitive). */
    static final Set<String> EXTENSIONS = Set.of(".json", ".model", ".safetensors", ".txt");
    /** A folder must hold one of these. */
    static final List<String> CONFIG_FILES = List.of("config.json", "tokenizer_config.json",
            "preprocessor_config.json", "scheduler_config.json");
    /** The extension accepted only with {@link dev.weightmap.OpenOptions#allowGguf()}. */
    static final String GGUF = ".gguf";
    static final String MODEL_INDEX = "model_index.json";
    static final String MISSING_INDEX = "Missing required 'model_index.json' entry in DDUF file.";

    /** hub's {@code _validate_dduf_entry_name}: extension, backslash, strip '/', depth. Returns the stripped name. */
    static String hubEntryName(String name) {
        return hubEntryName(name, false);
    }

    /** {@link #hubEntryName(String)}, also accepting {@code .gguf} names when {@code allowGguf}. */
    static String hubEntryName(String name, boolean allowGguf) {
        if (!allowedExtension(name) && !(allowGguf && isGguf(name))) {
            throw new DdufInvalidEntryNameException("File type not allowed: " + name);
        }
        if (name.indexOf('\\') >= 0) {
            throw new DdufInvalidEntryNameException("Entry names must use UNIX separators ('/'). Got " + name + ".");
        }
        int b = 0;
        int e = name.length();
        while (b < e && name.charAt(b) == '/') {
            b++;
        }
        while (e > b && name.charAt(e - 1) == '/') {
            e--;
        }
        String s = name.substring(b, e);
        int first = s.indexOf('/');
        if (first >= 0 && s.indexOf('/', first + 1) >= 0) {
            throw new DdufInvalidEntryNameException("DDUF only supports 1 level of directory. Got " + name + ".");
        }
        return s;
    }

    /** hub's extension rule: {@code "." + name.split(".")[-1]} is one of {@link #EXTENSIONS}. */
    static boolean allowedExtension(String name) {
        int dot = name.lastIndexOf('.');
        int start = dot + 1; // the whole name when there is no dot
        int len = name.length() - start;
        return switch (len) {
            case 3 -> name.startsWith("txt", start);
            case 4 -> name.startsWith("json", start);
            case 5 -> name.startsWith("model", start);
            case 11 -> name.startsWith("safetensors", start);
            default -> false;
        };
    }

    /**
     * Ours first (no NUL: Python's zipfile cuts a name at its first NUL, so hub would see another name), then
     * hub's rules, then ours: no absolute names (leading '/', drive letter), no '.' or '..' components.
     */
    static String entryName(String name) {
        return entryName(name, false);
    }

    /**
     * {@link #entryName(String)}, also accepting {@code .gguf} entries (as the JavaScript DDUF checker does) when
     * {@code allowGguf}.
     */
    static String entryName(String name, boolean allowGguf) {
        if (name.indexOf('\0') >= 0) {
            throw new DdufInvalidEntryNameException("Entry names must not contain NUL characters (Python's zipfile"
                    + " reads the name only up to the first one). Got " + name.replace("\0", "\\0") + ".");
        }
        String s = hubEntryName(name, allowGguf);
        if (name.startsWith("/") || (name.length() >= 2 && name.charAt(1) == ':' && isAsciiLetter(name.charAt(0)))) {
            throw new DdufInvalidEntryNameException("Entry names must be relative paths. Got " + name + ".");
        }
        int from = 0;
        while (true) {
            int slash = s.indexOf('/', from);
            int end = slash < 0 ? s.length() : slash;
            int len = end - from;
            if (len == 0) {
                throw new DdufInvalidEntryNameException("Entry names must not have empty components. Got " + name + ".");
            }
            if ((len == 1 || len == 2) && s.charAt(from) == '.' && (len == 1 || s.charAt(from + 1) == '.')) {
                throw new DdufInvalidEntryNameException(
                        "Entry names must not contain '.' or '..' components. Got " + name + ".");
            }
            if (slash < 0) {
                break;
            }
            from = slash + 1;
        }
        return s;
    }

    /** What a refused {@code .gguf} name's message adds: how to allow it. */
    static final String GGUF_HINT = " (.gguf entries are accepted with OpenOptions.withAllowGguf(true) or"
            + " --allow-gguf)";

    static boolean isGguf(String name) {
        return name.endsWith(GGUF);
    }

    private static boolean isAsciiLetter(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    /**
     * hub's {@code _validate_dduf_structure}: the index is a JSON object, every folder is a key of it and holds a
     * config file. Messages are hub's, prefixed with {@code where}.
     */
    static void structure(String where, Object index, Collection<String> names) {
        if (!(index instanceof Map<?, ?> map)) {
            throw new DdufCorruptedFileException(where + "Invalid 'model_index.json' content. Must be a dictionary. Got "
                    + pythonType(index) + ".");
        }
        Set<String> folders = new LinkedHashSet<>();
        for (String n : names) {
            int slash = n.indexOf('/');
            if (slash >= 0) {
                folders.add(n.substring(0, slash));
            }
        }
        Set<String> nameSet = names instanceof Set<String> s ? s : new java.util.HashSet<>(names);
        for (String folder : folders) {
            if (!map.containsKey(folder)) {
                throw new DdufCorruptedFileException(where + "Missing required entry '" + folder
                        + "' in 'model_index.json'.");
            }
            boolean found = false;
            for (String c : CONFIG_FILES) {
                if (nameSet.contains(folder + "/" + c)) {
                    found = true;
                    break;
                }
            }
            if (!found) {
                throw new DdufCorruptedFileException(where + "Missing required file in folder '" + folder
                        + "'. Must contains at least one of {'config.json', 'tokenizer_config.json', "
                        + "'preprocessor_config.json', 'scheduler_config.json'}.");
            }
        }
    }

    /** How Python prints {@code type(value)} for a parsed JSON value. */
    static String pythonType(Object v) {
        String t;
        if (v == null) {
            t = "NoneType";
        } else if (v instanceof List<?>) {
            t = "list";
        } else if (v instanceof String) {
            t = "str";
        } else if (v instanceof Boolean) {
            t = "bool";
        } else if (v instanceof Long || v instanceof Integer || v instanceof BigInteger) {
            t = "int";
        } else if (v instanceof Double) {
            t = "float";
        } else {
            t = v.getClass().getSimpleName();
        }
        return "<class '" + t + "'>";
    }
}
