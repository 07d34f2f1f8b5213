package dev.turnstile.lock.bench.contender;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;

/**
 * A {@link LockTable} over any {@link ReadWriteLock}: increments take the write lock, reads the read
 * lock. Waits are timed only when the probe for the requested mode says it would wait (see
 * {@link ProbedLockTable} for why a probe and not a try).
 *
 * @param <L> the lock type, whose probes may be more specific than {@link ReadWriteLock}
 */
public final class ProbedReadWriteLockTable<L> implements LockTable {
    private final Object[] locks;
    private final java.util.function.Function<L, ReadWriteLock> view;
    private final Predicate<L> writeHeld;
    private final Predicate<L> anyHeld;
    private final GuardedCounters counters;

    /**
     * @param writeHeld whether a writer holds the lock (a reader would wait)
     * @param anyHeld   whether anyone holds the lock (a writer would wait)
     */
    public ProbedReadWriteLockTable(int count, IntFunction<L> factory, java.util.function.Function<L, ReadWriteLock> view,
                                    Predicate<L> writeHeld, Predicate<L> anyHeld) {
        this.locks = new Object[count];
        for (int i = 0; i < count; i++) {
            locks[i] = factory.apply(i);
        }
        this.view = view;
        this.writeHeld = writeHeld;
        this.anyHeld = anyHeld;
        this.counters = new GuardedCounters(count);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void increment(int slot, Histogram waits) {
        L l = (L) locks[slot];
        Lock lock = view.apply(l).writeLock();
        timedLock(lock, anyHeld.test(l), waits);
        try {
            counters.increment(slot);
        } finally {
            lock.unlock();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public long read(int slot, Histogram waits) {
        L l = (L) locks[slot];
        Lock lock = view.apply(l).readLock();
        timedLock(lock, writeHeld.test(l), waits);
        try {
            return counters.get(slot);
        } finally {
            lock.unlock();
        }
    }

    private static void timedLock(Lock lock, boolean wouldWait, Histogram waits) {
        if (wouldWait) {
            long start = System.nanoTime();
            lock.lock();
            waits.recordValue(System.nanoTime() - start);
        } else {
            lock.lock();
        }
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
