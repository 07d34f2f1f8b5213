package dev.turnstile.lock.bench.run;

import org.HdrHistogram.Histogram;

/**
 * What one round measured.
 *
 * @param elapsedNanos   from the start signal until the last worker finished
 * @param ops            operations done
 * @param progressAtFirstFinish operations per worker when the first worker finished (fairness)
 * @param waits          wait time of every acquisition of the round, in nanoseconds: those that found
 *                       their lock held were timed, every other one is recorded as a wait of 0
 * @param waited         acquisitions that found their lock held (the non-zero part of {@code waits})
 * @param expectedSum    increments the workers made
 * @param actualSum      sum of the counters afterwards; differs from {@code expectedSum} only if the
 *                       lock failed to exclude
 * @param capped         whether the round was stopped at its time cap before every operation was done
 */
public record RoundResult(long elapsedNanos, long ops, long[] progressAtFirstFinish, Histogram waits, long waited,
                          long expectedSum, long actualSum, boolean capped) {

    /** Condenses a finished round: each worker's tally and progress, and the counters' sum. */
    static RoundResult of(long elapsedNanos, FinishLine finishLine, Tally[] tallies, long actualSum) {
        Histogram waits = new Histogram(3);
        long writes = 0;
        long ops = 0;
        long waited = 0;
        for (int i = 0; i < tallies.length; i++) {
            long done = finishLine.progress(i);
            waited += addAllAcquisitions(waits, tallies[i].waits, done);
            writes += tallies[i].writes;
            ops += done;
        }
        return new RoundResult(elapsedNanos, ops, finishLine.snapshot(), waits, waited, writes, actualSum,
                finishLine.stopped());
    }

    /**
     * Adds one worker's acquisitions to {@code all}: the timed waits as they are, and every other
     * acquisition it completed as a wait of 0. The workers time only the acquisitions that found their
     * lock held (so that the fast path reads no clock); the zeros are filled in here, after the round,
     * so that percentiles compare every contender over the same population, all acquisitions.
     *
     * @param all       the round's histogram
     * @param timed     the worker's timed waits
     * @param completed acquisitions the worker completed (each one timed at most once)
     * @return the number of timed waits
     */
    static long addAllAcquisitions(Histogram all, Histogram timed, long completed) {
        long waited = timed.getTotalCount();
        all.add(timed);
        long fastPath = completed - waited;
        if (fastPath > 0) {
            all.recordValueWithCount(0, fastPath);
        }
        return waited;
    }

    /** Throughput in operations per millisecond. */
    public double opsPerMs() {
        return ops * 1_000_000.0 / Math.max(1L, elapsedNanos);
    }

    /** Whether the counters add up. */
    public boolean sumMatches() {
        return expectedSum == actualSum;
    }
}
