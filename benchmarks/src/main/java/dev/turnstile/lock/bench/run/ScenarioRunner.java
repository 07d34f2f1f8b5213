package dev.turnstile.lock.bench.run;

import dev.turnstile.lock.bench.contender.AsyncLockTable;
import dev.turnstile.lock.bench.contender.Contender;
import dev.turnstile.lock.bench.contender.LockTable;
import dev.turnstile.lock.bench.report.Result;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * Runs one contender through one scenario: a fresh set of N locks, one unmeasured warm-up round,
 * then the measured rounds, each followed by the sum check; and condenses the rounds into a
 * {@link Result}.
 */
public final class ScenarioRunner {
    private final long roundTimeoutNanos;
    private final int asyncPoolSize;
    private final long seed;

    /**
     * @param roundTimeoutNanos a round that takes longer fails the run
     * @param asyncPoolSize     threads in the async mode's fixed pool
     * @param seed              seed of the workers' slot choices
     */
    public ScenarioRunner(long roundTimeoutNanos, int asyncPoolSize, long seed) {
        this.roundTimeoutNanos = roundTimeoutNanos;
        this.asyncPoolSize = asyncPoolSize;
        this.seed = seed;
    }

    public Result run(Contender contender, Scenario s) throws InterruptedException {
        List<RoundResult> rounds = new ArrayList<>();
        boolean waitsTimed = true;
        if (s.workers() == WorkerKind.ASYNC) {
            ExecutorService pool = new ForkJoinPool(asyncPoolSize, ForkJoinPool.defaultForkJoinWorkerThreadFactory,
                    null, true);
            try (AsyncLockTable table = contender.async().apply(s.locks())) {
                for (int r = 0; r <= s.rounds(); r++) {
                    RoundResult rr = AsyncRound.run(table, s, pool, seed + 1000L * r, roundTimeoutNanos);
                    if (r > 0) {
                        rounds.add(rr);
                    }
                }
            } finally {
                pool.shutdown();
                pool.awaitTermination(10, TimeUnit.SECONDS);
            }
        } else {
            LockTable table = contender.blocking().apply(s.locks());
            waitsTimed = table.timesWaits();
            for (int r = 0; r <= s.rounds(); r++) {
                RoundResult rr = ThreadedRound.run(table, s, seed + 1000L * r, roundTimeoutNanos);
                if (r > 0) {
                    rounds.add(rr);
                }
            }
        }
        return summarise(contender, s, rounds, waitsTimed);
    }

    static Result summarise(Contender contender, Scenario s, List<RoundResult> rounds, boolean timed) {
        double[] throughput = rounds.stream().mapToDouble(RoundResult::opsPerMs).sorted().toArray();
        Histogram waits = new Histogram(3);
        boolean sumOk = true;
        long[] worst = null;
        double worstJain = Double.NaN;
        for (RoundResult r : rounds) {
            waits.add(r.waits());
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
        return new Result(contender.name(), contender.label(), contender.turnstile(), s.workload(), s.workers().label(),
                s.locks(), s.readPercent(), s.workerCount(), s.opsPerWorker(), rounds.size(),
                rounds.stream().mapToLong(RoundResult::ops).sum(),
                throughput[0], throughput[throughput.length / 2], throughput[throughput.length - 1],
                timed ? waits.getTotalCount() : -1,
                waits.getValueAtPercentile(50), waits.getValueAtPercentile(99), waits.getValueAtPercentile(99.9),
                waits.getMaxValue(), fairMin, fairMax, worstJain, capped, sumOk);
    }
}
