package dev.turnstile.lock.bench.contender;

import org.HdrHistogram.Histogram;

/**
 * N locks of one contender, lock {@code i} guarding counter {@code i}: the shared data of a
 * blocking lockbench run (platform or virtual threads).
 *
 * <p>Wait times are recorded only on the slow path: an implementation reads the clock only when the
 * lock was found held on arrival (see {@link ProbedLockTable}), so an uncontended acquisition costs
 * exactly what it costs without the benchmark around it.
 */
public interface LockTable {
    /** Adds one to counter {@code slot} under its lock (exclusive mode). */
    void increment(int slot, Histogram waits);

    /** Reads counter {@code slot} under its lock (shared mode where the lock has one). */
    long read(int slot, Histogram waits);

    /** Whether this table records wait times at all (see {@link MonitorLockTable} for one that cannot). */
    default boolean timesWaits() {
        return true;
    }

    /** The counters, read after every worker has finished. */
    GuardedCounters counters();
}
