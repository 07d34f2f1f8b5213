package dev.turnstile.lock.bench.report;

import java.util.ArrayList;
import java.util.List;

/**
 * The figures lockbench reports for one contender in one scenario. Times are in nanoseconds;
 * {@code waitsTimed} is -1 where waits cannot be measured ({@code synchronized}), and the wait
 * percentiles are then meaningless.
 *
 * @param contender   contender id
 * @param label       contender's display name
 * @param turnstile   whether it is a Turnstile lock
 * @param workload    regime name, read mix, …
 * @param workers     worker kind (platform, virtual, async)
 * @param locks       N
 * @param readPercent share of read operations
 * @param workerCount T
 * @param opsPerWorker operations per worker per round
 * @param rounds      measured rounds
 * @param opsDone     operations done in all measured rounds (fewer than rounds × T × ops if capped)
 * @param opsPerMsMin    slowest round's throughput
 * @param opsPerMsMedian median round's throughput
 * @param opsPerMsMax    fastest round's throughput
 * @param waitsTimed  acquisitions that found their lock held and were timed, over all rounds
 * @param waitP50     wait-time percentiles of those acquisitions
 * @param waitP99     …
 * @param waitP999    …
 * @param waitMax     …
 * @param fairMin     fewest operations any worker had done when the first finished (worst round)
 * @param fairMax     most operations any worker had done then (same round)
 * @param jain        Jain's fairness index of those counts (1 = perfectly even; worst round)
 * @param cappedRounds rounds stopped at the time cap before all their operations were done
 * @param sumOk       whether every round's counters added up
 */
public record Result(String contender, String label, boolean turnstile, String workload, String workers, int locks,
                     int readPercent, int workerCount, int opsPerWorker, int rounds, long opsDone,
                     double opsPerMsMin, double opsPerMsMedian, double opsPerMsMax,
                     long waitsTimed, long waitP50, long waitP99, long waitP999, long waitMax,
                     long fairMin, long fairMax, double jain, int cappedRounds, boolean sumOk) {

    /** Column names, in the order of {@link #fields()}. */
    public static final List<String> COLUMNS = List.of(
            "contender", "label", "turnstile", "workload", "workers", "locks", "readPercent", "workerCount",
            "opsPerWorker", "rounds", "opsDone", "opsPerMsMin", "opsPerMsMedian", "opsPerMsMax",
            "waitsTimed", "waitP50ns", "waitP99ns", "waitP999ns", "waitMaxNs",
            "fairMin", "fairMax", "jain", "cappedRounds", "sumOk");

    /** Whether wait times were measured for this contender. */
    public boolean waitsMeasured() {
        return waitsTimed >= 0;
    }

    /** The values as strings, in {@link #COLUMNS} order (CSV and the fork protocol). */
    public List<String> fields() {
        return List.of(contender, label, Boolean.toString(turnstile), workload, workers, Integer.toString(locks),
                Integer.toString(readPercent), Integer.toString(workerCount), Integer.toString(opsPerWorker),
                Integer.toString(rounds), Long.toString(opsDone), num(opsPerMsMin), num(opsPerMsMedian), num(opsPerMsMax),
                Long.toString(waitsTimed), Long.toString(waitP50), Long.toString(waitP99), Long.toString(waitP999),
                Long.toString(waitMax), Long.toString(fairMin), Long.toString(fairMax), num(jain),
                Integer.toString(cappedRounds), Boolean.toString(sumOk));
    }

    /** One tab-separated line (labels never contain tabs). */
    public String toLine() {
        return String.join("\t", fields());
    }

    /** Parses {@link #toLine()}. */
    public static Result fromLine(String line) {
        String[] f = line.split("\t", -1);
        if (f.length != COLUMNS.size()) {
            throw new IllegalArgumentException("expected " + COLUMNS.size() + " fields: " + line);
        }
        List<String> v = new ArrayList<>(List.of(f));
        int i = 0;
        return new Result(v.get(i++), v.get(i++), Boolean.parseBoolean(v.get(i++)), v.get(i++), v.get(i++),
                Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)),
                Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)), Long.parseLong(v.get(i++)),
                Double.parseDouble(v.get(i++)), Double.parseDouble(v.get(i++)), Double.parseDouble(v.get(i++)),
                Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)),
                Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)),
                Long.parseLong(v.get(i++)), Double.parseDouble(v.get(i++)), Integer.parseInt(v.get(i++)),
                Boolean.parseBoolean(v.get(i)));
    }

    private static String num(double d) {
        return String.format(java.util.Locale.ROOT, "%.3f", d);
    }
}
