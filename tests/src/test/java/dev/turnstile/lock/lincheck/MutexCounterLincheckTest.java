package dev.turnstile.lock.lincheck;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.Optional;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * Lincheck model checking of a counter whose every access goes through one {@link Mutex}, through
 * each acquisition path. If the lock ever admitted two holders, or lost the write of one critical
 * section, some interleaving would produce results no sequential run of {@link PlainCounter} can.
 * Runs on platform threads: Lincheck 3.7 cannot drive virtual threads (TOOLSTACK pitfall 4), and it
 * does not report lost wake-ups (a parked thread may legally return spuriously), which the jcstress
 * and stress tests cover instead.
 */
class MutexCounterLincheckTest {

    @Test
    void bargingEventualMutexIsLinearizableAsAPlainCounter() {
        modelCheck(EventualCounter.class);
    }

    @Test
    void handOffFifoMutexIsLinearizableAsAPlainCounter() {
        // FIFO hands every contended release to the head waiter: the grant path, not the barging one.
        modelCheck(FifoCounter.class);
    }

    private static void modelCheck(Class<? extends GuardedCounter> counter) {
        ModelCheck.linearizable(counter, PlainCounter.class);
    }

    /** The counter under test with the default (eventually fair, barging) policy. */
    public static final class EventualCounter extends GuardedCounter {
        public EventualCounter() {
            super(new Mutex<>(0L));
        }
    }

    /** The counter under test with strict FIFO hand-off. */
    public static final class FifoCounter extends GuardedCounter {
        public FifoCounter() {
            super(Mutex.builder().fairness(Fairness.FIFO).build(0L));
        }
    }

    /** A long counter whose every read and write holds the mutex, one operation per acquisition path. */
    public abstract static class GuardedCounter {
        /** The value is an immutable {@code Long}, so a result read inside the lock stays valid after it. */
        private final Mutex<Long> counter;

        GuardedCounter(Mutex<Long> counter) {
            this.counter = counter;
        }

        @Operation
        public long incrementWithLock() {
            try (MutexGuard<Long> g = counter.lock()) {
                return increment(g);
            }
        }

        @Operation
        public long incrementWithLockInterruptibly() throws InterruptedException {
            try (MutexGuard<Long> g = counter.lockInterruptibly()) {
                return increment(g);
            }
        }

        @Operation
        public long incrementWithLongTryLock() {
            // A timeout far beyond the test's length: success is the only linearizable outcome.
            Optional<MutexGuard<Long>> guard = counter.tryLock(Duration.ofDays(1));
            if (guard.isEmpty()) {
                return -1;
            }
            try (MutexGuard<Long> g = guard.get()) {
                return increment(g);
            }
        }

        @Operation
        public long incrementWithUpdate() {
            return counter.update(c -> c + 1);
        }

        @Operation
        public long read() {
            return counter.withLock(c -> c);
        }

        private static long increment(MutexGuard<Long> g) {
            long next = g.get() + 1;
            g.set(next);
            return next;
        }
    }

    /** The sequential specification: what the guarded counter must look like from outside. */
    public static final class PlainCounter {
        private long value;

        public long incrementWithLock() {
            return ++value;
        }

        public long incrementWithLockInterruptibly() {
            return ++value;
        }

        public long incrementWithLongTryLock() {
            return ++value;
        }

        public long incrementWithUpdate() {
            return ++value;
        }

        public long read() {
            return value;
        }
    }
}
