package dev.turnstile.lock.bench.contender;

import java.util.concurrent.locks.Lock;
import java.util.function.IntFunction;
import java.util.function.Predicate;
import org.HdrHistogram.Histogram;

/**
 * A {@link LockTable} over any {@link Lock}, with a probe that tells whether a lock is held. The
 * clock is read only when the probe says the lock is held on arrival, i.e. only for acquisitions
 * that (almost always) wait.
 *
 * <p>Why a probe rather than "try the non-blocking acquire first": {@code tryLock()} barges past
 * queued waiters on a fair {@code ReentrantLock} and a FIFO {@code Mutex}, so trying first would
 * turn every fair lock into a barging one. The probe is one read of a word the acquisition is about
 * to write anyway. It can miss a wait (the lock was taken between probe and acquire) or record a
 * near-zero one (released in between); both are rare and affect every contender alike.
 *
 * @param <L> the lock type, whose probe may be more specific than {@link Lock}
 */
public final class ProbedLockTable<L> implements LockTable {
    private final Object[] locks;
    private final java.util.function.Function<L, Lock> view;
    private final Predicate<L> held;
    private final GuardedCounters counters;

    /**
     * @param count   the number of locks
     * @param factory makes lock {@code i}
     * @param view    the {@link Lock} to acquire (called on every acquisition, so a view may be lazy)
     * @param held    whether a lock is held right now
     */
    public ProbedLockTable(int count, IntFunction<L> factory, java.util.function.Function<L, Lock> view, Predicate<L> held) {
        this.locks = new Object[count];
        for (int i = 0; i < count; i++) {
            locks[i] = factory.apply(i);
        }
        this.view = view;
        this.held = held;
        this.counters = new GuardedCounters(count);
    }

    @Override
    public void increment(int slot, Histogram waits) {
        Lock lock = acquire(slot, waits);
        try {
            counters.increment(slot);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public long read(int slot, Histogram waits) {
        Lock lock = acquire(slot, waits);
        try {
            return counters.get(slot);
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private Lock acquire(int slot, Histogram waits) {
        L l = (L) locks[slot];
        Lock lock = view.apply(l);
        if (held.test(l)) {
            long start = System.nanoTime();
            lock.lock();
            waits.recordValue(System.nanoTime() - start);
        } else {
            lock.lock();
        }
        return lock;
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
