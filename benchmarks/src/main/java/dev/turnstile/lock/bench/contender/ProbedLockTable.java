package dev.turnstile.lock.bench.contender;

import java.util.concurrent.locks.Lock;
import java.util.function.Function;
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
    /**
     * Each lock's {@link Lock}, fetched once, as a caller keeps the {@code Lock} it uses: a view
     * fetched at every acquisition would also time the fetch (for {@code Mutex.asLock()}, a read of
     * the wait queue, whose cache line every contended acquisition writes).
     */
    private final Lock[] views;
    private final Predicate<L> held;
    private final GuardedCounters counters;

    /**
     * @param count   the number of locks
     * @param factory makes lock {@code i}
     * @param view    the {@link Lock} to acquire (called once per lock)
     * @param held    whether a lock is held right now
     */
    public ProbedLockTable(int count, IntFunction<L> factory, Function<L, Lock> view, Predicate<L> held) {
        this.locks = new Object[count];
        this.views = new Lock[count];
        for (int i = 0; i < count; i++) {
            L lock = factory.apply(i);
            locks[i] = lock;
            views[i] = view.apply(lock);
        }
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
        Lock lock = views[slot];
        SlowPathTimer.lock(held.test((L) locks[slot]), lock, waits);
        return lock;
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
