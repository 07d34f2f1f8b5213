package dev.turnstile.lock.bench.contender;

import java.util.concurrent.locks.Lock;
import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Acquires a lock and records the wait only on the slow path: when the caller's probe said the lock
 * was held in a conflicting mode on arrival (see {@link ProbedLockTable} for why a probe).
 */
final class SlowPathTimer {
    private SlowPathTimer() {
    }

    /**
     * {@code acquire.apply(lock)}, timed into {@code waits} if {@code wouldWait}. Pass a
     * non-capturing {@code acquire} (a method reference such as {@code RwLock::write}) so that the
     * fast path allocates nothing.
     *
     * <p>One call site for both cases, as a caller's {@code try (var g = lock.lock())} has: with
     * one call per branch, the JIT inlined only the hot one, and the guard it made met the other
     * branch's at a merge point, which kept escape analysis from removing it. Every acquisition then
     * allocated its guard (about 20 bytes an operation, 2 GB in a quick extreme-regime run, where the
     * guard benchmarks in JMH allocate none); the peers' {@code lock()} returns nothing to allocate.
     */
    static <L, G> G acquire(boolean wouldWait, L lock, Function<L, G> acquire, Histogram waits) {
        long start = wouldWait ? System.nanoTime() : 0L;
        G guard = acquire.apply(lock);
        if (wouldWait) {
            waits.recordValue(System.nanoTime() - start);
        }
        return guard;
    }

    /** {@link Lock#lock()} on {@code lock}, timed into {@code waits} if {@code wouldWait}. */
    static void lock(boolean wouldWait, Lock lock, Histogram waits) {
        acquire(wouldWait, lock, SlowPathTimer::locked, waits);
    }

    private static Lock locked(Lock lock) {
        lock.lock();
        return lock;
    }
}
