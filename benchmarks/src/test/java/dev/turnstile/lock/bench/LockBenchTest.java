package dev.turnstile.lock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.Contenders;
import dev.turnstile.lock.bench.contender.GuardedCounters;
import dev.turnstile.lock.bench.contender.LockTable;
import dev.turnstile.lock.bench.report.Result;
import dev.turnstile.lock.bench.run.WorkerKind;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lockbench end to end, on workloads small enough for CI. */
class LockBenchTest {
    private static final String[] TINY = {"--threads", "4", "--ops", "300", "--rounds", "1", "--regimes", "extreme,heavy",
        "--read-mixes", "90", "--no-fork", "--warmup-min", "0", "--warmup-cap", "20"};

    @Test
    void smallRunOfEveryKindOfContenderPassesTheSumCheckAndWritesEveryReport(@TempDir Path out) throws Exception {
        BenchOptions o = BenchOptions.parse(Stream.concat(Stream.of(TINY), Stream.of("--out", out.toString(),
                "--contenders", "mutex-eventual,mutex-fifo,mutex-eventual-view,reentrant,synchronized,rrwl,rwlock,rwlock-view,ibm-fair-async,vertx-local"))
                .toArray(String[]::new));

        assertEquals(0, LockBench.runAll(o));

        // 5 exclusive contenders x (2 regimes + 1 mix) x 2 worker kinds, 3 read-write x 1 mix x 2, 2 async x 2 regimes
        int rows = 5 * 3 * 2 + 3 * 2 + 2 * 2;
        Path dir = o.runDir;
        assertEquals(out, dir.getParent(), "each run writes a folder of its own under --out");
        assertEquals(1 + rows, Files.readAllLines(dir.resolve("lockbench.csv")).size());
        assertEquals(1 + rows, Files.readAllLines(dir.resolve("lockbench-runs.csv")).size());
        String json = Files.readString(dir.resolve("lockbench.json"));
        assertEquals(2 * rows, occurrences(json, "\"sumOk\": true"), "every sum checks out, in summaries and runs");
        assertTrue(json.contains("hand-offs"), "Turnstile rows carry the mutexes' own counts");
        assertTrue(Files.readString(dir.resolve("lockbench.html")).contains("<svg"));
        assertTrue(json.startsWith("{\n  \"meta\""));
        assertTrue(Files.exists(dir.resolve("lockbench-throughput.svg")));
        assertFalse(json.contains("\"parks\": -1"), "parks were counted in every run");
        assertEquals(rows, occurrences(json, "\"allocatedBytes\": "), "allocation is reported for every run");
        assertFalse(json.contains("\"allocatedBytes\": -1"), "and was measured in every run");
    }

    @Test
    void aLockThatLosesIncrementsFailsTheSumCheckAndTheExitStatus(@TempDir Path out) throws Exception {
        BenchOptions o = BenchOptions.parse(Stream.concat(Stream.of(TINY), Stream.of("--out", out.toString()))
                .toArray(String[]::new));
        o.contenders = List.of(new Contender("leaky", "drops every 100th increment", Contender.Role.EXCLUSIVE,
                LeakyTable::new, null, false));

        // Captured so that CI logs don't show this deliberate failure as if it were a real one.
        PrintStream out0 = System.out;
        PrintStream err0 = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int status;
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            System.setErr(capture);
            status = LockBench.runAll(o);
        } finally {
            System.setOut(out0);
            System.setErr(err0);
        }

        assertEquals(LockBench.SUM_MISMATCH, status);
        assertTrue(printed.toString(StandardCharsets.UTF_8).contains("SUM CHECK FAILED: drops every 100th increment"),
                "the failure is reported loudly");

        String json = Files.readString(o.runDir.resolve("lockbench.json"));
        assertEquals(2 * 6, occurrences(json, "\"sumOk\": false"), "every scenario of the leaky lock fails");
        assertEquals(0, occurrences(json, "\"sumOk\": true"));
    }

    @Test
    void resultSurvivesTheForkProtocol() {
        Result r = new Result("c", "C (x)", true, 2, "read 90%", "virtual", 2, 90, 32, 1000, 3, 96000, 1.5, 2.25, 3.125,
                7, 0, 200, 300, 400, 5, 10, 0.75, 1, 4, 350, false, 1234, 5_678_000, true, "hand-offs 3, wake-ups 4");
        assertEquals(r, Result.fromLine(r.toLine()));
    }

    @Test
    void repetitionsInterleaveTheWholeLineUp() {
        List<Contender> lineUp = Stream.of("mutex-eventual", "reentrant", "synchronized").map(Contenders::named).toList();

        List<String> order = LockBench.schedule(lineUp, 3).stream()
                .map(slot -> slot.rep() + ":" + slot.contender().name()).toList();

        assertEquals(List.of("1:mutex-eventual", "1:reentrant", "1:synchronized", "2:mutex-eventual", "2:reentrant",
                "2:synchronized", "3:mutex-eventual", "3:reentrant", "3:synchronized"), order);
    }

    @Test
    void frontierRunsMutexFromFifoToBargingBesideBothReentrantLocksInTheContendedRegimes() {
        BenchOptions o = BenchOptions.parse(new String[] {"--frontier"});

        assertEquals(List.of("mutex-fifo", "mutex-handoff-0.1ms", "mutex-handoff-0.5ms", "mutex-handoff-1ms",
                "mutex-handoff-5ms", "mutex-barging", "reentrant-fair", "reentrant"),
                o.contenders.stream().map(Contender::name).toList());
        assertEquals(List.of("extreme", "heavy"), o.regimes.stream().map(Regime::name).toList());
        assertTrue(o.readMixes.isEmpty());
        assertFalse(o.async);
        assertEquals("reentrant", o.baseline);
        assertEquals(List.of(WorkerKind.PLATFORM, WorkerKind.VIRTUAL), o.workers);
        assertTrue(o.contenders.stream().allMatch(c -> !LockBench.scenarios(c, o).isEmpty()));
    }

    @Test
    void frontierKeepsTheRegimesAndContendersTheCallerChose() {
        BenchOptions o = BenchOptions.parse(new String[] {"--frontier", "--regimes", "extreme", "--contenders",
            "mutex-handoff-1ms,reentrant"});

        assertEquals(List.of("mutex-handoff-1ms", "reentrant"), o.contenders.stream().map(Contender::name).toList());
        assertEquals(List.of("extreme"), o.regimes.stream().map(Regime::name).toList());
    }

    @Test
    void repeatedRunWritesMetadataRatiosAndTheFrontierCharts(@TempDir Path out) throws Exception {
        BenchOptions o = BenchOptions.parse(new String[] {"--frontier", "--contenders", "mutex-handoff-0.5ms,reentrant",
            "--regimes", "extreme", "--workers", "platform", "--threads", "4", "--ops", "300", "--rounds", "2", "--reps", "2",
            "--no-fork", "--warmup-min", "0", "--warmup-cap", "20", "--out", out.toString()});

        assertEquals(0, quietly(() -> LockBench.runAll(o)));

        Path dir = o.runDir;
        String json = Files.readString(dir.resolve("lockbench.json"));
        for (String key : List.of("date", "commit", "jvm", "machine", "command", "warm-up", "parks", "waitPopulation")) {
            assertTrue(json.contains("\"" + key + "\": \""), "JSON meta has " + key);
        }
        assertTrue(json.contains("scripts/lockbench --frontier"), "the command line as given");
        assertEquals(2, occurrences(json, "\"ratioToBaselineMedian\""), "one summary per contender");
        assertTrue(json.contains("\"ratioToBaselineMedian\": 1.000"), "the baseline divided by itself");
        assertEquals(4, occurrences(json, "\"rep\": "), "2 contenders x 2 reps");
        String html = Files.readString(dir.resolve("lockbench.html"));
        for (String part : List.of("higher is better", "lower is better", "over all acquisitions", "Fairness/throughput frontier",
                "commit", "machine", "command", "whisker: min–max over repetitions", "÷ ReentrantLock (nonfair)")) {
            assertTrue(html.contains(part), "the HTML says " + part);
        }
        assertTrue(Files.exists(dir.resolve("lockbench-frontier-extreme-platform-p999.svg")));
        assertEquals(dir.getFileName(), Files.readSymbolicLink(out.resolve("latest")), "results/latest points at the run");
    }

    @Test
    void warmUpRuleAndDefaultsReachTheChild() {
        BenchOptions o = BenchOptions.parse(new String[] {"--warmup-min", "100", "--warmup-cap", "900",
            "--warmup-tolerance", "7", "--no-jfr"});
        List<String> child = o.forChild();

        assertEquals("100", child.get(child.indexOf("--warmup-min") + 1));
        assertEquals("900", child.get(child.indexOf("--warmup-cap") + 1));
        assertEquals("7", child.get(child.indexOf("--warmup-tolerance") + 1));
        assertTrue(child.contains("--no-jfr"));
        assertEquals(0.07, o.warmUpRule().tolerance(), 1e-12);
        assertEquals(64, quietly(() -> LockBench.run(new String[] {"--warmup-min", "900", "--warmup-cap", "100"})));
    }

    @Test
    void unknownFlagIsRejected() throws Exception {
        assertEquals(64, LockBench.run(new String[] {"--thraeds", "4"}));
    }

    /** Runs {@code body} with stdout and stderr captured, so that CI logs stay readable. */
    private static int quietly(java.util.concurrent.Callable<Integer> body) {
        PrintStream out0 = System.out;
        PrintStream err0 = System.err;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (PrintStream capture = new PrintStream(printed, true, StandardCharsets.UTF_8)) {
            System.setOut(capture);
            System.setErr(capture);
            return body.call();
        } catch (Exception e) {
            throw new AssertionError(printed.toString(StandardCharsets.UTF_8), e);
        } finally {
            System.setOut(out0);
            System.setErr(err0);
        }
    }

    private static int occurrences(String text, String part) {
        return text.split(java.util.regex.Pattern.quote(part), -1).length - 1;
    }

    /** A "lock" that excludes nothing and forgets every 100th increment: the sum check must notice. */
    private static final class LeakyTable implements LockTable {
        private final GuardedCounters counters;
        private int calls;

        LeakyTable(int locks) {
            counters = new GuardedCounters(locks);
        }

        @Override
        public synchronized void increment(int slot, Histogram waits) {
            if (++calls % 100 != 0) {
                counters.increment(slot);
            }
        }

        @Override
        public synchronized long read(int slot, Histogram waits) {
            return counters.get(slot);
        }

        @Override
        public GuardedCounters counters() {
            return counters;
        }
    }
}
