// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.Weights;
import dev.weightmap.remote.HttpRangeSource;
import dev.weightmap.remote.RemoteWeights;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code convert URL OUT} and {@code shard URL OUTDIR}: the remote files are downloaded (range requests, the next
 * chunk fetched while the current one is written, progress on a terminal) into a hidden folder next to the
 * output, the local command runs on them and writes its output atomically as always, and the folder is removed,
 * also on failure. The files keep the names they have next to the index, so the local reader sees exactly the
 * checkpoint the URL names.
 */
final class RemoteDownload {
    private RemoteDownload() {
    }

    /** The local command to run on the downloaded input. */
    interface Then {
        /** Runs on {@code input} (the downloaded file or index) with {@code cli}; returns the exit code. */
        int run(Cli cli, Path input) throws Exception;
    }

    /**
     * Each remote file's name relative to the folder of the URL named: the last path element for a single
     * file, the index's and the shard names of the index for a sharded checkpoint (in {@link RemoteWeights#sources()}
     * order).
     */
    static List<String> relativeNames(RemoteWeights w) {
        List<String> out = new ArrayList<>();
        List<HttpRangeSource> sources = w.sources();
        out.add(lastElement(sources.get(0).uri(), w.format()));
        w.shardedHeader().ifPresent(h -> out.addAll(h.index().shardFiles()));
        return out;
    }

    private static String lastElement(URI uri, String format) {
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        String last = URLDecoder.decode(path.substring(path.lastIndexOf('/') + 1), StandardCharsets.UTF_8);
        if (last.isEmpty() || last.equals(".") || last.equals("..") || last.contains("/") || last.contains("\\")) {
            return switch (format) {
                case Weights.SHARDED -> "model.safetensors.index.json";
                case Weights.GGUF -> "model.gguf";
                case Weights.DDUF -> "model.dduf";
                case Weights.TORCH -> "pytorch_model.bin";
                default -> "model.safetensors";
            };
        }
        return last;
    }

    /** Downloads the URL next to {@code near}, runs {@code then} on the local copy, removes the copy. */
    static int run(Cli cli, String url, Path near, Then then) throws Exception {
        Path abs = near.toAbsolutePath();
        Path parent = abs.getParent() == null ? abs : abs.getParent();
        Files.createDirectories(parent);
        Path dir = Files.createTempDirectory(parent, ".weightmap-download-");
        try {
            Path input;
            String shown;
            try (RemoteWeights w = Input.openRemote(url)) {
                input = download(cli, w, dir);
                shown = w.displayName();
                cli.err().printf("downloaded %s: %d file(s), %d bytes in %d request(s)%n", shown,
                        w.sources().size(), w.bytesReceived(), w.requestCount());
            }
            // the local command's report names the URL, not the download folder
            java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
            Cli local = new Cli(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8), cli.err(),
                    cli::isTerminal);
            local.setProgressMode(cli.progressMode());
            try {
                return then.run(local, input);
            } finally {
                cli.out().print(captured.toString(StandardCharsets.UTF_8).replace(input.toString(), shown));
                cli.out().flush();
            }
        } finally {
            deleteTree(dir);
        }
    }

    /** {@code argv} with the first {@code url} replaced by the local copy's path. */
    static List<String> withInput(List<String> argv, String url, Path local) {
        List<String> out = new ArrayList<>(argv);
        out.set(out.indexOf(url), local.toString());
        return out;
    }

    /** Writes every file of {@code w} under {@code dir}; returns the path of the first (the input). */
    static Path download(Cli cli, RemoteWeights w, Path dir) throws IOException {
        List<String> names = relativeNames(w);
        List<HttpRangeSource> sources = w.sources();
        long total = 0;
        for (HttpRangeSource s : sources) {
            total += s.size();
        }
        Path base = dir.toAbsolutePath().normalize();
        try (Cli.Progress p = cli.progress("downloading " + w.displayName(), total)) {
            for (int i = 0; i < sources.size(); i++) {
                HttpRangeSource s = sources.get(i);
                Path f = base.resolve(names.get(i)).normalize();
                if (!f.startsWith(base)) { // shard names were checked when opened: this cannot leave the folder
                    throw new IllegalStateException("shard name outside the download folder: " + names.get(i));
                }
                Files.createDirectories(f.getParent());
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    RemoteHash.stream(s.size(), s::read, c -> {
                        ByteBuffer b = ByteBuffer.wrap(c);
                        while (b.hasRemaining()) {
                            ch.write(b);
                        }
                    }, p);
                }
            }
        }
        return base.resolve(names.get(0));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
