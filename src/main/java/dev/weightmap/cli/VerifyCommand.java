// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.VerifyReport;
import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.checksum.Manifest;
import dev.weightmap.internal.json.JsonWriter;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code weightmap verify [--json] [--manifest M.json] [--threads N] [--allow-gguf] PATH}. */
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
                weightmap verify [--json] [--manifest M.json] [--threads N] [--allow-gguf] PATH|URL
                  Validates PATH completely: headers, offsets, archive structure, CRCs, index agreement.
                  A URL (safetensors file, sharded index, GGUF file) is validated from its headers; with
                  --manifest every tensor and file streams through the hasher (nothing on disk).
                  Prints "OK …" and exits 0, or prints "error: REASON: message" on stderr and exits 1.
                  What is not an error but worth knowing (a shard tensor the index does not list: loaded, as
                  huggingface_hub 2.0 loads it) is printed as "warning: message" on stderr.
                  --json             print one JSON object instead: {"format","path","tensors","files","bytes",
                                     "checksums","checks","warnings","ok":true} (with --manifest also
                                     "manifest"); on failure
                                     {"path","ok":false,"reason","message"} on stdout, and the error line
                  --manifest M.json  also re-hash every tensor and file (all cores) against a manifest from
                                     weightmap hash --manifest; differences fail with CHECKSUM_MISMATCH
                  --allow-gguf       accept .gguf entries in a DDUF archive (as the JavaScript DDUF checker
                                     does)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--json", "--allow-gguf"), Set.of("--manifest", "--threads"));
        String given = a.positionals(1, "one PATH").get(0);
        String manifest = a.option("--manifest", null);
        int threads = HashCommand.threads(a.option("--threads", null));
        boolean json = a.flag("--json");
        if (Input.isUrl(given)) {
            return RemoteVerify.run(cli, given, manifest, json);
        }
        Path p = Path.of(given);
        String format = null;
        try (Weights w = Input.open(p, Input.OPTIONS.withAllowGguf(a.flag("--allow-gguf")))) {
            format = Describe.formatName(w);
            VerifyReport report;
            // the checksum passes (DDUF entries, torch records) report the bytes they have checked
            try (Cli.Progress vp = cli.progress("verifying " + p, HashCommand.sizeOf(w.files()))) {
                report = w.verify(vp::add);
            }
            String summary = Describe.verifySummary(w, p, report);
            Map<String, Object> out = Describe.verifyJson(w, p, report);
            if (manifest != null) {
                Manifest m = Manifest.read(Path.of(manifest));
                long total = 0;
                for (dev.weightmap.tensor.Tensor t : w.tensors().values()) {
                    total += t.byteLength();
                }
                Cli.Progress tp = cli.progress("hashing " + p, total);
                Cli.Progress fp = cli.progress("hashing files of " + p, HashCommand.sizeOf(w.files()));
                Manifest.Verification v;
                try {
                    v = m.verify(w.tensors(), w.path(), p.toString(), threads, tp::add, fp::add);
                } finally {
                    tp.done();
                    fp.done();
                }
                summary += "; manifest " + manifest + ": " + v.tensors() + " tensors, " + v.files() + " files match ("
                        + v.algorithm().cliName() + ")";
                out.remove("ok");
                out.put("manifest", manifestJson(manifest, v));
                out.put("ok", true);
            }
            printOk(cli, json, out, summary, w.warnings());
        } catch (UsageException e) {
            throw e;
        } catch (Exception | Error e) {
            if (json) {
                printFailure(cli, format, p.toString(), e);
            }
            throw e;
        }
        return 0;
    }

    /** The {@code manifest} object of {@code verify --json}. */
    static Map<String, Object> manifestJson(String manifest, Manifest.Verification v) {
        Map<String, Object> mj = new LinkedHashMap<>();
        mj.put("path", manifest);
        mj.put("algo", v.algorithm().cliName());
        mj.put("tensors", (long) v.tensors());
        mj.put("files", (long) v.files());
        return mj;
    }

    /** The success output of a verify: warnings on stderr, then the JSON object or the {@code OK} line. */
    static void printOk(Cli cli, boolean json, Map<String, Object> out, String summary, List<String> warnings) {
        for (String warning : warnings) {
            cli.err().println("warning: " + warning);
        }
        cli.out().println(json ? JsonWriter.compact().write(out) : "OK " + summary);
    }

    /** The {@code verify --json} object of a failure: {@code {"format"?,"path","ok":false,"reason","message"}}. */
    static void printFailure(Cli cli, String format, String path, Throwable e) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (format != null) {
            out.put("format", format);
        }
        out.put("path", path);
        out.put("ok", false);
        out.put("reason", WeightmapException.reasonOf(e));
        out.put("message", e.getMessage() == null ? e.toString() : e.getMessage());
        cli.out().println(JsonWriter.compact().write(out));
    }
}
