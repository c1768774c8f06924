// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.shard.Conversion;
import dev.weightmap.shard.SaveOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code weightmap shard IN OUTDIR [--max-shard-size 5GB] [--pattern P] [--format safetensors|torch]}. */
final class ShardCommand implements Command {
    @Override
    public String name() {
        return "shard";
    }

    @Override
    public String summary() {
        return "re-save a file or checkpoint as shards + index (huggingface_hub layout)";
    }

    @Override
    public String usage() {
        return """
                weightmap shard IN OUTDIR [--max-shard-size 5GB] [--pattern model{suffix}.safetensors] [--format safetensors|torch] [--force]
                  Reads IN (a safetensors/torch file, a checkpoint folder or an index file) and writes OUTDIR exactly
                  as huggingface_hub's save_torch_state_dict would: one file when everything fits, else
                  model-00001-of-0000N shards and model.safetensors.index.json. Sizes: KB MB GB TB (decimal) or
                  KiB MiB GiB TiB. Tied tensors are saved once (recorded removed -> kept). Stale shards of the same
                  pattern in OUTDIR are removed after the new checkpoint is complete. IN may be an http(s) URL: its
                  files are downloaded next to OUTDIR with range requests, re-saved, and the download removed.
                  --force  write expanded views (stride 0) out in full even when that is far more bytes than IN
                           stores (refused with AMPLIFICATION otherwise)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--force"), Set.of("--max-shard-size", "--pattern", "--format"));
        List<String> pos = a.positionals(2, "IN and OUTDIR");
        if (Input.isUrl(pos.get(0))) { // downloaded next to OUTDIR, re-saved, removed
            return RemoteDownload.run(cli, pos.get(0), Path.of(pos.get(1)),
                    (c, local) -> run(c, RemoteDownload.withInput(argv, pos.get(0), local)));
        }
        SaveOptions.Format format = switch (a.option("--format", "safetensors").toLowerCase(Locale.ROOT)) {
            case "safetensors" -> SaveOptions.Format.SAFETENSORS;
            case "torch", "bin", "pytorch" -> SaveOptions.Format.TORCH;
            default -> throw new UsageException("--format must be safetensors or torch");
        };
        Path in = Path.of(pos.get(0));
        Path out = Path.of(pos.get(1));
        try (Weights w = Input.open(in)) {
            boolean force = a.flag("--force");
            if (!force && format == SaveOptions.Format.SAFETENSORS) {
                w.amplification().check(in.toString(), "shard", "pass --force");
            }
            SaveOptions.Builder b = SaveOptions.builder().format(format).metadata(Conversion.carriedMetadata(w))
                    .allowAmplification(force)
                    .maxShardSize(a.option("--max-shard-size", "5GB"));
            String pattern = a.option("--pattern", null);
            if (pattern != null) {
                b.filenamePattern(pattern);
            }
            SaveOptions opts = b.build();
            Files.createDirectories(out);
            try (Cli.Progress progress = cli.progress("sharding " + in.getFileName(), HashCommand.tensorBytes(w.tensors()))) {
                if (progress.enabled()) {
                    progress.sample(new WrittenBytes(out));
                }
                Conversion.save(w, out, opts);
            }
        }
        try (Weights written = Input.open(out, Input.OPTIONS.withSafe(format == SaveOptions.Format.SAFETENSORS)
                .withFilenamePattern(a.option("--pattern", null)))) {
            List<Path> files = written.files();
            boolean indexed = !files.isEmpty() && files.get(0).getFileName().toString().endsWith(".index.json");
            List<Path> shards = indexed ? files.subList(1, files.size()) : files;
            cli.out().printf("wrote %s: %d tensors in %d file(s)%s%n", out, written.tensorNames().size(), shards.size(),
                    indexed ? " + " + files.get(0).getFileName() : "");
            for (Path f : shards) {
                cli.out().printf("  %s  %d bytes%n", f.getFileName(), Files.size(f));
            }
        } catch (WeightmapException | UnsupportedOperationException otherFilesInTheWay) {
            cli.out().printf("wrote %s%n", out);
        }
        return 0;
    }
}
