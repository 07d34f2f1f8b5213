package dev.turnstile.lock.breakapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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

    /** A condition variable over the semaphore, from outside the package. */
    static final class SemCondvar extends dev.turnstile.lock.park.RawCondvar {
        int awaitOn(Semaphore sem) {
            return await(sem, Semaphore.ONE, true, -1L);
        }

        boolean notifyOneWaiter() {
            return notifyWaiters(false) > 0;
        }

        int waiting() {
            return waiterCount();
        }
    }

    /**
     * The documented precondition of RawCondvar.await is that the caller holds the lock; a caller that
     * does not gets the lock type's refusal of the release. That refusal must not leave the caller's
     * node queued on the condvar: it would count as a waiter for ever, bind the condvar to that lock,
     * and a notify would move a node whose thread has left onto the lock's queue, where the next
     * release would grant the lock to nobody.
     */
    @Test
    void anAwaitWhoseReleaseIsRefusedLeavesNothingQueued() throws Exception {
        Semaphore sem = new Semaphore(1, LockConfig.DEFAULT);
        SemCondvar cv = new SemCondvar();
        assertThrows(IllegalStateException.class, () -> cv.awaitOn(sem)); // holds no permit
        assertEquals(0, cv.waiting(), "the refused waiter stays counted");
        assertFalse(cv.notifyOneWaiter(), "a notify finds the node of a thread that left");
        // the semaphore still works, and a real waiter is notified
        sem.acquire();
        Thread t = Thread.ofPlatform().start(() -> {
            sem.acquire();
            assertEquals(0, cv.awaitOn(sem));
            sem.releasePermit();
        });
        sem.releasePermit();
        while (cv.waiting() == 0) {
            Thread.onSpinWait();
        }
        assertTrue(cv.notifyOneWaiter());
        t.join(10_000);
        assertFalse(t.isAlive());
        assertEquals(0, sem.word());
    }

    /** A semaphore whose refusal of a release without a permit waits at a gate first (test only). */
    static final class GatedSemaphore extends RawLock {
        final CountDownLatch inRefusal = new CountDownLatch(1);
        final CountDownLatch gate = new CountDownLatch(1);

        GatedSemaphore() {
            super(LockConfig.DEFAULT);
        }

        @Override
        protected boolean canAcquire(int lockBits, int mode) {
            return lockBits < 2;
        }

        @Override
        protected int acquired(int lockBits, int mode) {
            return lockBits + 1;
        }

        @Override
        protected int released(int lockBits, int mode) {
            if (lockBits == 0) {
                inRefusal.countDown();
                try {
                    gate.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("no permit taken");
            }
            return lockBits - 1;
        }

        void take() {
            assertEquals(ACQUIRED, acquireBlocking(0, false, -1L));
        }

        void give() {
            release(0, false);
        }

        int word() {
            return state();
        }
    }

    static final class GatedCondvar extends dev.turnstile.lock.park.RawCondvar {
        int awaitOn(GatedSemaphore sem) {
            return await(sem, 0, false, -1L);
        }

        boolean notifyOneWaiter() {
            return notifyWaiters(false) > 0;
        }

        int waiting() {
            return waiterCount();
        }
    }

    /**
     * The refused release races a notify that takes the refused waiter's node first: the waiter takes
     * the grant that comes with the notification, gives it back, and passes the notification on to the
     * next waiter, which returns notified. Before, the next waiter was never notified, and the lock was
     * left to a woken head whose thread had gone.
     */
    @Test
    void aNotificationThatReachedARefusedWaiterIsPassedOn() throws Exception {
        GatedSemaphore sem = new GatedSemaphore();
        GatedCondvar cv = new GatedCondvar();
        java.util.concurrent.atomic.AtomicReference<Throwable> refusedWith = new java.util.concurrent.atomic.AtomicReference<>();
        Thread refused = Thread.ofPlatform().start(() -> {
            try {
                cv.awaitOn(sem); // holds no permit: its release is refused, after the gate
            } catch (Throwable e) {
                refusedWith.set(e);
            }
        });
        assertTrue(sem.inRefusal.await(10, TimeUnit.SECONDS));
        java.util.concurrent.atomic.AtomicInteger outcome = new java.util.concurrent.atomic.AtomicInteger(-1);
        Thread next = Thread.ofPlatform().start(() -> {
            sem.take();
            outcome.set(cv.awaitOn(sem));
            sem.give();
        });
        while (cv.waiting() < 2) {
            Thread.onSpinWait();
        }
        assertTrue(cv.notifyOneWaiter()); // takes the refused waiter's node, the first queued
        sem.gate.countDown();
        refused.join(10_000);
        assertFalse(refused.isAlive());
        assertInstanceOf(IllegalStateException.class, refusedWith.get());
        next.join(10_000);
        assertFalse(next.isAlive(), "the notification the refused waiter received was lost");
        assertEquals(0, outcome.get(), "NOTIFIED");
        assertEquals(0, cv.waiting());
        assertEquals(0, sem.word(), "no permit and no core bit left behind");
    }
}
