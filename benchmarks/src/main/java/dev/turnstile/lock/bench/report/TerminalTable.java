package dev.turnstile.lock.bench.report;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The readable table lockbench prints: one block per workload and worker kind, one row per contender
 * (Turnstile's marked with *). Each block's header says what every column is taken over: wait
 * percentiles over all acquisitions (0 for one that did not wait), "waited" how many found the lock
 * held (and their share), throughput the median round with its spread over repetitions (or over rounds when
 * there is one repetition), the ratio against the named baseline in the same repetition, and JFR
 * park counts over the measured rounds.
 */
public final class TerminalTable {
    private static final String HEADER = String.format(Locale.ROOT,
            "  %-36s %26s %22s %17s %8s %8s %8s %8s %6s %8s %8s %6s %4s",
            "contender", "ops/ms median [min-max]", "vs baseline [min-max]", "waited (share)", "p50", "p99", "p99.9", "max",
            "Jain", "parks", "/1M acq", "B/op", "sum");

    private TerminalTable() {
    }

    /** Prints every block of {@code report} to {@code out}. */
    public static void print(Report report, PrintStream out) {
        int reps = report.reps();
        for (Map.Entry<String, List<Summary>> block : byScenario(report.summaries()).entrySet()) {
            Summary first = block.getValue().get(0);
            out.printf(Locale.ROOT, "%n%s: %d %s workers, %d locks%s, %d ops per worker, %d measured rounds, %d rep%s%n",
                    block.getKey(), first.workerCount(), first.workers(), first.locks(),
                    first.readPercent() > 0 ? ", " + first.readPercent() + "% reads" : "", first.opsPerWorker(),
                    first.rounds(), reps, reps == 1 ? "" : "s");
            out.printf(Locale.ROOT, "  waits %s; ops/ms: median round, [%s]; vs baseline: ÷ %s in the same rep%s;"
                            + " parks: JFR jdk.ThreadPark over the measured rounds; B/op: bytes allocated per operation"
                            + " by all threads then%n",
                    Report.WAIT_POPULATION, reps > 1 ? "min-max over reps" : "slowest-fastest round",
                    report.baselineLabel(), reps > 1 ? " (median [min-max])" : "");
            out.println(HEADER);
            for (Summary s : block.getValue()) {
                out.println(row(s, reps));
            }
        }
    }

    /** Summaries grouped by "workload / workers", in the order they were run. */
    static Map<String, List<Summary>> byScenario(List<Summary> summaries) {
        Map<String, List<Summary>> blocks = new LinkedHashMap<>();
        for (Summary s : summaries) {
            blocks.computeIfAbsent(s.workload() + " / " + s.workers(), k -> new ArrayList<>()).add(s);
        }
        return blocks;
    }

    private static String row(Summary s, int reps) {
        double low = reps > 1 ? s.opsPerMsMin() : s.slowestRound();
        double high = reps > 1 ? s.opsPerMsMax() : s.fastestRound();
        String throughput = String.format(Locale.ROOT, "%.0f [%.0f-%.0f]", s.opsPerMs(), low, high);
        String ratio = !s.hasRatio() ? "n/a" : reps > 1
                ? String.format(Locale.ROOT, "%.2fx [%.2f-%.2f]", s.ratio(), s.ratioMin(), s.ratioMax())
                : Summary.formatRatio(s.ratio());
        String waited = waited(s);
        List<String> flags = new ArrayList<>();
        if (s.cappedRounds() > 0) {
            flags.add(s.cappedRounds() + " rounds capped");
        }
        if (s.warmupCapped() > 0) {
            flags.add("warm-up capped in " + s.warmupCapped() + " of " + s.reps() + " reps");
        }
        return String.format(Locale.ROOT, "%s %-36s %26s %22s %17s %8s %8s %8s %8s %6.3f %8s %8s %6s %4s%s%s",
                s.turnstile() ? "*" : " ", s.label(), throughput, ratio, waited, wait(s, s.waitP50()),
                wait(s, s.waitP99()), wait(s, s.waitP999()), wait(s, s.waitMax()), s.jain(), count(s.parks()),
                count(s.parksPerMillion()), bytes(s.allocatedPerOp()), s.sumOk() ? "ok" : "FAIL",
                flags.isEmpty() ? "" : "  (" + String.join(", ", flags) + ")",
                s.lockStats().isEmpty() ? "" : "  [" + s.lockStats() + "]");
    }

    /** How many acquisitions waited, and their share of all acquisitions: "1,234 (0.5%)". */
    static String waited(Summary s) {
        return s.waitsMeasured()
                ? String.format(Locale.ROOT, "%,.0f (%.1f%%)", s.waitedCount(), 100 * s.waitedShare()) : "n/a";
    }

    private static String wait(Summary s, double nanos) {
        return s.waitsMeasured() ? nanos(Math.round(nanos)) : "n/a";
    }

    /** Bytes per operation: one decimal below 10, whole bytes above, "n/a" when not measured. */
    static String bytes(double b) {
        return Double.isNaN(b) ? "n/a" : String.format(Locale.ROOT, b < 10 ? "%.1f" : "%.0f", b);
    }

    private static String count(double c) {
        return Double.isNaN(c) ? "n/a" : String.format(Locale.ROOT, "%.0f", c);
    }

    /** A duration in the unit that keeps it short: ns, µs, ms or s. */
    public static String nanos(long ns) {
        if (ns < 1_000) {
            return ns + "ns";
        }
        if (ns < 1_000_000) {
            return String.format(Locale.ROOT, "%.1fus", ns / 1e3);
        }
        if (ns < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1fms", ns / 1e6);
        }
        return String.format(Locale.ROOT, "%.2fs", ns / 1e9);
    }
}
