package dev.turnstile.lock.bench.contender;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Turnstile mutexes taken through the guard API ({@code mutex.lock()} … {@code guard.close()}, what
 * {@code try (var g = mutex.lock())} compiles to): one guard per acquisition. Waits are timed when {@link Mutex#isLocked()} says the mutex is held on arrival (see
 * {@link ProbedLockTable} for why a probe).
 */
public final class MutexGuardTable implements LockTable {
    private final Mutex<?>[] mutexes;
    private final GuardedCounters counters;

    public MutexGuardTable(int count, IntFunction<Mutex<?>> factory) {
        mutexes = new Mutex<?>[count];
        for (int i = 0; i < count; i++) {
            mutexes[i] = factory.apply(i);
        }
        counters = new GuardedCounters(count);
    }

    @Override
    public void increment(int slot, Histogram waits) {
        MutexGuard<?> guard = lock(mutexes[slot], waits);
        try {
            counters.increment(slot);
        } finally {
            guard.close();
        }
    }

    @Override
    public long read(int slot, Histogram waits) {
        MutexGuard<?> guard = lock(mutexes[slot], waits);
        try {
            return counters.get(slot);
        } finally {
            guard.close();
        }
    }

    private static MutexGuard<?> lock(Mutex<?> mutex, Histogram waits) {
        return SlowPathTimer.acquire(mutex.isLocked(), mutex, Mutex::lock, waits);
    }

    /** Contended releases that handed the mutex to a waiter, and those that woke one to compete. */
    @Override
    public String lockStats() {
        return WaitQueueStats.of(mutexes);
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
