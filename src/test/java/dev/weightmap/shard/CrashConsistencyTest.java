// SPDX-License-Identifier: Apache-2.0
package dev.weightmap.shard;

import dev.weightmap.internal.io.FsSteps;
import dev.weightmap.internal.io.TempFiles;
import dev.weightmap.shard.CrashSaveChild.Version;
import dev.weightmap.tensor.Tensor;
import dev.weightmap.testing.Gen;
import dev.weightmap.testing.Seeded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Saves over an existing checkpoint, interrupted at every file-system step (a child JVM halted by
 * {@code -Dweightmap.faults.haltAtStep}) and by {@code kill -9} at random instants: afterwards the folder loads,
 * with weightmap's (and hub 2.0's) selection rule and with transformers' (single file first), as the complete old
 * or the complete new checkpoint, both rules agreeing, and a clean finishes or removes what the save left. The
 * default run covers every step of one scenario and a few kills; {@code mvn test -Pfaults} covers every step of
 * every scenario plus {@code -Dweightmap.faults.trials=N} random kills (default 200).
 */
class CrashConsistencyTest {
    private static final boolean FULL = Boolean.getBoolean("weightmap.faults.full");
    private static final int KILLS = Integer.getInteger("weightmap.faults.trials", FULL ? 200 : 3);

    record Scenario(String name, Version old, Version fresh, boolean linked) {
        Scenario(String name, Version old, Version fresh) {
            this(name, old, fresh, false);
        }
    }

    static final List<Scenario> SCENARIOS = List.of(
            new Scenario("same shard names", v(1, 6, 600, false), v(2, 6, 600, false)),
            new Scenario("more shards", v(1, 6, 800, false), v(2, 6, 300, false)),
            new Scenario("fewer shards", v(1, 6, 300, false), v(2, 6, 800, false)),
            new Scenario("single to sharded", v(1, 6, 1 << 20, false), v(2, 6, 600, false)),
            new Scenario("sharded to single", v(1, 6, 600, false), v(2, 6, 1 << 20, false)),
            new Scenario("single to single", v(1, 6, 1 << 20, false), v(2, 8, 1 << 20, false)),
            new Scenario("more tensors, same names", v(1, 6, 600, false), v(2, 7, 700, false)),
            new Scenario("torch, same shard names", v(1, 4, 600, true), v(2, 4, 600, true)),
            new Scenario("torch, single to sharded", v(1, 4, 1 << 20, true), v(2, 4, 600, true)),
            // shards that are links into a blob folder (as in hub's cache): written through
            new Scenario("linked shards, same names", v(1, 6, 600, false), v(2, 6, 600, false), true),
            new Scenario("linked single file to sharded", v(1, 6, 1 << 20, false), v(2, 6, 600, false), true));

    private static Version v(int seed, int tensors, long maxShard, boolean torch) {
        return new Version(seed, tensors, 64, maxShard, torch);
    }

    @TempDir
    Path tmp;

    private final AtomicInteger trialNo = new AtomicInteger();

    @Test
    void everyStepOfASaveOverSameShardNamesLeavesOldOrNew() throws Exception {
        everyStep(SCENARIOS.get(0));
    }

    @Test
    void everyStepOfEveryScenarioLeavesOldOrNew() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(FULL, "every scenario runs with -Pfaults");
        for (Scenario s : SCENARIOS.subList(1, SCENARIOS.size())) {
            everyStep(s);
        }
    }

    @Test
    void killsAtRandomInstantsLeaveOldOrNew() throws Exception {
        Seeded seeded = Seeded.named("CrashConsistencyTest.kills");
        seeded.tries(KILLS, g -> seeded.tally("outcome", killTrial(g)));
        System.out.println("CrashConsistencyTest: " + KILLS + " kill -9 trials, " + killed + " killed mid-save,"
                + " every one old or new");
    }

    private void everyStep(Scenario s) throws Exception {
        Path template = template(s);
        Path probe = copy(template);
        Child full = run(probe, s.fresh(), 0, -1, true);
        assertThat(full.exit()).as(s.name() + ": the whole save: " + full.out()).isZero();
        assertThat(check(probe, s)).isEqualTo("new");
        long steps = full.out().lines().filter(l -> l.startsWith("weightmap-step ")).count();
        assertThat(steps).as(s.name()).isGreaterThan(5);
        List<String> outcomes = new ArrayList<>();
        for (int k = 1; k <= steps; k++) {
            Path dir = copy(template);
            Child c = run(dir, s.fresh(), k, -1, false);
            assertThat(c.exit()).as(s.name() + " halted at step " + k + ": " + c.out()).isEqualTo(86);
            outcomes.add(check(dir, s));
        }
        System.out.println("CrashConsistencyTest " + s.name() + ": " + steps + " steps, outcomes " + outcomes);
        assertThat(outcomes).contains("old", "new");
    }

    /** Kills one save at a random instant between its start and a little after its usual end. */
    private String killTrial(Gen g) throws Exception {
        Scenario s = g.pick(SCENARIOS);
        long micros = saveMicros.computeIfAbsent(s, k -> {
            try {
                Child whole = run(copy(template(k)), k.fresh(), 0, -1, false);
                assertThat(whole.exit()).as(whole.out()).isZero();
                return Math.max(1000, whole.saveMicros());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        Path dir = copy(template(s));
        Child c = run(dir, s.fresh(), 0, g.longIn(0, micros * 5 / 4), false);
        String seen = check(dir, s);
        if (c.exit() == 0) {
            assertThat(seen).isEqualTo("new");
            return "completed";
        }
        killed++;
        return "killed, " + seen;
    }

    private final Map<Scenario, Long> saveMicros = new LinkedHashMap<>();
    private int killed;

    // ---------------------------------------------------------------------------------------------- in process

    @Test
    void fullDiskWritingTheIndexOfAnInPlaceReshardKeepsTheOldCheckpoint() throws Exception {
        for (Scenario s : List.of(SCENARIOS.get(0), SCENARIOS.get(1), SCENARIOS.get(3), SCENARIOS.get(4))) {
            Path dir = copy(template(s));
            FsSteps.writeFault = target -> {
                if (target.getFileName().toString().endsWith(".index.json")) {
                    throw new IOException("No space left on device");
                }
            };
            try {
                assertThatThrownBy(() -> StateDicts.save(s.fresh().stateDict(), dir, s.fresh().options()))
                        .as(s.name()).isInstanceOf(IOException.class)
                        .hasMessageContaining("no space left on device writing")
                        .hasMessageContaining(dir.toString());
            } finally {
                FsSteps.writeFault = null;
            }
            assertThat(check(dir, s)).as(s.name()).isEqualTo("old");
            assertThat(tempNames(dir)).as(s.name()).isEmpty();
            assertThat(names(dir)).as(s.name()).isEqualTo(names(template(s)));
        }
    }

    @Test
    void fullDiskWritingAShardKeepsTheOldCheckpoint() throws Exception {
        Scenario s = SCENARIOS.get(0);
        Path dir = copy(template(s));
        FsSteps.writeFault = target -> {
            if (target.getFileName().toString().equals("model-00002-of-00003.safetensors")) {
                throw new IOException("No space left on device");
            }
        };
        try {
            assertThatThrownBy(() -> StateDicts.save(s.fresh().stateDict(), dir, s.fresh().options()))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("no space left on device writing " + dir.resolve(
                            "model-00002-of-00003.safetensors"));
        } finally {
            FsSteps.writeFault = null;
        }
        assertThat(check(dir, s)).isEqualTo("old");
        assertThat(tempNames(dir)).isEmpty();
    }

    // ---------------------------------------------------------------------------------------------- checking

    /**
     * Loads {@code dir} by both rules and returns "old" or "new"; then cleans it and checks that nothing temporary
     * is left and the outcome did not change.
     */
    private String check(Path dir, Scenario s) throws IOException {
        String ours = version(dir, s, false);
        String transformers = version(dir, s, true);
        if (!ours.equals(transformers)) {
            fail(s.name() + ": weightmap/hub see " + ours + ", transformers sees " + transformers + " in "
                    + names(dir));
        }
        StateDicts.CleanResult r = StateDicts.cleanTemporaryFiles(dir, false);
        assertThat(tempNames(dir)).as(s.name() + " after clean " + r + ": " + names(dir)).isEmpty();
        assertThat(version(dir, s, false)).as(s.name() + " after clean").isEqualTo(ours);
        assertThat(version(dir, s, true)).as(s.name() + " after clean").isEqualTo(ours);
        return ours;
    }

    private String version(Path dir, Scenario s, boolean singleFirst) {
        boolean torch = s.fresh().torch();
        String single = torch ? "pytorch_model.bin" : "model.safetensors";
        Map<String, String> seen;
        try {
            Checkpoint c;
            if (singleFirst && Files.isRegularFile(dir.resolve(single))) {
                c = Checkpoints.loadStateDictFromFile(dir.resolve(single), !torch);
            } else if (singleFirst) {
                c = Checkpoints.open(dir.resolve(single + ".index.json"), LoadOptions.defaults().withSafe(!torch));
            } else {
                c = Checkpoints.open(dir, LoadOptions.defaults().withSafe(!torch));
            }
            try (c) {
                seen = hashes(c.tensors());
            }
        } catch (IOException | RuntimeException e) {
            throw new AssertionError(s.name() + ": the folder does not load (" + (singleFirst ? "transformers"
                    : "weightmap") + " rule): " + e + "; files " + names(dir), e);
        }
        if (seen.equals(hashes(s.old().stateDict()))) {
            return "old";
        }
        if (seen.equals(hashes(s.fresh().stateDict()))) {
            return "new";
        }
        throw new AssertionError(s.name() + ": neither old nor new: " + seen.keySet() + " in " + names(dir));
    }

    private static Map<String, String> hashes(Map<String, Tensor> tensors) {
        Map<String, String> out = new LinkedHashMap<>();
        tensors.forEach((n, t) -> {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                md.update(t.contiguous(java.lang.foreign.Arena.ofAuto()).data().toArray(ValueLayout.JAVA_BYTE));
                out.put(n, HexFormat.of().formatHex(md.digest()));
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        });
        return new java.util.TreeMap<>(out);
    }

    private static List<String> tempNames(Path dir) throws IOException {
        return names(dir).stream().filter(TempFiles::isTempName).toList();
    }

    private static List<String> names(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return List.of("(unreadable: " + e + ")");
        }
    }

    // ---------------------------------------------------------------------------------------------- processes

    private final Map<String, Path> templates = new LinkedHashMap<>();

    /** The old checkpoint of a scenario; a linked one has its files in a sibling blob folder, named by links. */
    private Path template(Scenario s) throws IOException {
        String key = s.old().spec() + (s.linked() ? ":linked" : "");
        Path t = templates.get(key);
        if (t == null) {
            t = Files.createDirectory(tmp.resolve("template-" + templates.size()));
            StateDicts.save(s.old().stateDict(), t, s.old().options());
            if (s.linked()) {
                Path blobs = Files.createDirectory(tmp.resolve(t.getFileName() + "-blobs"));
                for (String n : names(t)) {
                    if (!n.endsWith(".index.json")) {
                        Files.move(t.resolve(n), blobs.resolve(n));
                        Files.createSymbolicLink(t.resolve(n), Path.of("..", blobs.getFileName().toString(), n));
                    }
                }
            }
            templates.put(key, t);
        }
        return t;
    }

    private Path copy(Path template) throws IOException {
        Path dir = Files.createDirectory(tmp.resolve("trial-" + trialNo.incrementAndGet()));
        for (String n : names(template)) {
            Path src = template.resolve(n);
            if (Files.isSymbolicLink(src)) {
                Path blobs = Files.createDirectories(tmp.resolve(dir.getFileName() + "-blobs"));
                Files.copy(src, blobs.resolve(n)); // the file the link names
                Files.createSymbolicLink(dir.resolve(n), Path.of("..", blobs.getFileName().toString(), n));
            } else {
                Files.copy(src, dir.resolve(n));
            }
        }
        return dir;
    }

    record Child(int exit, String out, long saveMicros) {
    }

    /** Runs one save; halts at step {@code haltAt} (0: never), or is killed {@code killAfterMicros} after ready. */
    private static Child run(Path dir, Version v, long haltAt, long killAfterMicros, boolean trace)
            throws Exception {
        String cp = Path.of("target/classes").toAbsolutePath() + java.io.File.pathSeparator
                + Path.of("target/test-classes").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-cp", cp));
        if (haltAt > 0) {
            cmd.add("-Dweightmap.faults.haltAtStep=" + haltAt);
        }
        if (trace) {
            cmd.add("-Dweightmap.faults.trace=true");
        }
        cmd.addAll(List.of(CrashSaveChild.class.getName(), dir.toString(), v.spec()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        StringBuilder out = new StringBuilder();
        long ready = 0;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(),
                StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                out.append(line).append('\n');
                if (line.equals("ready")) {
                    ready = System.nanoTime();
                }
                if (line.equals("done")) {
                    ready = System.nanoTime() - ready;
                }
                if (killAfterMicros >= 0 && line.equals("ready")) {
                    TimeUnit.MICROSECONDS.sleep(killAfterMicros);
                    p.destroyForcibly(); // SIGKILL
                    break;
                }
            }
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("the save did not end: " + out);
        }
        return new Child(p.exitValue(), out.toString(), ready / 1000);
    }
}
