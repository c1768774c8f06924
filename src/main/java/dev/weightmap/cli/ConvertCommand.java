// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.shard.Checkpoint;
import dev.weightmap.shard.SaveOptions;
import dev.weightmap.shard.StateDicts;
import dev.weightmap.tensor.Tensor;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code weightmap convert IN OUT [--max-shard-size SIZE]}: torch checkpoints ↔ safetensors. */
final class ConvertCommand implements Command {
    @Override
    public String name() {
        return "convert";
    }

    @Override
    public String summary() {
        return "convert .bin/.pt checkpoints to .safetensors and back (sharded when asked)";
    }

    @Override
    public String usage() {
        return """
                weightmap convert IN OUT [--max-shard-size SIZE]
                  IN:  a .bin/.pt/.pth/.ckpt file (zip or legacy), a .safetensors file, a sharded checkpoint folder
                       or its .index.json.
                  OUT: a file name ending in .safetensors, or in .bin/.pt for the torch format, e.g.
                       out/model.safetensors. When IN is sharded, or --max-shard-size is given, OUT's folder
                       receives shards named after OUT (model-00001-of-00003.safetensors …) and an index
                       (model.safetensors.index.json), exactly as huggingface_hub's save_torch_state_dict names them.
                  Shared tensors are saved once in safetensors (removed -> kept recorded in the metadata), strided
                  tensors are made contiguous, and safetensors files carry {"format":"pt"}. The pickle of a torch
                  input is never executed. Sizes: KB MB GB TB (decimal) or KiB MiB GiB TiB.""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of(), Set.of("--max-shard-size"));
        List<String> pos = a.positionals(2, "IN and OUT");
        Path in = Path.of(pos.get(0));
        Path out = Path.of(pos.get(1)).toAbsolutePath();
        String outName = out.getFileName().toString();
        SaveOptions.Format format;
        String pattern;
        if (outName.endsWith(".safetensors")) {
            format = SaveOptions.Format.SAFETENSORS;
            pattern = outName.substring(0, outName.length() - ".safetensors".length()) + "{suffix}.safetensors";
        } else if (outName.endsWith(".bin") || outName.endsWith(".pt") || outName.endsWith(".pth")) {
            int dot = outName.lastIndexOf('.');
            format = SaveOptions.Format.TORCH;
            pattern = outName.substring(0, dot) + "{suffix}" + outName.substring(dot);
        } else {
            throw new UsageException("OUT must end in .safetensors, .bin, .pt or .pth: " + outName);
        }
        if (pattern.contains("{suffix}{") || outName.contains("{") || outName.contains("}")) {
            throw new UsageException("OUT must not contain braces: " + outName);
        }
        Path dir = out.getParent();
        Files.createDirectories(dir);
        try (Checkpoint c = ShardedFormat.openAny(in)) {
            long maxShard;
            String size = a.option("--max-shard-size", null);
            if (size != null) {
                maxShard = dev.weightmap.shard.ShardSize.parse(size);
            } else if (c.isSharded()) {
                // as many shards as the input: the largest input shard's tensor bytes bound each output shard
                Map<Path, Long> perFile = new LinkedHashMap<>();
                c.tensors().forEach((name, t) -> perFile.merge(c.fileOf(name), t.byteLength(), Long::sum));
                maxShard = Math.max(1, perFile.values().stream().mapToLong(Long::longValue).max().orElse(1));
            } else {
                maxShard = Long.MAX_VALUE;
            }
            Map<String, String> metadata = new LinkedHashMap<>();
            c.metadata().forEach((k, v) -> {
                if (v instanceof String s && !k.equals("format") && !k.equals("total_size")) {
                    metadata.put(k, s);
                }
            });
            long total = 0;
            for (Tensor t : c.tensors().values()) {
                total += t.byteLength();
            }
            Cli.Progress progress = cli.progress("converting " + in.getFileName(), total);
            SaveOptions options = SaveOptions.builder().format(format).filenamePattern(pattern)
                    .maxShardSize(maxShard).metadata(metadata).forceContiguous(true).build();
            StateDicts.save(c.tensors(), dir, options);
            progress.done();
            long written = 0;
            int files = 0;
            String prefix = pattern.substring(0, pattern.indexOf("{suffix}"));
            try (var s = Files.list(dir)) {
                for (Path p : (Iterable<Path>) s::iterator) {
                    String n = p.getFileName().toString();
                    if (n.startsWith(prefix) && !n.startsWith(".")) {
                        written += Files.size(p);
                        files++;
                    }
                }
            }
            cli.out().printf("converted %s (%d tensors) -> %s: %d file(s), %d bytes%n", in, c.size(), dir, files, written);
        }
        return 0;
    }
}
