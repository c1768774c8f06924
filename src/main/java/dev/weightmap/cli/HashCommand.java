package dev.weightmap.cli;

import dev.weightmap.internal.json.JsonWriter;
import dev.weightmap.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code weightmap hash [--algo sha256] [--per-tensor] [--json] PATH}. */
final class HashCommand implements Command {
    @Override
    public String name() {
        return "hash";
    }

    @Override
    public String summary() {
        return "hash whole files or every tensor's logical bytes";
    }

    @Override
    public String usage() {
        return """
                weightmap hash [--algo sha256] [--per-tensor] [--json] PATH
                  Whole file: prints "<hex>  <path>" (SHA-256 = the Hub's LFS oid).
                  --per-tensor  hash each tensor's logical row-major bytes (DDUF keys: <entry>::<tensor>)
                  --json        {"algo":…,"tensors":{name:hex}} with --per-tensor""";
    }

    @Override
    public int run(Cli cli, List<String> argv) throws Exception {
        Args a = new Args(argv, Set.of("--per-tensor", "--json"), Set.of("--algo"));
        String algo = a.option("--algo", "sha256");
        if (!algo.equals("sha256")) {
            throw new UsageException("unsupported --algo " + algo);
        }
        Path p = Path.of(a.positionals(1, "one PATH").get(0));
        if (!a.flag("--per-tensor")) {
            String hex = sha256File(p);
            if (a.flag("--json")) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("algo", algo);
                m.put("files", Map.of(p.toString(), hex));
                cli.out().println(JsonWriter.compact().write(m));
            } else {
                cli.out().println(hex + "  " + p);
            }
            return 0;
        }
        try (CliFormat.Opened o = Formats.open(p)) {
            Map<String, Object> hashes = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : o.tensors().entrySet()) {
                hashes.put(e.getKey(), sha256(e.getValue()));
            }
            if (a.flag("--json")) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("algo", algo);
                m.put("tensors", hashes);
                cli.out().println(JsonWriter.compact().write(m));
            } else {
                hashes.forEach((k, v) -> cli.out().println(v + "  " + k));
            }
        }
        return 0;
    }

    static String sha256File(Path p) throws IOException {
        MessageDigest md = sha();
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
            while (ch.read(buf) >= 0) {
                buf.flip();
                md.update(buf);
                buf.clear();
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(Tensor t) throws IOException {
        MessageDigest md = sha();
        t.writeTo(new WritableByteChannel() {
            @Override
            public int write(ByteBuffer src) {
                int n = src.remaining();
                md.update(src);
                return n;
            }

            @Override
            public boolean isOpen() {
                return true;
            }

            @Override
            public void close() {
            }
        });
        return HexFormat.of().formatHex(md.digest());
    }

    static String sha256(MemorySegment s) {
        MessageDigest md = sha();
        md.update(s.asByteBuffer());
        return HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
