package dev.turnstile.lock.bench.run;

import org.HdrHistogram.Histogram;

/**
 * What one round measured.
 *
 * @param elapsedNanos   from the start signal until the last worker finished
 * @param ops            operations done
 * @param progressAtFirstFinish operations per worker when the first worker finished (fairness)
 * @param waits          wait time of every acquisition that found its lock held, in nanoseconds
 * @param expectedSum    increments the workers made
 * @param actualSum      sum of the counters afterwards; differs from {@code expectedSum} only if the
 *                       lock failed to exclude
 * @param capped         whether the round was stopped at its time cap before every operation was done
 */
public record RoundResult(long elapsedNanos, long ops, long[] progressAtFirstFinish, Histogram waits,
                          long expectedSum, long actualSum, boolean capped) {

    /** Throughput in operations per millisecond. */
    public double opsPerMs() {
        return ops * 1_000_000.0 / Math.max(1L, elapsedNanos);
    }

    /** Whether the counters add up. */
    public boolean sumMatches() {
        return expectedSum == actualSum;
    }
}
