package dev.turnstile.lock.bench.contender;

import java.util.function.Function;
import org.HdrHistogram.Histogram;

/**
 * Acquires a lock through a guard-returning call and records the wait only on the slow path: when
 * the caller's probe said the lock was held in a conflicting mode on arrival (see
 * {@link ProbedLockTable} for why a probe).
 */
final class SlowPathTimer {
    private SlowPathTimer() {
    }

    /**
     * {@code acquire.apply(lock)}, timed into {@code waits} if {@code wouldWait}. Pass a
     * non-capturing {@code acquire} (a method reference such as {@code RwLock::write}) so that the
     * fast path allocates nothing.
     */
    static <L, G> G acquire(boolean wouldWait, L lock, Function<L, G> acquire, Histogram waits) {
        if (!wouldWait) {
            return acquire.apply(lock);
        }
        long start = System.nanoTime();
        G guard = acquire.apply(lock);
        waits.recordValue(System.nanoTime() - start);
        return guard;
    }
}
