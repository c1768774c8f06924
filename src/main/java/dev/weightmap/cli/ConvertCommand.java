// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;

import dev.weightmap.WeightmapException;
import dev.weightmap.Weights;
import dev.weightmap.gguf.GgufFile;
import dev.weightmap.shard.Conversion;
import dev.weightmap.shard.ShardSize;

import java.nio.file.Path;
import java.util.List;
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
                weightmap convert IN OUT [--max-shard-size SIZE] [--force]
                  IN:  a .bin/.pt/.pth/.ckpt file (zip or legacy), a .safetensors file (of any name: the format
                       is detected from the content), a checkpoint folder or its .index.json, or an http(s)
                       URL of a safetensors file, sharded index or GGUF file (downloaded next to OUT with range
                       requests, converted, and the download removed).
                  OUT: a file name ending in .safetensors, or in .bin/.pt for the torch format, e.g.
                       out/model.safetensors. When IN is sharded, or --max-shard-size is given, OUT's folder
                       receives shards named after OUT (model-00001-of-00003.safetensors …) and an index
                       (model.safetensors.index.json), exactly as huggingface_hub's save_torch_state_dict names them.
                  Shared tensors are saved once in safetensors (removed -> kept recorded in the metadata), strided
                  tensors are made contiguous, and safetensors files carry {"format":"pt"}. The pickle of a torch
                  input is never executed. Sizes: KB MB GB TB (decimal) or KiB MiB GiB TiB.
                  A GGUF IN is dequantized (bit-identical to gguf-py's dequantize): plain tensors (F32 F16 BF16
                  F64 I8..I64) are kept as they are, block types become F32; --dtype f32|bf16|f16 converts every
                  tensor. Names are kept, shapes are row-major, scalar metadata goes into __metadata__ as strings
                  (arrays such as the vocabulary are dropped).
                  An OUT ending in .gguf is written as gguf-py's GGUFWriter writes it (GGUF v3), from any IN:
                  --type f32|f16|bf16|q8_0|q4_0|q4_1|q5_0|q5_1|tq1_0|tq2_0|mxfp4 quantizes every float tensor as
                  gguf.quants.quantize does (default: GGUF-storable dtypes kept, others as F32); a tensor whose row
                  is not a whole number of blocks is stored as F32, and the command says so. Names are kept;
                  string metadata (safetensors __metadata__) becomes string key/value pairs.
                  --force  write expanded views (stride 0) out in full even when that is far more bytes than IN
                           stores (refused with AMPLIFICATION otherwise)""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--force"), Set.of("--max-shard-size", "--dtype", "--type"));
        List<String> pos = a.positionals(2, "IN and OUT");
        if (Input.isUrl(pos.get(0))) { // downloaded next to OUT, converted, removed
            return RemoteDownload.run(cli, pos.get(0), Path.of(pos.get(1)),
                    (c, local) -> run(c, RemoteDownload.withInput(argv, pos.get(0), local)));
        }
        Path in = Path.of(pos.get(0));
        Path out = Path.of(pos.get(1)).toAbsolutePath();
        if (out.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".gguf")) {
            if (a.option("--max-shard-size", null) != null || a.option("--dtype", null) != null) {
                throw new UsageException("a .gguf OUT takes --type, not --max-shard-size or --dtype");
            }
            try (Weights w = Input.open(in)) {
                return GgufConvert.toGguf(cli, w, in, out, a.option("--type", null));
            }
        }
        if (a.option("--type", null) != null) {
            throw new UsageException("--type applies to a .gguf OUT only");
        }
        try {
            Conversion.filenamePatternOf(out);
        } catch (WeightmapException e) {
            throw new UsageException(e.getMessage());
        }
        String size = a.option("--max-shard-size", null);
        long maxShard = size == null ? -1 : ShardSize.parse(size);
        String dtype = a.option("--dtype", null);
        try (Weights w = Input.open(in)) {
            if (w instanceof GgufFile g) {
                return GgufConvert.toCheckpoint(cli, g, in, out, dtype, maxShard);
            }
            if (dtype != null) {
                throw new UsageException("--dtype applies to GGUF inputs only");
            }
            boolean force = a.flag("--force");
            if (!force && Conversion.formatOf(out) == dev.weightmap.shard.SaveOptions.Format.SAFETENSORS) {
                w.amplification().check(in.toString(), "convert", "pass --force");
            }
            Cli.Progress progress = cli.progress("converting " + in.getFileName(), HashCommand.tensorBytes(w.tensors()));
            if (progress.enabled()) {
                progress.sample(new WrittenBytes(out.getParent()));
            }
            Conversion.Result r;
            try {
                r = Conversion.convert(w, out, maxShard < 0 ? Conversion.inputShardSize(w) : maxShard, force);
            } finally {
                progress.done();
            }
            cli.out().printf("converted %s (%d tensors) -> %s: %d file(s), %d bytes%n", in, r.tensors(),
                    r.directory(), r.files().size(), r.bytes());
        }
        return 0;
    }
}
