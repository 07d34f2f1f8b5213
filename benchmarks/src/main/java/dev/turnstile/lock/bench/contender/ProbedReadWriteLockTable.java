package dev.turnstile.lock.bench.contender;

import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.function.Function;
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
    /** Each lock's read and write {@link Lock}, fetched once (see {@link ProbedLockTable}'s views). */
    private final Lock[] readLocks;
    private final Lock[] writeLocks;
    private final Predicate<L> writeHeld;
    private final Predicate<L> anyHeld;
    private final GuardedCounters counters;

    /**
     * @param writeHeld whether a writer holds the lock (a reader would wait)
     * @param anyHeld   whether anyone holds the lock (a writer would wait)
     */
    public ProbedReadWriteLockTable(int count, IntFunction<L> factory, Function<L, ReadWriteLock> view,
                                    Predicate<L> writeHeld, Predicate<L> anyHeld) {
        this.locks = new Object[count];
        this.readLocks = new Lock[count];
        this.writeLocks = new Lock[count];
        for (int i = 0; i < count; i++) {
            L lock = factory.apply(i);
            locks[i] = lock;
            ReadWriteLock rw = view.apply(lock);
            readLocks[i] = rw.readLock();
            writeLocks[i] = rw.writeLock();
        }
        this.writeHeld = writeHeld;
        this.anyHeld = anyHeld;
        this.counters = new GuardedCounters(count);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void increment(int slot, Histogram waits) {
        Lock lock = writeLocks[slot];
        SlowPathTimer.lock(anyHeld.test((L) locks[slot]), lock, waits);
        try {
            counters.increment(slot);
        } finally {
            lock.unlock();
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public long read(int slot, Histogram waits) {
        Lock lock = readLocks[slot];
        SlowPathTimer.lock(writeHeld.test((L) locks[slot]), lock, waits);
        try {
            return counters.get(slot);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
