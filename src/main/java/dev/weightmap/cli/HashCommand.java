// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.Weights;
import dev.weightmap.checksum.ChecksumAlgorithm;
import dev.weightmap.checksum.Manifest;
import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code weightmap hash [--algo A] [--per-tensor] [--json] [--threads N] [--manifest OUT.json] PATH…}: whole
 * files, every tensor's logical bytes, or a per-tensor + per-file manifest for {@code verify --manifest}.
 */
final class HashCommand implements Command {
    @Override
    public String name() {
        return "hash";
    }

    @Override
    public String summary() {
        return "hash whole files or every tensor's logical bytes; write checksum manifests";
    }

    @Override
    public String usage() {
        return """
                weightmap hash [--algo A] [--per-tensor] [--json] [--threads N] [--manifest OUT.json] [--force] PATH...
                weightmap hash [--algo A] [--per-tensor] [--json] URL
                weightmap hash [--algo A] --manifest OUT.json URL
                  A: crc32 | crc32c | sha256 (default) | xxh64 | xxh3-64 | xxh3-128
                  Whole file: prints "<hex>  <path>" (canonical big-endian hex as xxhsum/sha256sum print it,
                  128-bit high half first; SHA-256 = the Hub's LFS oid). A folder hashes each of its files.
                  --per-tensor  hash each tensor's logical row-major bytes (DDUF keys: <entry>::<tensor>)
                  --json        {"algo":A,"files":{path:hex},"parallel":P} or, with --per-tensor, {"algo":A,"tensors":{name:hex}}
                                (P: "pieces" when crc32/crc32c split each file across the threads, "streams" when
                                each file is one sequential stream and only several files run at once)
                                (one object per line when several PATHs are given, each with "path")
                  --threads N   threads to use (default: all cores); tensors and files are hashed together, longest
                                first
                  --manifest OUT.json  write {"algo","format","tensors":{name:hex},"files":{file:hex}} for one
                                PATH (files relative to it); check later with: weightmap verify --manifest OUT.json PATH
                  --force       hash tensors even when they would produce far more bytes than the file stores
                                (expanded views: refused with AMPLIFICATION otherwise)
                  URL           an http(s) safetensors file, sharded index, GGUF file, .dduf archive or torch zip
                                checkpoint: its bytes stream through the hasher from range requests, nothing is
                                written to disk (files are named by URL; in a manifest, relative to the URL's
                                folder, as verify --manifest URL looks them up)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--per-tensor", "--json", "--force"),
                Set.of("--algo", "--threads", "--manifest"));
        boolean force = a.flag("--force");
        ChecksumAlgorithm algo = algorithm(a.option("--algo", "sha256"));
        int threads = threads(a.option("--threads", null));
        List<String> paths = a.positionals();
        if (paths.isEmpty()) {
            throw new UsageException("expected PATH...");
        }
        String manifest = a.option("--manifest", null);
        if (paths.stream().anyMatch(Input::isUrl)) {
            if (paths.size() != 1) {
                throw new UsageException("a URL is hashed alone");
            }
            if (manifest != null) {
                return RemoteHash.manifest(cli, paths.get(0), manifest, algo);
            }
            return RemoteHash.run(cli, paths.get(0), algo, a.flag("--per-tensor"), a.flag("--json"));
        }
        if (manifest != null) {
            if (paths.size() != 1) {
                throw new UsageException("--manifest takes exactly one PATH");
            }
            return writeManifest(cli, Path.of(paths.get(0)), manifest, algo, threads, force);
        }
        boolean json = a.flag("--json");
        boolean perTensor = a.flag("--per-tensor");
        boolean many = paths.size() > 1;
        // all files of all PATHs, hashed in parallel where the algorithm allows
        Map<Path, String> fileHashes = perTensor ? Map.of() : hashFiles(cli, paths, algo, threads);
        for (String ps : paths) {
            Path p = Path.of(ps);
            Map<String, Object> m = new LinkedHashMap<>();
            if (json && many) {
                m.put("path", ps);
            }
            m.put("algo", algo.cliName());
            if (perTensor) {
                Map<String, String> hashes = hashTensors(cli, p, ps, algo, threads, force);
                if (json) {
                    m.put("tensors", hashes);
                    cli.out().println(JsonWriter.compact().write(m));
                } else {
                    String prefix = many ? ps + "::" : "";
                    hashes.forEach((k, v) -> cli.out().println(v + "  " + prefix + k));
                }
            } else {
                Map<String, String> files = new LinkedHashMap<>();
                for (Path f : filesOf(p)) {
                    files.put(Input.display(p, f), fileHashes.get(f));
                }
                if (json) {
                    m.put("files", files);
                    m.put("parallel", algo.splitsOneInput() ? "pieces" : "streams");
                    cli.out().println(JsonWriter.compact().write(m));
                } else {
                    files.forEach((k, v) -> cli.out().println(v + "  " + k));
                }
            }
        }
        return 0;
    }

    /** {@code --manifest OUT}: the manifest of {@code p} written to {@code manifest}. */
    private static int writeManifest(Cli cli, Path p, String manifest, ChecksumAlgorithm algo, int threads,
                                     boolean force) throws IOException {
        Manifest m;
        try (Weights w = Input.open(p)) {
            if (!force) {
                w.amplification().check(p.toString(), "hash --manifest", "pass --force");
            }
            Cli.Progress tp = cli.progress("hashing " + p, tensorBytes(w.tensors()));
            Cli.Progress fp = cli.progress("hashing files of " + p, sizeOf(w.files()));
            try {
                m = Manifest.create(w, algo, threads, tp::add, fp::add);
            } finally {
                tp.done();
                fp.done();
            }
        }
        m.write(Path.of(manifest));
        cli.out().println("wrote " + manifest + ": " + m.tensors().size() + " tensors, " + m.files().size()
                + " files (" + algo.cliName() + ")");
        return 0;
    }

    /** The hash of every file of every PATH (each file once). */
    private static Map<Path, String> hashFiles(Cli cli, List<String> paths, ChecksumAlgorithm algo, int threads)
            throws IOException {
        List<Path> all = new ArrayList<>();
        for (String ps : paths) {
            for (Path f : filesOf(Path.of(ps))) {
                if (!all.contains(f)) {
                    all.add(f);
                }
            }
        }
        Cli.Progress progress = cli.progress("hashing " + (all.size() == 1 ? all.get(0) : all.size() + " files"),
                sizeOf(all));
        Map<Path, String> hashes;
        try {
            hashes = Manifest.hashFiles(algo, all, threads, progress::add);
        } finally {
            progress.done();
        }
        if (progress.shown()) { // said only of a hash long enough to show progress
            noteSequential(cli, algo, all.size(), threads);
        }
        return hashes;
    }

    /** {@code --per-tensor}: the hash of every tensor of {@code p} (given as {@code ps}). */
    private static Map<String, String> hashTensors(Cli cli, Path p, String ps, ChecksumAlgorithm algo, int threads,
                                                   boolean force) throws IOException {
        try (Weights w = Input.open(p)) {
            if (!force) {
                w.amplification().check(ps, "hash --per-tensor", "pass --force");
            }
            Cli.Progress progress = cli.progress("hashing " + ps, tensorBytes(w.tensors()));
            try {
                return Manifest.hashTensors(algo, w.tensors(), threads, progress::add);
            } finally {
                progress.done();
            }
        }
    }

    /**
     * On a terminal, says why a single-stream hash of fewer files than threads left cores idle (stderr, so the
     * printed sums stay {@code sha256sum}/{@code xxhsum} lines).
     */
    private static void noteSequential(Cli cli, ChecksumAlgorithm algo, int files, int threads) {
        if (cli.isTerminal() && !algo.splitsOneInput() && files < threads) {
            cli.err().println("note: " + algo.cliName() + " hashes each file as one sequential stream on one thread ("
                    + files + " of " + threads + " threads busy); crc32c and crc32 split a file across all cores");
        }
    }

    /** A regular file itself; for a folder the files its format lists. */
    private static List<Path> filesOf(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return List.of(p);
        }
        try (Weights w = Input.open(p)) {
            return new ArrayList<>(w.files());
        }
    }

    /** The total size of files (0 for a file that cannot be sized: hashing reports it). */
    static long sizeOf(List<Path> files) {
        long total = 0;
        for (Path f : files) {
            try {
                total += Files.size(f);
            } catch (IOException e) {
                // hashing it fails with the real error
            }
        }
        return total;
    }

    /** The logical bytes of some tensors. */
    static long tensorBytes(Map<String, Tensor> tensors) {
        long total = 0;
        for (Tensor t : tensors.values()) {
            total += t.byteLength();
        }
        return total;
    }

    static ChecksumAlgorithm algorithm(String name) {
        ChecksumAlgorithm a = ChecksumAlgorithm.fromCliName(name);
        if (a == null) {
            throw new UsageException("unsupported --algo " + name
                    + " (crc32, crc32c, sha256, xxh64, xxh3-64, xxh3-128)");
        }
        return a;
    }

    static int threads(String value) {
        if (value == null) {
            return Runtime.getRuntime().availableProcessors();
        }
        try {
            int n = Integer.parseInt(value);
            if (n >= 1 && n <= 4096) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new UsageException("--threads needs a number from 1 to 4096, got " + value);
    }
}
