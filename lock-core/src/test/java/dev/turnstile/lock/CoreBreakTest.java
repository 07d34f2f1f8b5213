package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Adversarial review of the one-woken-waiter-in-flight core: each test pins one broken behaviour.
 */
class CoreBreakTest {

    // ------------------------------------------------------------------ helpers

    private static int carriers() {
        return Integer.getInteger("jdk.virtualThreadScheduler.parallelism", Runtime.getRuntime().availableProcessors());
    }

    /** Occupies every carrier of the virtual-thread scheduler with a spinning virtual thread. */
    private static final class CarrierHogs implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final List<Thread> hogs = new ArrayList<>();

        CarrierHogs() {
            int n = carriers();
            AtomicInteger running = new AtomicInteger();
            for (int i = 0; i < n; i++) {
                hogs.add(Thread.ofVirtual().start(() -> {
                    running.incrementAndGet();
                    while (!stop.get()) {
                        Thread.onSpinWait();
                    }
                }));
            }
            while (running.get() < n) {
                Thread.onSpinWait();
            }
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread t : hogs) {
                t.join();
            }
        }
    }

    private static void awaitParkedInQueue(Thread t, Mutex<?> m, int queued) {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!(m.queueLength() == queued && t.getState() == Thread.State.WAITING)) {
            if (System.nanoTime() - until > 0) {
                throw new AssertionError("waiter never parked: " + m + " " + t.getState());
            }
            Thread.onSpinWait();
        }
    }

    // ------------------------------------------------------------------ finding 1

    /**
     * unlockFair() promises to hand the mutex straight to the longest waiter. If that waiter is the
     * head a previous release woke in place (status WOKEN, not yet running), admit() takes the
     * "head not WAITING" branch and simply frees the lock: nobody holds it, any arrival can take it.
     */
    @Test
    void unlockFairWithAWokenHeadInFlightHandsTheMutexToIt() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Mutex<Integer> m = Mutex.builder().fairness(Fairness.BARGING).build(0);
            MutexGuard<Integer> g = m.lock();
            AtomicInteger ran = new AtomicInteger();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try (MutexGuard<Integer> w = m.lock()) {
                    ran.incrementAndGet();
                }
            });
            awaitParkedInQueue(waiter, m, 1);
            boolean lockedAfterUnlockFair;
            try (CarrierHogs hogs = new CarrierHogs()) {
                g.close();          // BARGING: the waiter is woken in place, but it cannot run (no carrier)
                g = m.lock();       // a running thread barges, as the policy allows
                g.unlockFair();     // must hand the mutex to the waiter
                lockedAfterUnlockFair = m.isLocked();
                if (!lockedAfterUnlockFair) {
                    g = null;
                }
            }
            waiter.join();
            assertEquals(1, ran.get());
            assertTrue(lockedAfterUnlockFair, "unlockFair() with a queued waiter left the mutex free for anyone");
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
        });
    }

    /**
     * bump() promises that the longest waiter runs its critical section before the bumping guard
     * re-acquires. With the head in flight (WOKEN), releaseLock(true) just frees the mutex and the
     * bumping thread's acquire() barges straight back in: bump() returns, the waiter never ran.
     */
    @Test
    void bumpWithAWokenHeadInFlightLetsThatWaiterRunFirst() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            Mutex<Integer> m = Mutex.builder().fairness(Fairness.BARGING).build(0);
            MutexGuard<Integer> g = m.lock();
            AtomicInteger ran = new AtomicInteger();
            Thread waiter = Thread.ofVirtual().start(() -> {
                try (MutexGuard<Integer> w = m.lock()) {
                    ran.incrementAndGet();
                }
            });
            awaitParkedInQueue(waiter, m, 1);
            AtomicInteger ranBeforeBump = new AtomicInteger(-1);
            Thread bumper;
            try (CarrierHogs hogs = new CarrierHogs()) {
                g.close();
                g = m.lock();
                MutexGuard<Integer> bumping = g;
                // bump() waits for the waiter, which needs a carrier: bump on a platform thread and
                // free the carriers meanwhile
                bumper = Thread.ofPlatform().start(() -> {
                    bumping.bump(); // documented: the longest waiter runs its critical section now
                    ranBeforeBump.set(ran.get());
                });
                awaitParkedInQueue(bumper, m, 1);
            }
            bumper.join();
            int ranBeforeBumpReturned = ranBeforeBump.get();
            g.close();
            waiter.join();
            assertEquals(1, ranBeforeBumpReturned, "bump() re-acquired before the queued waiter ever ran");
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
        });
    }

    // ------------------------------------------------------------------ finding 2

    /**
     * An upgradeAsync whose executor refuses the grant: CallbackWaiter.signal releases the granted
     * mode (UPGRADE, i.e. clears WRITER: the upgradable hold is gone too) and calls onFailed. The
     * Upgrade node's status is GRANTED and its outcome still OPEN, so a later PendingLock.cancel()
     * "reverts" with transition(WRITE_TO_UPGRADABLE) on a lock it no longer holds: it returns true
     * after onFailed ran (contract: exactly one of onLocked/onFailed unless cancel returned true),
     * and clears the WRITER bit of whoever acquired the free lock meanwhile.
     */
    @Test
    void cancelAfterARefusedUpgradeNeverTouchesAnotherWritersHold() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            RwLock<String> rw = new RwLock<>("v");
            UpgradableGuard<String> u = rw.upgradableRead();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            PendingLock p = u.upgradeAsync(new LockCallback<WriteGuard<String>>() {
                @Override
                public void onLocked(WriteGuard<String> guard) {
                    guard.close();
                }

                @Override
                public void onFailed(Throwable cause) {
                    failed.set(cause);
                }
            }, task -> {
                throw new RejectedExecutionException("refused");
            });
            assertNotNull(failed.get(), "onFailed ran");
            // A refused upgrade is settled like a cancelled one: the upgradable hold is back with u.
            assertTrue(u.isHeld(), "the upgradable hold went back to its guard");
            assertFalse(rw.isWriteLocked());
            boolean cancelled = p.cancel(); // e.g. an adapter's timer firing after onFailed
            u.close();
            WriteGuard<String> other = rw.tryWrite().orElseThrow();
            boolean cancelledAgain = p.cancel();
            boolean stillWriteLocked = rw.isWriteLocked();
            boolean readerGotIn = rw.tryRead().isPresent();
            other.close();
            assertAll(
                    () -> assertTrue(stillWriteLocked, "cancel() cleared the WRITER bit of another writer's hold"),
                    () -> assertFalse(readerGotIn, "a reader entered while a writer holds the lock"),
                    () -> assertFalse(cancelled, "cancel() returned true after onFailed had run"),
                    () -> assertFalse(cancelledAgain, "cancel() returned true after onFailed had run"));
            assertFalse(rw.isWriteLocked() || rw.isUpgradableLocked() || rw.readHolds() > 0);
        });
    }

    // ------------------------------------------------------------------ finding 3

    /**
     * UPGRADABLE_TO_READ adds a reader without checking saturation: with READERS_MASK plain readers
     * inside, downgrading the upgradable hold carries the reader count into the UPGRADABLE bit. The
     * lock then claims an upgradable holder that does not exist (no upgradableRead can enter) and
     * reports 1 read hold instead of 2^26.
     */
    @Test
    void downgradeAtReaderSaturationDoesNotCorruptTheState() {
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            RwLock<String> rw = new RwLock<>("v");
            UpgradableGuard<String> u = rw.upgradableRead();
            for (int i = 0; i < RwLock.READERS_MASK; i++) {
                rw.acquireRead(); // plain CAS fast path
            }
            assertEquals(RwLock.READERS_MASK + 1, rw.readHolds());
            assertTrue(rw.tryRead().isEmpty(), "saturated");
            // No room for one more read hold: the downgrade is refused and changes nothing.
            assertThrows(IllegalStateException.class, u::downgrade);
            assertTrue(u.isHeld(), "the guard keeps its upgradable hold");
            assertEquals(RwLock.READERS_MASK + 1, rw.readHolds());
            u.close();
            boolean upgradableAdmitted = rw.tryUpgradableRead().map(g -> {
                g.close();
                return true;
            }).orElse(false);
            for (int i = 0; i < RwLock.READERS_MASK; i++) {
                rw.releaseRead();
            }
            assertTrue(upgradableAdmitted, "no phantom upgradable holder");
            assertEquals(0, rw.readHolds());
        });
    }

    // ------------------------------------------------------------------ finding 4

    /**
     * CallbackWaiter.signal treats any throw from executor.execute as a refusal and releases the
     * lock. An executor that throws after it accepted the task (ran it inline then failed in its own
     * bookkeeping; or, like ThreadPoolExecutor, queued it and then failed to start a worker with an
     * OutOfMemoryError) still delivers the grant: the core releases a lock the callback owns.
     */
    @Test
    void anExecutorThatThrowsAfterRunningTheGrantDoesNotReleaseTheCallbacksLock() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Mutex<Integer> m = new Mutex<>(0);
            AtomicReference<MutexGuard<Integer>> got = new AtomicReference<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            m.lockAsync(new LockCallback<MutexGuard<Integer>>() {
                @Override
                public void onLocked(MutexGuard<Integer> guard) {
                    got.set(guard);
                }

                @Override
                public void onFailed(Throwable cause) {
                    failed.set(cause);
                }
            }, task -> {
                task.run();
                throw new IllegalStateException("executor bookkeeping failed after running the task");
            });
            boolean lockedWhileCallbackHoldsGuard = m.isLocked();
            boolean intruderGotIn = m.tryLock().isPresent();
            assertAll(
                    () -> assertNotNull(got.get(), "onLocked ran"),
                    () -> assertTrue(lockedWhileCallbackHoldsGuard, "the core released the lock the callback owns"),
                    () -> assertFalse(intruderGotIn, "a second holder entered the mutex"),
                    () -> assertEquals(null, failed.get(), "onFailed ran too, after onLocked"));
        });
    }

    @Test
    void aGrantRefusedByAThrowingExecutorIsNeverDeliveredLater() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            Mutex<Integer> m = new Mutex<>(0);
            AtomicReference<MutexGuard<Integer>> got = new AtomicReference<>();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<Runnable> accepted = new ArrayList<>();
            m.lockAsync(new LockCallback<MutexGuard<Integer>>() {
                @Override
                public void onLocked(MutexGuard<Integer> guard) {
                    got.set(guard);
                }

                @Override
                public void onFailed(Throwable cause) {
                    failed.set(cause);
                }
            }, task -> {
                accepted.add(task); // ThreadPoolExecutor: workQueue.offer(task) succeeded ...
                throw new OutOfMemoryError("unable to create native thread"); // ... addWorker failed
            });
            assertNotNull(failed.get(), "onFailed ran: the grant was treated as refused");
            MutexGuard<Integer> other = m.tryLock().orElseThrow();
            accepted.forEach(Runnable::run); // a worker started later drains the queue
            MutexGuard<Integer> delivered = got.get();
            if (delivered != null) {
                delivered.close(); // the callback's user does what the contract says: close the guard
            }
            boolean otherStillExclusive = m.isLocked();
            if (otherStillExclusive) {
                other.close();
            }
            assertAll(
                    () -> assertEquals(null, delivered, "a refused grant was delivered after onFailed"),
                    () -> assertTrue(otherStillExclusive, "closing the late guard released another holder's lock"));
        });
    }
}
