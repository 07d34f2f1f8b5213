package dev.turnstile.lock.bench.run;

import dev.turnstile.lock.bench.contender.AsyncLockTable;
import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.LockTable;
import dev.turnstile.lock.bench.report.Result;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs one contender through one scenario: a fresh set of N locks, unmeasured warm-up rounds until
 * the {@link WarmUpRule} says steady (or capped), then the measured rounds with JFR counting parks,
 * each round followed by the sum check; and condenses the rounds into a {@link Result}.
 */
public final class ScenarioRunner {
    private final long roundTimeoutNanos;
    private final int asyncPoolSize;
    private final long seed;
    private final WarmUpRule warmUp;
    private final boolean countParks;

    /**
     * @param roundTimeoutNanos a round that takes longer fails the run
     * @param asyncPoolSize     threads in the async mode's fixed pool
     * @param seed              seed of the workers' slot choices
     * @param warmUp            when the warm-up of a scenario is over
     * @param countParks        whether to count parks with JFR during the measured rounds
     */
    public ScenarioRunner(long roundTimeoutNanos, int asyncPoolSize, long seed, WarmUpRule warmUp, boolean countParks) {
        this.roundTimeoutNanos = roundTimeoutNanos;
        this.asyncPoolSize = asyncPoolSize;
        this.seed = seed;
        this.warmUp = warmUp;
        this.countParks = countParks;
    }

    /** One round of a scenario; {@code roundSeed} fixes the workers' lock choices. */
    @FunctionalInterface
    private interface Round {
        RoundResult run(long roundSeed) throws InterruptedException;
    }

    /** How a warm-up ended. */
    record WarmUpOutcome(int rounds, long nanos, boolean steady) {
    }

    /**
     * Warms up, measures, and condenses.
     *
     * @param contender who runs
     * @param s         what it runs
     * @return the condensed result (rep 1; the caller renumbers repetitions)
     * @throws InterruptedException if interrupted while waiting for a round
     */
    public Result run(Contender contender, Scenario s) throws InterruptedException {
        WaitHistograms waits = new WaitHistograms(s.workerCount());
        if (s.workers() == WorkerKind.ASYNC) {
            ExecutorService pool = AsyncRound.newPool(asyncPoolSize);
            try (AsyncLockTable table = contender.async().apply(s.locks())) {
                return measure(contender, s, rs -> AsyncRound.run(table, s, pool, waits, rs, roundTimeoutNanos), true, "");
            } finally {
                pool.shutdown();
                pool.awaitTermination(10, TimeUnit.SECONDS);
            }
        }
        LockTable table = contender.blocking().apply(s.locks());
        Result r = measure(contender, s, rs -> ThreadedRound.run(table, s, waits, rs, roundTimeoutNanos), table.timesWaits(), "");
        return r.withLockStats(table.lockStats());
    }

    private Result measure(Contender contender, Scenario s, Round round, boolean timed, String lockStats)
            throws InterruptedException {
        WarmUpOutcome warm = warmUp(round);
        List<RoundResult> rounds = new ArrayList<>();
        long parks = -1;
        ParkCounter counter = countParks ? startCounter() : null;
        long allocatedBefore = allocatedBytes();
        try {
            for (int r = 1; r <= s.rounds(); r++) {
                rounds.add(round.run(seed + 1000L * r));
            }
        } finally {
            if (counter != null) {
                parks = stopCounter(counter);
            }
        }
        long allocatedAfter = allocatedBytes();
        long allocated = allocatedBefore < 0 || allocatedAfter < 0 ? -1 : allocatedAfter - allocatedBefore;
        return summarise(contender, s, rounds, timed, lockStats, warm, parks, allocated);
    }

    /** Runs warm-up rounds (seeded apart from the measured ones) until {@link #warmUp} says stop. */
    private WarmUpOutcome warmUp(Round round) throws InterruptedException {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean jitTimed = jit != null && jit.isCompilationTimeMonitoringSupported();
        double[] throughputs = new double[0];
        long start = System.nanoTime();
        while (true) {
            long compiledBefore = jitTimed ? jit.getTotalCompilationTime() : 0;
            long roundStart = System.nanoTime();
            RoundResult rr = round.run(seed - 1000L * (throughputs.length + 1));
            long roundNanos = System.nanoTime() - roundStart;
            long compileNanos = jitTimed ? TimeUnit.MILLISECONDS.toNanos(jit.getTotalCompilationTime() - compiledBefore) : 0;
            throughputs = Arrays.copyOf(throughputs, throughputs.length + 1);
            throughputs[throughputs.length - 1] = rr.opsPerMs();
            long elapsed = System.nanoTime() - start;
            WarmUpRule.State state = warmUp.after(throughputs, elapsed, WarmUpRule.jitQuiet(compileNanos, roundNanos));
            if (state != WarmUpRule.State.CONTINUE) {
                return new WarmUpOutcome(throughputs.length, elapsed, state == WarmUpRule.State.STEADY);
            }
        }
    }

    /**
     * Bytes allocated so far by all of the JVM's threads, ended ones included (virtual threads'
     * allocations count on their carriers), or -1 if the JVM cannot tell. The difference over the
     * measured rounds shows a lock, or the harness around it, that allocates per operation where a
     * peer does not (a guard that escape analysis could not remove, say).
     */
    static long allocatedBytes() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads
                && threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled()) {
            return threads.getTotalThreadAllocatedBytes();
        }
        return -1;
    }

    private static ParkCounter startCounter() {
        try {
            return ParkCounter.start();
        } catch (RuntimeException | Error e) {
            System.err.println("lockbench: JFR is not available, parks are not counted: " + e);
            return null;
        }
    }

    private static long stopCounter(ParkCounter counter) {
        try (counter) {
            return counter.stopAndCount();
        } catch (IOException | RuntimeException e) {
            System.err.println("lockbench: could not count parks: " + e);
            return -1;
        }
    }

    /** The median of sorted values (the mean of the middle two for an even count). */
    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static Result summarise(Contender contender, Scenario s, List<RoundResult> rounds, boolean timed, String lockStats,
                            WarmUpOutcome warm, long parks, long allocatedBytes) {
        double[] throughput = rounds.stream().mapToDouble(RoundResult::opsPerMs).sorted().toArray();
        Histogram waits = new Histogram(3);
        long waited = 0;
        boolean sumOk = true;
        long[] worst = null;
        double worstJain = Double.NaN;
        for (RoundResult r : rounds) {
            waits.add(r.waits());
            waited += r.waited();
            sumOk &= r.sumMatches();
            long[] progress = r.progressAtFirstFinish();
            if (progress != null) {
                double j = Fairness.jainIndex(progress);
                if (worst == null || j < worstJain) {
                    worst = progress;
                    worstJain = j;
                }
            }
        }
        long fairMin = worst == null ? -1 : Arrays.stream(worst).min().orElse(-1);
        long fairMax = worst == null ? -1 : Arrays.stream(worst).max().orElse(-1);
        int capped = (int) rounds.stream().filter(RoundResult::capped).count();
        return new Result(contender.name(), contender.label(), contender.turnstile(), 1, s.workload(),
                s.workers().label(), s.locks(), s.readPercent(), s.workerCount(), s.opsPerWorker(), rounds.size(),
                rounds.stream().mapToLong(RoundResult::ops).sum(),
                throughput[0], median(throughput), throughput[throughput.length - 1],
                timed ? waited : -1,
                waits.getValueAtPercentile(50), waits.getValueAtPercentile(99), waits.getValueAtPercentile(99.9),
                waits.getMaxValue(), fairMin, fairMax, worstJain, capped,
                warm.rounds(), TimeUnit.NANOSECONDS.toMillis(warm.nanos()), warm.steady(), parks, allocatedBytes, sumOk,
                lockStats);
    }
}
