package dev.turnstile.lock.bench.report;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The readable table lockbench prints: one block per workload and worker kind, one row per contender
 * (Turnstile's marked with *). "waited" is the share of acquisitions that found their lock held; a
 * row marked "capped" had rounds stopped at the time cap, its throughput is what it did until then.
 */
public final class TerminalTable {
    private static final String HEADER = String.format(Locale.ROOT, "  %-32s %21s %7s %8s %8s %8s %8s %13s %6s %4s",
            "contender", "ops/ms med (min-max)", "waited", "p50", "p99", "p99.9", "max", "fair min/max", "Jain", "sum");

    private TerminalTable() {
    }

    public static void print(List<Result> results, PrintStream out) {
        for (Map.Entry<String, List<Result>> block : byWorkload(results).entrySet()) {
            Result first = block.getValue().get(0);
            out.printf(Locale.ROOT, "%n%s: %d %s workers, %d locks%s, %d ops per worker, %d rounds%n", block.getKey(),
                    first.workerCount(), first.workers(), first.locks(),
                    first.readPercent() > 0 ? ", " + first.readPercent() + "% reads" : "", first.opsPerWorker(),
                    first.rounds());
            out.println(HEADER);
            for (Result r : block.getValue()) {
                out.println(row(r));
            }
        }
    }

    /** Results grouped by "workload / workers", in the order they were run. */
    static Map<String, List<Result>> byWorkload(List<Result> results) {
        Map<String, List<Result>> blocks = new LinkedHashMap<>();
        for (Result r : results) {
            blocks.computeIfAbsent(r.workload() + " / " + r.workers(), k -> new java.util.ArrayList<>()).add(r);
        }
        return blocks;
    }

    private static String row(Result r) {
        String waited = r.waitsMeasured()
                ? String.format(Locale.ROOT, "%.1f%%", 100.0 * r.waitsTimed() / Math.max(1, r.opsDone())) : "n/a";
        return String.format(Locale.ROOT, "%s %-32s %8.0f (%.0f-%.0f) %7s %8s %8s %8s %8s %13s %6.3f %4s%s",
                r.turnstile() ? "*" : " ", r.label(), r.opsPerMsMedian(), r.opsPerMsMin(), r.opsPerMsMax(), waited,
                wait(r, r.waitP50()), wait(r, r.waitP99()), wait(r, r.waitP999()), wait(r, r.waitMax()),
                r.fairMin() + "/" + r.fairMax(), r.jain(), r.sumOk() ? "ok" : "FAIL",
                r.cappedRounds() > 0 ? "  (" + r.cappedRounds() + " capped)" : "");
    }

    private static String wait(Result r, long nanos) {
        return !r.waitsMeasured() ? "n/a" : r.waitsTimed() == 0 ? "-" : nanos(nanos);
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
