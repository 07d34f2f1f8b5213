package dev.turnstile.lock.breakapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.park.CallbackWaiter;
import dev.turnstile.lock.park.LockConfig;
import dev.turnstile.lock.park.RawLock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The park package as an SPI, used the way its package doc suggests: a lock type from outside the
 * package (a counting semaphore) extends RawLock and CallbackWaiter, and the documented contract
 * holds; and a subclass that breaks the core-bit rule through the protected API is refused instead
 * of wedging the lock.
 */
@Timeout(60)
class SpiSemaphoreBreakTest {

    /** A counting semaphore: the lock bits count the permits taken. */
    static final class Semaphore extends RawLock {
        static final int ONE = 0;
        final int permits;

        Semaphore(int permits, LockConfig config) {
            super(config);
            this.permits = permits;
        }

        @Override
        protected boolean canAcquire(int lockBits, int mode) {
            return lockBits < permits;
        }

        @Override
        protected int acquired(int lockBits, int mode) {
            return lockBits + 1;
        }

        @Override
        protected int released(int lockBits, int mode) {
            if (lockBits == 0) {
                throw new IllegalStateException("no permit taken");
            }
            return lockBits - 1;
        }

        void acquire() {
            assertEquals(ACQUIRED, acquireBlocking(ONE, false, -1L));
        }

        boolean tryAcquire(long nanos) {
            return acquireBlocking(ONE, false, nanos) == ACQUIRED;
        }

        boolean acquireInterruptibly() {
            return acquireBlocking(ONE, true, -1L) == ACQUIRED;
        }

        void releasePermit() {
            release(ONE, false);
        }

        CompletableFuture<Void> acquireAsync() {
            CompletableFuture<Void> f = new CompletableFuture<>();
            acquireAsync(new CallbackWaiter(ONE, null) {
                @Override
                protected void onGrant() {
                    if (!f.complete(null)) {
                        releasePermit();
                    }
                }

                @Override
                protected void onGrantFailed(Throwable cause) {
                    f.completeExceptionally(cause);
                }
            });
            return f;
        }

        int taken() {
            return state() & ~CORE_BITS;
        }

        int word() {
            return state();
        }

        boolean rawCas(int expect, int update) {
            return casState(expect, update);
        }

        int queued() {
            return queueLength();
        }
    }

    /** Returns the lock bits unchanged but sets a core bit, as a buggy lock type might. */
    static final class CoreBitSetter extends RawLock {
        CoreBitSetter() {
            super(LockConfig.DEFAULT);
        }

        @Override
        protected boolean canAcquire(int lockBits, int mode) {
            return lockBits == 0;
        }

        @Override
        protected int acquired(int lockBits, int mode) {
            return 1;
        }

        @Override
        protected int released(int lockBits, int mode) {
            return lockBits - 1 - 1; // an off-by-one: 1 -> -1, every core bit set
        }

        void lockIt() {
            assertEquals(ACQUIRED, acquireBlocking(0, false, -1L));
        }

        void unlockIt() {
            release(0, false);
        }

        int word() {
            return state();
        }

        boolean rawCas(int expect, int update) {
            return casState(expect, update);
        }
    }

    private static void stress(Semaphore sem, int permits) throws Exception {
        int threads = 8;
        int rounds = 2_000;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<Thread> ts = new ArrayList<>();
        CountDownLatch done = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            boolean virtual = i % 2 == 0;
            Runnable body = () -> {
                try {
                    for (int r = 0; r < rounds; r++) {
                        if (r % 3 == 0) {
                            sem.acquireAsync().get(30, TimeUnit.SECONDS);
                        } else if (r % 3 == 1) {
                            while (!sem.tryAcquire(TimeUnit.MICROSECONDS.toNanos(50))) {
                                Thread.onSpinWait();
                            }
                        } else {
                            sem.acquire();
                        }
                        int now = inside.incrementAndGet();
                        maxInside.accumulateAndGet(now, Math::max);
                        Thread.yield();
                        inside.decrementAndGet();
                        sem.releasePermit();
                    }
                } catch (Exception e) {
                    throw new AssertionError(e);
                } finally {
                    done.countDown();
                }
            };
            ts.add(virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body));
        }
        assertTrue(done.await(50, TimeUnit.SECONDS), "the semaphore stress run hung");
        for (Thread t : ts) {
            t.join();
        }
        assertTrue(maxInside.get() <= permits, "more holders than permits: " + maxInside.get());
        assertEquals(0, sem.taken());
        assertEquals(0, sem.word() & ~PROFILED_BIT, "QUEUED and SIGNAL are clear once nobody waits");
    }

    /** Bit 29: stays set on a lock that keeps statistics. */
    private static final int PROFILED_BIT = 1 << 29;

    @Test
    void anExternalSemaphoreAdmitsAtMostItsPermitsUnderStress() throws Exception {
        stress(new Semaphore(3, LockConfig.DEFAULT), 3);
    }

    @Test
    void anExternalSemaphoreWorksWithStatisticsOn() throws Exception {
        LockConfig d = LockConfig.DEFAULT;
        LockConfig profiled = new LockConfig(d.fairness(), "sem", d.clock(), d.handOffMeanNanos(), d.longHoldNanos(), true);
        stress(new Semaphore(2, profiled), 2);
    }

    @Test
    void aPermitTakenOnOneThreadMayBeReleasedOnAnother() throws Exception {
        Semaphore sem = new Semaphore(1, LockConfig.DEFAULT);
        sem.acquire();
        CompletableFuture<Void> next = sem.acquireAsync();
        assertFalse(next.isDone());
        Thread.ofVirtual().start(sem::releasePermit).join();
        next.get(10, TimeUnit.SECONDS);
        sem.releasePermit();
        assertEquals(0, sem.word());
    }

    @Test
    void aZeroWaitTriesOnceAndAnInterruptibleWaitEnds() throws Exception {
        Semaphore sem = new Semaphore(1, LockConfig.DEFAULT);
        sem.acquire();
        assertFalse(sem.tryAcquire(0));
        Thread.currentThread().interrupt();
        assertFalse(sem.acquireInterruptibly());
        assertFalse(Thread.interrupted(), "INTERRUPTED clears the status");
        sem.releasePermit();
        assertEquals(0, sem.word());
    }

    @Test
    void aRefusedReleaseLeavesTheWordAsItWas() {
        Semaphore sem = new Semaphore(1, LockConfig.DEFAULT);
        assertThrows(IllegalStateException.class, sem::releasePermit);
        assertEquals(0, sem.word());
        sem.acquire();
        sem.releasePermit();
    }

    @Test
    void aFastPathCasThatChangesCoreBitsIsRefused() {
        Semaphore sem = new Semaphore(1, LockConfig.DEFAULT);
        // The protected compare-and-set must carry the core bits unchanged (documented): one that
        // sets QUEUED on a lock with no queue would make the next contended release fail.
        assertThrows(IllegalArgumentException.class, () -> sem.rawCas(0, 1 | Integer.MIN_VALUE));
        assertEquals(0, sem.word(), "the word is untouched");
        sem.acquire();
        sem.releasePermit();
        assertEquals(0, sem.word());
    }

    @Test
    void aReleaseFunctionThatSpillsIntoTheCoreBitsIsRefused() {
        CoreBitSetter bad = new CoreBitSetter();
        bad.lockIt();
        assertThrows(IllegalStateException.class, bad::unlockIt);
        assertEquals(1, bad.word(), "the word is left as it was: still held, no core bit");
    }
}
