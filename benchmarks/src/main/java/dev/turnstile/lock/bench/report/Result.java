package dev.turnstile.lock.bench.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The figures of one run of one contender in one scenario (one JVM, one repetition). Times are in
 * nanoseconds. Wait percentiles are over <em>all</em> acquisitions of the measured rounds: one that
 * did not find its lock held counts as a wait of 0. {@code waited} is -1 where waits cannot be
 * measured ({@code synchronized}), and the percentiles are then meaningless.
 *
 * @param contender   contender id
 * @param label       contender's display name
 * @param turnstile   whether it is a Turnstile lock
 * @param rep         which repetition of the contender set this run belongs to, from 1
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
 * @param waited      acquisitions that found their lock held (and waited), over all measured rounds
 * @param waitP50     wait-time percentiles over all acquisitions (0 for one that did not wait)
 * @param waitP99     …
 * @param waitP999    …
 * @param waitMax     the longest wait
 * @param fairMin     fewest operations any worker had done when the first finished (worst round)
 * @param fairMax     most operations any worker had done then (same round)
 * @param jain        Jain's fairness index of those counts (1 = perfectly even; worst round)
 * @param cappedRounds rounds stopped at the time cap before all their operations were done
 * @param warmupRounds unmeasured warm-up rounds run before the measured ones
 * @param warmupMs    how long the warm-up took
 * @param warmupSteady whether the warm-up ended steady rather than at its time cap
 * @param parks       JFR {@code jdk.ThreadPark} events during the measured rounds (see
 *                    {@code ParkCounter}), or -1 when not counted
 * @param allocatedBytes bytes the JVM's threads allocated during the measured rounds (all of them:
 *                    workers, carriers, pool threads and the harness's own, which allocates little
 *                    per operation), or -1 when the JVM cannot tell
 * @param sumOk       whether every round's counters added up
 * @param lockStats   what the locks counted about themselves over the scenario, warm-up included
 *                    (Turnstile: hand-offs and wake-ups), or empty
 */
public record Result(String contender, String label, boolean turnstile, int rep, String workload, String workers,
                     int locks, int readPercent, int workerCount, int opsPerWorker, int rounds, long opsDone,
                     double opsPerMsMin, double opsPerMsMedian, double opsPerMsMax,
                     long waited, long waitP50, long waitP99, long waitP999, long waitMax,
                     long fairMin, long fairMax, double jain, int cappedRounds,
                     int warmupRounds, long warmupMs, boolean warmupSteady, long parks, long allocatedBytes,
                     boolean sumOk, String lockStats) {

    /** Column names, in the order of {@link #fields()}; the wait columns say their population. */
    public static final List<String> COLUMNS = List.of(
            "contender", "label", "turnstile", "rep", "workload", "workers", "locks", "readPercent", "workerCount",
            "opsPerWorker", "rounds", "opsDone", "opsPerMsMin", "opsPerMsMedian", "opsPerMsMax",
            "waitedAcquisitions", "allAcqWaitP50ns", "allAcqWaitP99ns", "allAcqWaitP999ns", "allAcqWaitMaxNs",
            "fairMin", "fairMax", "jain", "cappedRounds", "warmupRounds", "warmupMs", "warmupSteady", "parks",
            "allocatedBytes", "sumOk", "lockStats");

    /** Whether wait times were measured for this contender. */
    public boolean waitsMeasured() {
        return waited >= 0;
    }

    /** Whether parks were counted. */
    public boolean parksCounted() {
        return parks >= 0;
    }

    /** Parks per million acquisitions, NaN when not counted. */
    public double parksPerMillion() {
        return parks < 0 ? Double.NaN : parks * 1e6 / Math.max(1, opsDone);
    }

    /** Bytes allocated per operation over the measured rounds, NaN when not measured. */
    public double allocatedPerOp() {
        return allocatedBytes < 0 ? Double.NaN : (double) allocatedBytes / Math.max(1, opsDone);
    }

    /** The same run as repetition {@code rep}. */
    public Result withRep(int rep) {
        return new Result(contender, label, turnstile, rep, workload, workers, locks, readPercent, workerCount,
                opsPerWorker, rounds, opsDone, opsPerMsMin, opsPerMsMedian, opsPerMsMax, waited, waitP50, waitP99,
                waitP999, waitMax, fairMin, fairMax, jain, cappedRounds, warmupRounds, warmupMs, warmupSteady, parks,
                allocatedBytes, sumOk, lockStats);
    }

    /** The same run with the locks' own counts. */
    public Result withLockStats(String stats) {
        return new Result(contender, label, turnstile, rep, workload, workers, locks, readPercent, workerCount,
                opsPerWorker, rounds, opsDone, opsPerMsMin, opsPerMsMedian, opsPerMsMax, waited, waitP50, waitP99,
                waitP999, waitMax, fairMin, fairMax, jain, cappedRounds, warmupRounds, warmupMs, warmupSteady, parks,
                allocatedBytes, sumOk, stats);
    }

    /** The values as strings, in {@link #COLUMNS} order (CSV and the fork protocol). */
    public List<String> fields() {
        return List.of(contender, label, Boolean.toString(turnstile), Integer.toString(rep), workload, workers,
                Integer.toString(locks), Integer.toString(readPercent), Integer.toString(workerCount),
                Integer.toString(opsPerWorker), Integer.toString(rounds), Long.toString(opsDone), num(opsPerMsMin),
                num(opsPerMsMedian), num(opsPerMsMax), Long.toString(waited), Long.toString(waitP50),
                Long.toString(waitP99), Long.toString(waitP999), Long.toString(waitMax), Long.toString(fairMin),
                Long.toString(fairMax), num(jain), Integer.toString(cappedRounds), Integer.toString(warmupRounds),
                Long.toString(warmupMs), Boolean.toString(warmupSteady), Long.toString(parks),
                Long.toString(allocatedBytes), Boolean.toString(sumOk), lockStats);
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
        return new Result(v.get(i++), v.get(i++), Boolean.parseBoolean(v.get(i++)), Integer.parseInt(v.get(i++)),
                v.get(i++), v.get(i++), Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)),
                Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)),
                Long.parseLong(v.get(i++)), Double.parseDouble(v.get(i++)), Double.parseDouble(v.get(i++)),
                Double.parseDouble(v.get(i++)), Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)),
                Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)),
                Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)), Double.parseDouble(v.get(i++)),
                Integer.parseInt(v.get(i++)), Integer.parseInt(v.get(i++)), Long.parseLong(v.get(i++)),
                Boolean.parseBoolean(v.get(i++)), Long.parseLong(v.get(i++)), Long.parseLong(v.get(i++)),
                Boolean.parseBoolean(v.get(i++)), v.get(i));
    }

    static String num(double d) {
        return String.format(Locale.ROOT, "%.3f", d);
    }
}
