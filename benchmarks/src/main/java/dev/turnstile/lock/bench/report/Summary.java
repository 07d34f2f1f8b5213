package dev.turnstile.lock.bench.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * One contender in one scenario over all repetitions: medians across the repetitions (each one a
 * fresh JVM) with the spread of throughput and of the ratio to the baseline. With one repetition
 * every median is that run's figure. Wait figures are over all acquisitions (0 for one that did not
 * wait) and are NaN where waits are not measured; the ratio is NaN where the baseline did not run
 * the scenario.
 *
 * @param contender     contender id
 * @param label         display name
 * @param turnstile     whether it is a Turnstile lock
 * @param workload      regime, read mix, …
 * @param workers       platform, virtual or async
 * @param locks         N
 * @param readPercent   share of reads
 * @param workerCount   T
 * @param opsPerWorker  operations per worker per round
 * @param rounds        measured rounds per repetition
 * @param reps          repetitions summarised
 * @param opsPerMs      median over repetitions of each run's median-round throughput
 * @param opsPerMsMin   lowest of those
 * @param opsPerMsMax   highest of those
 * @param slowestRound  slowest measured round of any repetition
 * @param fastestRound  fastest measured round of any repetition
 * @param ratio         median over repetitions of throughput ÷ the baseline's in the same repetition
 * @param ratioMin      lowest of those ratios
 * @param ratioMax      highest of those ratios
 * @param waitedShare   median share of acquisitions that waited
 * @param waitedCount   median number of acquisitions that waited (found their lock held), all measured rounds
 * @param waitP50       median over repetitions of the p50 wait over all acquisitions, ns
 * @param waitP99       … p99
 * @param waitP999      … p99.9
 * @param waitMax       … of the longest wait
 * @param jain          median of each run's (worst-round) Jain index
 * @param parks         median JFR park count of the measured rounds, NaN when not counted
 * @param parksPerMillion median parks per million acquisitions
 * @param allocatedPerOp median bytes allocated per operation over the measured rounds, NaN when not measured
 * @param cappedRounds  measured rounds stopped at the round cap, all repetitions together
 * @param warmupCapped  repetitions whose warm-up ended at its time cap rather than steady
 * @param warmupRounds  median number of warm-up rounds
 * @param sumOk         whether every round of every repetition added up
 * @param lockStats     the locks' own counts in the last repetition, or empty
 */
public record Summary(String contender, String label, boolean turnstile, String workload, String workers, int locks,
                      int readPercent, int workerCount, int opsPerWorker, int rounds, int reps,
                      double opsPerMs, double opsPerMsMin, double opsPerMsMax, double slowestRound, double fastestRound,
                      double ratio, double ratioMin, double ratioMax, double waitedShare, double waitedCount,
                      double waitP50, double waitP99, double waitP999, double waitMax, double jain,
                      double parks, double parksPerMillion, double allocatedPerOp, int cappedRounds, int warmupCapped, double warmupRounds,
                      boolean sumOk, String lockStats) {

    /** Column names, in the order of {@link #fields()}. */
    public static final List<String> COLUMNS = List.of(
            "contender", "label", "turnstile", "workload", "workers", "locks", "readPercent", "workerCount",
            "opsPerWorker", "rounds", "reps", "opsPerMsMedianOfReps", "opsPerMsMinRep", "opsPerMsMaxRep",
            "opsPerMsSlowestRound", "opsPerMsFastestRound", "ratioToBaselineMedian", "ratioToBaselineMin",
            "ratioToBaselineMax", "waitedShareMedian", "waitedAcquisitionsMedian", "allAcqWaitP50nsMedian", "allAcqWaitP99nsMedian",
            "allAcqWaitP999nsMedian", "allAcqWaitMaxNsMedian", "jainMedian", "parksMedian", "parksPer1MAcqMedian",
            "allocatedBytesPerOpMedian",
            "cappedRounds", "warmupCappedReps", "warmupRoundsMedian", "sumOk", "lockStats");

    /** Whether wait times were measured. */
    public boolean waitsMeasured() {
        return !Double.isNaN(waitedShare);
    }

    /** Whether there is a ratio to the baseline. */
    public boolean hasRatio() {
        return !Double.isNaN(ratio);
    }

    /** "workload/workers", the chart group and table block of this scenario. */
    public String scenario() {
        return workload + "/" + workers;
    }

    /** The values as strings, in {@link #COLUMNS} order. */
    public List<String> fields() {
        return List.of(contender, label, Boolean.toString(turnstile), workload, workers, Integer.toString(locks),
                Integer.toString(readPercent), Integer.toString(workerCount), Integer.toString(opsPerWorker),
                Integer.toString(rounds), Integer.toString(reps), Result.num(opsPerMs), Result.num(opsPerMsMin),
                Result.num(opsPerMsMax), Result.num(slowestRound), Result.num(fastestRound), Result.num(ratio),
                Result.num(ratioMin), Result.num(ratioMax), Result.num(waitedShare), Result.num(waitedCount),
                Result.num(waitP50),
                Result.num(waitP99), Result.num(waitP999), Result.num(waitMax), Result.num(jain), Result.num(parks),
                Result.num(parksPerMillion), Result.num(allocatedPerOp), Integer.toString(cappedRounds), Integer.toString(warmupCapped),
                Result.num(warmupRounds), Boolean.toString(sumOk), lockStats);
    }

    /**
     * Condenses runs into one summary per contender and scenario, in the order they first appear.
     *
     * @param runs       every run of every repetition
     * @param baselineId the contender the ratios are taken against
     * @return the summaries
     */
    public static List<Summary> of(List<Result> runs, String baselineId) {
        Map<String, List<Result>> groups = new LinkedHashMap<>();
        Map<String, Result> baseline = new HashMap<>();
        for (Result r : runs) {
            groups.computeIfAbsent(r.contender() + "\u0000" + key(r), k -> new ArrayList<>()).add(r);
            if (r.contender().equals(baselineId)) {
                baseline.put(key(r) + "\u0000" + r.rep(), r);
            }
        }
        List<Summary> out = new ArrayList<>();
        for (List<Result> g : groups.values()) {
            Result first = g.get(0);
            Result last = g.get(g.size() - 1);
            double[] ratios = g.stream().mapToDouble(r -> ratio(r, baseline.get(key(r) + "\u0000" + r.rep())))
                    .filter(d -> !Double.isNaN(d)).toArray();
            boolean timed = first.waitsMeasured();
            boolean parked = g.stream().allMatch(Result::parksCounted);
            out.add(new Summary(first.contender(), first.label(), first.turnstile(), first.workload(), first.workers(),
                    first.locks(), first.readPercent(), first.workerCount(), first.opsPerWorker(), first.rounds(),
                    g.size(), median(g, Result::opsPerMsMedian), min(g, Result::opsPerMsMedian),
                    max(g, Result::opsPerMsMedian), min(g, Result::opsPerMsMin), max(g, Result::opsPerMsMax),
                    median(ratios), ratios.length == 0 ? Double.NaN : Arrays.stream(ratios).min().getAsDouble(),
                    ratios.length == 0 ? Double.NaN : Arrays.stream(ratios).max().getAsDouble(),
                    timed ? median(g, r -> (double) r.waited() / Math.max(1, r.opsDone())) : Double.NaN,
                    timed ? median(g, r -> (double) r.waited()) : Double.NaN,
                    timed ? median(g, Result::waitP50) : Double.NaN, timed ? median(g, Result::waitP99) : Double.NaN,
                    timed ? median(g, Result::waitP999) : Double.NaN, timed ? median(g, Result::waitMax) : Double.NaN,
                    median(g, Result::jain), parked ? median(g, Result::parks) : Double.NaN,
                    parked ? median(g, Result::parksPerMillion) : Double.NaN,
                    g.stream().allMatch(r -> r.allocatedBytes() >= 0) ? median(g, Result::allocatedPerOp) : Double.NaN,
                    g.stream().mapToInt(Result::cappedRounds).sum(), (int) g.stream().filter(r -> !r.warmupSteady()).count(),
                    median(g, Result::warmupRounds), g.stream().allMatch(Result::sumOk), last.lockStats()));
        }
        return out;
    }

    private static double ratio(Result r, Result baseline) {
        return baseline == null || baseline.opsPerMsMedian() <= 0 ? Double.NaN
                : r.opsPerMsMedian() / baseline.opsPerMsMedian();
    }

    private static String key(Result r) {
        return r.workload() + "/" + r.workers();
    }

    private static double median(List<Result> g, ToDoubleFunction<Result> f) {
        return median(g.stream().mapToDouble(f).toArray());
    }

    /** The median (the mean of the middle two for an even count), NaN for none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }

    private static double min(List<Result> g, ToDoubleFunction<Result> f) {
        return g.stream().mapToDouble(f).min().orElse(Double.NaN);
    }

    private static double max(List<Result> g, ToDoubleFunction<Result> f) {
        return g.stream().mapToDouble(f).max().orElse(Double.NaN);
    }

    /** A ratio as "1.06x", or "n/a". */
    public static String formatRatio(double r) {
        return Double.isNaN(r) ? "n/a" : String.format(Locale.ROOT, "%.2fx", r);
    }
}
