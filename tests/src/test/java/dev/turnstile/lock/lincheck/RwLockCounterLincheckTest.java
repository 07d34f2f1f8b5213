package dev.turnstile.lock.lincheck;

import dev.turnstile.lock.Fairness;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.Optional;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * Lincheck model checking of a counter guarded by one {@link RwLock}, through every kind of hold:
 * plain, recursive and timed reads, writes, upgradable reads that upgrade, and writes that downgrade
 * and read back. Writers must exclude each other and readers, an upgrade must let no writer in
 * between its check and its write, and a downgrade must let none in between its write and its read:
 * any violation gives results no sequential run of {@link PlainCounter} can. Platform threads only
 * (TOOLSTACK pitfall 4); lost wake-ups are the jcstress and stress tests' job.
 */
class RwLockCounterLincheckTest {

    @Test
    void eventualRwLockIsLinearizableAsAPlainCounter() {
        modelCheck(EventualCounter.class);
    }

    @Test
    void fifoRwLockIsLinearizableAsAPlainCounter() {
        // FIFO: every contended release hands off, so batches of readers are granted, not woken.
        modelCheck(FifoCounter.class);
    }

    private static void modelCheck(Class<? extends GuardedCounter> counter) {
        ModelCheck.linearizable(counter, PlainCounter.class);
    }

    /** The counter under test with the default (eventually fair) policy. */
    public static final class EventualCounter extends GuardedCounter {
        public EventualCounter() {
            super(new RwLock<>(0L));
        }
    }

    /** The counter under test with strict FIFO hand-off. */
    public static final class FifoCounter extends GuardedCounter {
        public FifoCounter() {
            super(RwLock.builder().fairness(Fairness.FIFO).build(0L));
        }
    }

    /** A long counter whose every access holds the lock; one operation per kind of hold. */
    public abstract static class GuardedCounter {
        /** The value is an immutable {@code Long}, so a result read inside the lock stays valid after it. */
        private final RwLock<Long> lock;

        GuardedCounter(RwLock<Long> lock) {
            this.lock = lock;
        }

        @Operation
        public long incrementWithWrite() {
            try (WriteGuard<Long> w = lock.write()) {
                w.set(w.get() + 1);
                return w.get();
            }
        }

        @Operation
        public long incrementByUpgrade() {
            try (UpgradableGuard<Long> u = lock.upgradableRead()) {
                long seen = u.get();
                try (WriteGuard<Long> w = u.upgrade()) {
                    w.set(seen + 1); // from the value read before the upgrade: no writer may intervene
                    return w.get();
                }
            }
        }

        @Operation
        public long incrementThenDowngradeAndRead() {
            WriteGuard<Long> w = lock.write();
            w.set(w.get() + 1);
            try (ReadGuard<Long> r = w.downgrade()) {
                return r.get(); // must still be our own write
            }
        }

        @Operation
        public long read() {
            try (ReadGuard<Long> r = lock.read()) {
                return r.get();
            }
        }

        @Operation
        public long readNestedRecursively() {
            try (ReadGuard<Long> outer = lock.read(); ReadGuard<Long> inner = lock.readRecursive()) {
                return outer.get().equals(inner.get()) ? inner.get() : -1;
            }
        }

        @Operation
        public long readWithLongTimeout() {
            // A timeout far beyond the test's length: success is the only linearizable outcome.
            Optional<ReadGuard<Long>> r = lock.tryRead(Duration.ofDays(1));
            if (r.isEmpty()) {
                return -1;
            }
            try (ReadGuard<Long> g = r.get()) {
                return g.get();
            }
        }
    }

    /** The sequential specification: what the guarded counter must look like from outside. */
    public static final class PlainCounter {
        private long value;

        public long incrementWithWrite() {
            return ++value;
        }

        public long incrementByUpgrade() {
            return ++value;
        }

        public long incrementThenDowngradeAndRead() {
            return ++value;
        }

        public long read() {
            return value;
        }

        public long readNestedRecursively() {
            return value;
        }

        public long readWithLongTimeout() {
            return value;
        }
    }
}
