package dev.turnstile.lock.bench.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class SummaryTest {
    private static Result run(String contender, int rep, String workload, double opsPerMs, long p999, long waited,
                              long parks, boolean steady) {
        return new Result(contender, contender.toUpperCase(), false, rep, workload, "platform", 2, 0, 4, 100, 3, 1_000_000,
                opsPerMs * 0.9, opsPerMs, opsPerMs * 1.1, waited, 0, 10, p999, p999 * 2, 1, 2, 0.5, 0, 3, 300, steady,
                parks, parks < 0 ? -1 : 24L * 1_000_000 * rep, true, "");
    }

    @Test
    void ratiosAreTakenAgainstTheBaselineInTheSameRepetition() {
        List<Result> runs = List.of(
                run("a", 1, "extreme", 100, 1_000, 10, 50, true), run("base", 1, "extreme", 200, 2_000, 10, 60, true),
                run("a", 2, "extreme", 300, 3_000, 30, 70, false), run("base", 2, "extreme", 200, 2_000, 10, 80, true),
                run("a", 3, "extreme", 200, 5_000, 20, 90, true), run("base", 3, "extreme", 100, 2_000, 10, 100, true));

        Summary a = Summary.of(runs, "base").get(0);

        assertEquals("a", a.contender());
        assertEquals(3, a.reps());
        assertEquals(200, a.opsPerMs(), 1e-9, "median of 100, 300, 200");
        assertEquals(100, a.opsPerMsMin(), 1e-9);
        assertEquals(300, a.opsPerMsMax(), 1e-9);
        assertEquals(1.5, a.ratio(), 1e-9, "median of 0.5, 1.5, 2.0");
        assertEquals(0.5, a.ratioMin(), 1e-9);
        assertEquals(2.0, a.ratioMax(), 1e-9);
        assertEquals(3_000, a.waitP999(), 1e-9, "median p99.9");
        assertEquals(20, a.waitedCount(), 1e-9, "median of 10, 30, 20 acquisitions that waited");
        assertEquals(20e-6, a.waitedShare(), 1e-12, "of a million acquisitions per run");
        assertEquals(6_000, a.waitMax(), 1e-9);
        assertEquals(70, a.parks(), 1e-9);
        assertEquals(70, a.parksPerMillion(), 1e-9, "a million acquisitions per run");
        assertEquals(48, a.allocatedPerOp(), 1e-9, "median of 24, 48 and 72 bytes per operation");
        assertEquals(1, a.warmupCapped());
        assertEquals(1.0, Summary.of(runs, "base").get(1).ratio(), 1e-9, "the baseline against itself");
    }

    @Test
    void withoutTheBaselineInAScenarioTheRatioIsNotAvailable() {
        List<Result> runs = List.of(run("a", 1, "extreme", 100, 1_000, 10, 5, true),
                run("base", 1, "heavy", 100, 1_000, 10, 5, true));

        Summary a = Summary.of(runs, "base").get(0);

        assertFalse(a.hasRatio());
        assertEquals("n/a", Summary.formatRatio(a.ratio()));
    }

    @Test
    void unmeasuredWaitsAndParksStayUnmeasured() {
        Summary s = Summary.of(List.of(run("sync", 1, "extreme", 100, 0, -1, -1, true)), "base").get(0);

        assertFalse(s.waitsMeasured());
        assertTrue(Double.isNaN(s.parks()));
        assertTrue(Double.isNaN(s.allocatedPerOp()));
        assertTrue(Double.isNaN(s.waitP999()));
    }

    @Test
    void evenCountsTakeTheMeanOfTheMiddleTwo() {
        assertEquals(2.5, Summary.median(new double[] {4, 1, 3, 2}), 1e-12);
        assertTrue(Double.isNaN(Summary.median(new double[0])));
    }
}
