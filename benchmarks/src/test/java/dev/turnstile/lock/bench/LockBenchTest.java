package dev.turnstile.lock.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.GuardedCounters;
import dev.turnstile.lock.bench.contender.LockTable;
import dev.turnstile.lock.bench.report.Result;
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
        "--read-mixes", "90", "--no-fork"};

    @Test
    void smallRunOfEveryKindOfContenderPassesTheSumCheckAndWritesEveryReport(@TempDir Path out) throws Exception {
        BenchOptions o = BenchOptions.parse(Stream.concat(Stream.of(TINY), Stream.of("--out", out.toString(),
                "--contenders", "mutex-eventual,mutex-fifo,mutex-eventual-view,reentrant,synchronized,rrwl,rwlock,rwlock-view,ibm-fair-async,vertx-local"))
                .toArray(String[]::new));

        assertEquals(0, LockBench.runAll(o));

        // 5 exclusive contenders x (2 regimes + 1 mix) x 2 worker kinds, 3 read-write x 1 mix x 2, 2 async x 2 regimes
        int rows = 5 * 3 * 2 + 3 * 2 + 2 * 2;
        assertEquals(1 + rows, Files.readAllLines(out.resolve("lockbench.csv")).size());
        String json = Files.readString(out.resolve("lockbench.json"));
        assertEquals(rows, occurrences(json, "\"sumOk\": true"), "every sum checks out");
        assertTrue(json.contains("hand-offs"), "Turnstile rows carry the mutexes' own counts");
        assertTrue(Files.readString(out.resolve("lockbench.html")).contains("<svg"));
        assertTrue(Files.readString(out.resolve("lockbench.json")).startsWith("["));
        assertTrue(Files.exists(out.resolve("lockbench-throughput.svg")));
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

        String json = Files.readString(out.resolve("lockbench.json"));
        assertEquals(6, occurrences(json, "\"sumOk\": false"), "every scenario of the leaky lock fails");
        assertEquals(0, occurrences(json, "\"sumOk\": true"));
    }

    @Test
    void resultSurvivesTheForkProtocol() {
        Result r = new Result("c", "C (x)", true, "read 90%", "virtual", 2, 90, 32, 1000, 3, 96000, 1.5, 2.25, 3.125,
                7, 100, 200, 300, 400, 5, 10, 0.75, 1, true, "hand-offs 3, wake-ups 4");
        assertEquals(r, Result.fromLine(r.toLine()));
    }

    @Test
    void unknownFlagIsRejected() throws Exception {
        assertEquals(64, LockBench.run(new String[] {"--thraeds", "4"}));
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
