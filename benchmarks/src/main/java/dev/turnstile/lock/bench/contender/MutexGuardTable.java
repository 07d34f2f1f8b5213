package dev.turnstile.lock.bench.contender;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.function.IntFunction;
import org.HdrHistogram.Histogram;

/**
 * Turnstile mutexes taken the way the README shows, {@code try (var g = mutex.lock())}: one guard per
 * acquisition. Waits are timed when {@link Mutex#isLocked()} says the mutex is held on arrival (see
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
        try (MutexGuard<?> g = lock(mutexes[slot], waits)) {
            counters.increment(slot);
        }
    }

    @Override
    public long read(int slot, Histogram waits) {
        try (MutexGuard<?> g = lock(mutexes[slot], waits)) {
            return counters.get(slot);
        }
    }

    private static MutexGuard<?> lock(Mutex<?> mutex, Histogram waits) {
        if (!mutex.isLocked()) {
            return mutex.lock();
        }
        long start = System.nanoTime();
        MutexGuard<?> g = mutex.lock();
        waits.recordValue(System.nanoTime() - start);
        return g;
    }

    @Override
    public GuardedCounters counters() {
        return counters;
    }
}
