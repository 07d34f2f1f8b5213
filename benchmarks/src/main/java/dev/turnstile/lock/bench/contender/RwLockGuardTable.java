package dev.turnstile.lock.bench.contender;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import org.HdrHistogram.Histogram;

/**
 * Turnstile RwLocks taken through the guard API: {@code rwLock.write()} to increment,
 * {@code rwLock.read()} to read, one guard per acquisition. Unlike the {@code asReadWriteLock()}
 * view, this path keeps no per-thread read-hold count, so it measures the lock itself. Waits are
 * timed when the lock is held in a conflicting mode on arrival (see {@link ProbedLockTable} for why
 * a probe).
 */
public final class RwLockGuardTable implements LockTable {
    private final RwLock<?>[] locks;
    private final GuardedCounters counters;

    public RwLockGuardTable(int count) {
        locks = new RwLock<?>[count];
        for (int i = 0; i < count; i++) {
            locks[i] = new RwLock<>(null);
        }
        counters = new GuardedCounters(count);
    }

    @Override
    public void increment(int slot, Histogram waits) {
        RwLock<?> lock = locks[slot];
        WriteGuard<?> guard = SlowPathTimer.acquire(isHeld(lock), lock, RwLock::write, waits);
        try {
            counters.increment(slot);
        } finally {
            guard.close();
        }
    }

    @Override
    public long read(int slot, Histogram waits) {
        RwLock<?> lock = locks[slot];
        ReadGuard<?> guard = SlowPathTimer.acquire(lock.isWriteLocked(), lock, RwLock::read, waits);
        try {
            return counters.get(slot);
        } finally {
            guard.close();
        }
    }

    /** Whether anyone holds {@code lock}, i.e. whether a writer arriving now would wait. */
    static boolean isHeld(RwLock<?> lock) {
        return lock.isWriteLocked() || lock.readHolds() > 0;
    }

    /** Contended releases that handed the lock over, and those that woke a waiter to compete. */
    @Override
    public String lockStats() {
        return WaitQueueStats.of(locks);
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
