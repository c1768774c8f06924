// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.cli;


import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The {@code weightmap} command line. Exit codes: 0 success, 1 failure (one line
 * {@code error: REASON: message} on stderr), 2 usage error. An input within every limit that needs more heap than
 * the JVM has fails with reason {@code OUT_OF_MEMORY}.
 */
public final class Main {
    /** The version printed by {@code --version}: the pom's version, filled in by the build. */
    public static final String VERSION = Version.read();

    static final List<Command> COMMANDS = List.of(
            new InspectCommand(),
            new VerifyCommand(),
            new HashCommand(),
            new ShardCommand(),
            new ConvertCommand(),
            new DemoCommand(),
            new ExportDdufCommand(),
            new CleanCommand()
    );

    private Main() {
    }

    /**
     * Entry point.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err, systemCli(System.out, System.err));
        System.out.flush();
        System.exit(code);
    }

    /**
     * The {@link Cli} of a real run: stderr's terminal check asked when first needed. One call site, so the
     * ahead-of-time cache recorded by {@link Training} holds the same lambda class the real run uses.
     */
    static Cli systemCli(PrintStream out, PrintStream err) {
        return new Cli(out, err, Main::stderrIsTerminal);
    }

    /**
     * Whether stderr is a terminal: what the launcher found out ({@code -Dweightmap.stderr.terminal=true|false},
     * from the shell's {@code [ -t 2 ]}, which costs nothing), else the C library's {@code isatty} (a native
     * downcall, whose first linking costs tens of milliseconds at start-up).
     */
    static boolean stderrIsTerminal() {
        String told = System.getProperty("weightmap.stderr.terminal");
        return told != null ? Boolean.parseBoolean(told) : Terminal.stderrIsTerminal();
    }

    /**
     * Runs the CLI with the given streams and returns the exit code (for embedding and tests).
     *
     * @param argv     the command line
     * @param out      standard output
     * @param err      standard error
     * @param terminal whether {@code err} is a terminal: progress is then shown unless {@code --no-progress}
     * @return the exit code: 0 success, 1 failure, 2 usage error
     */
    public static int run(String[] argv, PrintStream out, PrintStream err, boolean terminal) {
        return run(argv, out, err, new Cli(out, err, terminal));
    }

    /** {@link #run(String[], PrintStream, PrintStream, boolean)} with a given {@link Cli}. */
    static int run(String[] argv, PrintStream out, PrintStream err, Cli cli) {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        cli.setDebug(args.remove("--debug"));
        cli.setProgressMode(progressMode(args));
        if (args.isEmpty() || args.get(0).equals("--help") || args.get(0).equals("-h") || args.get(0).equals("help")) {
            if (args.size() > 1) {
                Command c = find(args.get(1));
                if (c != null) {
                    out.println(c.usage());
                    return 0;
                }
            }
            out.println(usage());
            return args.isEmpty() ? 2 : 0;
        }
        if (args.get(0).equals("--version") || args.get(0).equals("-V")) {
            out.println("weightmap " + VERSION);
            return 0;
        }
        Command cmd = find(args.get(0));
        if (cmd == null) {
            err.println("error: USAGE: unknown command '" + args.get(0) + "' (see weightmap --help)");
            return 2;
        }
        List<String> rest = args.subList(1, args.size());
        if (rest.contains("--help") || rest.contains("-h")) {
            out.println(cmd.usage());
            return 0;
        }
        try {
            return cmd.run(cli, new ArrayList<>(rest));
        } catch (UsageException e) {
            err.println("error: USAGE: " + e.getMessage());
            err.println("usage: " + firstLine(cmd.usage()));
            return 2;
        } catch (OutOfMemoryError e) {
            return outOfMemory(cli, err, e);
        } catch (Exception | StackOverflowError | InternalError e) {
            OutOfMemoryError oom = outOfMemoryCause(e);
            if (oom != null) { // a shared OutOfMemoryError instance wrapped on its way (e.g. "Self-suppression")
                return outOfMemory(cli, err, oom);
            }
            err.println("error: " + reason(e) + ": " + oneLine(e.getMessage() == null ? e.toString() : e.getMessage()));
            if (cli.debug()) {
                e.printStackTrace(err);
            }
            return 1;
        }
    }

    /** The input is within every limit but needs more heap than this JVM has: say so, and how to fix it. */
    private static int outOfMemory(Cli cli, PrintStream err, OutOfMemoryError e) {
        err.println("error: OUT_OF_MEMORY: " + oneLine(String.valueOf(e.getMessage())) + ": this input needs more"
                + " memory than the JVM's maximum heap of " + (Runtime.getRuntime().maxMemory() >> 20)
                + " MiB; run java with a larger -Xmx");
        if (cli.debug()) {
            e.printStackTrace(err);
        }
        return 1;
    }

    /** An OutOfMemoryError among the causes and suppressed exceptions of {@code t}, or null. */
    static OutOfMemoryError outOfMemoryCause(Throwable t) {
        java.util.Set<Throwable> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Throwable> todo = new java.util.ArrayDeque<>(List.of(t));
        while (!todo.isEmpty()) {
            Throwable x = todo.pop();
            if (!seen.add(x) || seen.size() > 64) {
                continue;
            }
            if (x instanceof OutOfMemoryError o) {
                return o;
            }
            if (x.getCause() != null) {
                todo.push(x.getCause());
            }
            for (Throwable s : x.getSuppressed()) {
                todo.push(s);
            }
        }
        return null;
    }

    /**
     * Removes {@code --progress} and {@code --no-progress} (before any {@code --}) from {@code args}; the last one
     * given decides.
     */
    private static Cli.ProgressMode progressMode(List<String> args) {
        Cli.ProgressMode mode = Cli.ProgressMode.AUTO;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                break;
            }
            if (a.equals("--progress") || a.equals("--no-progress")) {
                mode = a.equals("--progress") ? Cli.ProgressMode.ON : Cli.ProgressMode.OFF;
                args.remove(i--);
            }
        }
        return mode;
    }

    /** The REASON word of the {@code error:} line for an exception. */
    static String reason(Throwable e) {
        return dev.weightmap.WeightmapException.reasonOf(e);
    }

    private static String oneLine(String s) {
        return s.replace('\n', ' ').replace('\r', ' ');
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    private static Command find(String name) {
        for (Command c : COMMANDS) {
            if (c.name().equals(name)) {
                return c;
            }
        }
        return null;
    }

    static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("weightmap ").append(VERSION).append(": zero-copy safetensors, DDUF and PyTorch checkpoints\n\n");
        sb.append("usage: weightmap [--debug] [--progress|--no-progress] COMMAND [ARGS]\n       weightmap --version\n"
                + "       weightmap COMMAND --help\n\ncommands:\n");
        for (Command c : COMMANDS) {
            sb.append(String.format("  %-12s %s%n", c.name(), c.summary()));
        }
        sb.append("\noptions:\n  --debug        print the stack trace of a failure");
        sb.append("\n  --progress     always show progress on stderr (bytes done / total, rate, time left)");
        sb.append("\n  --no-progress  never show it (the default shows it when stderr is a terminal)");
        sb.append("\n\nexit codes: 0 ok, 1 failure (\"error: REASON: message\" on stderr), 2 usage error");
        return sb.toString();
    }
}
