// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.VerifyReport;
import dev.weightmap.checksum.ChecksumMismatchException;
import dev.weightmap.checksum.Manifest;
import dev.weightmap.remote.HttpRangeSource;
import dev.weightmap.remote.RemoteWeights;

import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code verify URL}: the headers are validated on open (safetensors and GGUF record no checksums); with
 * {@code --manifest} every tensor and every file streams from range requests through the hasher, as
 * {@code hash URL} does, and is compared with the manifest (files by their name next to the index).
 */
final class RemoteVerify {
    private RemoteVerify() {
    }

    static int run(Cli cli, String url, String manifest, boolean json) throws Exception {
        String shown = HttpRangeSource.display(URI.create(url));
        String format = null;
        try (RemoteWeights w = Input.openRemote(url)) {
            format = w.format();
            VerifyReport report = w.verify();
            String summary = shown + ": " + format + ", " + report.tensors() + " tensors in " + report.files()
                    + " remote file(s), " + report.bytes() + " tensor bytes, " + String.join(", ", report.checks());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("format", format);
            out.put("path", shown);
            out.put("url", shown);
            out.put("tensors", (long) report.tensors());
            out.put("files", (long) report.files());
            out.put("bytes", report.bytes());
            out.put("checksums", (long) report.checksums());
            out.put("checks", new ArrayList<Object>(report.checks()));
            out.put("warnings", new ArrayList<Object>(w.warnings()));
            if (manifest != null) {
                Manifest m = Manifest.read(Path.of(manifest));
                Manifest.Verification v = check(cli, w, m, shown, manifest);
                summary += "; manifest " + manifest + ": " + v.tensors() + " tensors, " + v.files() + " files match ("
                        + v.algorithm().cliName() + ")";
                out.put("manifest", VerifyCommand.manifestJson(manifest, v));
            }
            out.put("requests", w.requestCount());
            out.put("bytes_fetched", w.bytesReceived());
            out.put("ok", true);
            VerifyCommand.printOk(cli, json, out, summary, w.warnings());
        } catch (UsageException e) {
            throw e;
        } catch (Exception | Error e) {
            if (json) {
                VerifyCommand.printFailure(cli, format, shown, e);
            }
            throw e;
        }
        return 0;
    }

    /** Hashes every tensor and file of {@code w} and compares with {@code m}; returns what matched. */
    private static Manifest.Verification check(Cli cli, RemoteWeights w, Manifest m, String shown, String manifest) {
        Map<String, String> tensors = new LinkedHashMap<>();
        long tensorBytes = 0;
        for (var l : w.locations()) {
            tensorBytes += l.length();
        }
        try (Cli.Progress p = cli.progress("hashing " + shown, tensorBytes)) {
            for (var l : w.locations()) {
                String name = l.name();
                tensors.put(name, RemoteHash.stream(m.algorithm(), l.length(), (from, dst) -> w.read(name, from, dst), p));
            }
        }
        Map<String, String> files = new LinkedHashMap<>();
        List<String> names = RemoteDownload.relativeNames(w);
        List<HttpRangeSource> sources = w.sources();
        long fileBytes = 0;
        for (String key : m.files().keySet()) {
            int i = names.indexOf(key);
            fileBytes += i < 0 ? 0 : sources.get(i).size();
        }
        try (Cli.Progress p = cli.progress("hashing files of " + shown, fileBytes)) {
            for (String key : m.files().keySet()) { // only the files the manifest lists: a URL has no folder to list
                int i = names.indexOf(key);
                if (i >= 0) {
                    HttpRangeSource s = sources.get(i);
                    files.put(key, RemoteHash.stream(m.algorithm(), s.size(), s::read, p));
                }
            }
        }
        List<String> bad = new ArrayList<>();
        List<String> details = new ArrayList<>();
        compare("tensor", m.tensors(), tensors, true, m, bad, details);
        compare("file", m.files(), files, false, m, bad, details);
        if (!bad.isEmpty()) {
            throw new ChecksumMismatchException(shown + " does not match " + manifest + ": " + bad.size()
                    + (bad.size() == 1 ? " difference: " : " differences: ") + String.join("; ", details), bad);
        }
        return new Manifest.Verification(m.tensors().size(), m.files().size(), m.algorithm());
    }

    /** Adds to {@code bad} and {@code details} what differs between the manifest's and the actual digests. */
    private static void compare(String kind, Map<String, String> expected, Map<String, String> actual,
                                boolean extrasCount, Manifest m, List<String> bad, List<String> details) {
        Set<String> keys = new LinkedHashSet<>(expected.keySet());
        if (extrasCount) {
            keys.addAll(actual.keySet());
        }
        for (String k : keys) {
            String want = expected.get(k);
            String got = actual.get(k);
            String problem = want == null ? "not in manifest" : got == null ? "missing"
                    : got.equalsIgnoreCase(want) ? null : m.algorithm().cliName() + " " + got + " != " + want;
            if (problem != null) {
                bad.add(k);
                details.add(kind + " " + k + " " + problem);
            }
        }
    }
}
