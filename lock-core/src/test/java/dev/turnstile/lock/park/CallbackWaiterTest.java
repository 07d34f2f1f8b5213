package dev.turnstile.lock.park;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The core's callback waiter, below any front-end: grants delivered without nesting, grant vs cancel
 * settled by one decision, refused deliveries that do not strand the lock.
 */
class CallbackWaiterTest {
    /** Mutex's only mode. */
    private static final int EXCLUSIVE = 0;
    private static final int CHAIN = 1_000_000;

    @Test
    void aFreeLockIsGrantedAtOnce() {
        Mutex<String> m = new Mutex<>("v");
        AtomicInteger granted = new AtomicInteger();
        RecordingWaiter w = new RecordingWaiter(EXCLUSIVE, null, granted::incrementAndGet);
        m.acquireAsync(w);
        assertEquals(1, granted.get());
        assertTrue(w.isGranted());
        assertTrue(m.isLocked());
        assertFalse(w.withdraw(), "a granted waiter cannot be withdrawn");
        m.release(EXCLUSIVE, false);
        assertFalse(m.isLocked());
    }

    @Test
    void aQueuedWaiterIsGrantedByTheRelease() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicInteger granted = new AtomicInteger();
        RecordingWaiter w = new RecordingWaiter(EXCLUSIVE, null, granted::incrementAndGet);
        m.acquireAsync(w);
        assertEquals(0, granted.get());
        assertEquals(1, m.queueLength());
        held.close();
        assertEquals(1, granted.get(), "granted on the releasing thread");
        assertTrue(m.isLocked(), "callback waiters are handed the lock");
        assertEquals(0, m.queueLength());
    }

    @Test
    void aCancelledWaiterLeavesTheQueueAndIsNeverGranted() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicInteger granted = new AtomicInteger();
        RecordingWaiter w = new RecordingWaiter(EXCLUSIVE, null, granted::incrementAndGet);
        m.acquireAsync(w);
        assertTrue(w.withdraw());
        assertTrue(w.isCancelled());
        assertEquals(0, m.queueLength());
        assertFalse(m.hasQueuedWaiters());
        held.close();
        assertEquals(0, granted.get());
        assertFalse(m.isLocked());
        assertFalse(w.withdraw(), "cancelling twice reports nothing new");
    }

    @Test
    void aWaiterCanBeSubmittedOnlyOnce() {
        Mutex<String> m = new Mutex<>("v");
        RecordingWaiter w = new RecordingWaiter(EXCLUSIVE, null, () -> { });
        m.acquireAsync(w);
        assertThrows(IllegalStateException.class, () -> m.acquireAsync(w));
        m.release(EXCLUSIVE, false);
    }

    /** kotlinx.coroutines #80: a chain of hand-offs through nested callbacks overflowed the stack. */
    @Test
    void aMillionQueuedCallbackGrantsRunWithoutStackOverflow() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicInteger granted = new AtomicInteger();
        for (int i = 0; i < CHAIN; i++) {
            m.acquireAsync(new RecordingWaiter(EXCLUSIVE, null, () -> {
                granted.incrementAndGet();
                m.release(EXCLUSIVE, false); // grants the next waiter from inside this callback
            }));
        }
        assertEquals(CHAIN, m.queueLength());
        held.close();
        assertEquals(CHAIN, granted.get());
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
    }

    @Test
    void aMillionCallbacksThatEachReacquireRunWithoutStackOverflow() {
        Mutex<String> m = new Mutex<>("v");
        AtomicInteger remaining = new AtomicInteger(CHAIN);
        class Step implements Runnable {
            @Override
            public void run() {
                if (remaining.decrementAndGet() > 0) {
                    m.acquireAsync(new RecordingWaiter(EXCLUSIVE, null, this));
                }
                m.release(EXCLUSIVE, false);
            }
        }
        m.acquireAsync(new RecordingWaiter(EXCLUSIVE, null, new Step()));
        assertEquals(0, remaining.get());
        assertFalse(m.isLocked());
    }

    /**
     * Grant and cancel race on one decision: every request ends exactly once, as a grant or as a
     * cancellation, and the lock is free and the queue empty at the end (Vert.x's leaking timed-out
     * waiters; IBM async-util's stranded locks).
     */
    @Test
    void aMillionGrantVersusCancelRacesLoseNothing() {
        Mutex<String> m = new Mutex<>("v");
        int threads = 2;
        int perThread = CHAIN / threads;
        AtomicLong grants = new AtomicLong();
        AtomicLong cancellations = new AtomicLong();
        AtomicLong doubleEnded = new AtomicLong();
        assertTimeoutPreemptively(Duration.ofMinutes(2), () -> {
            List<Thread> racers = new ArrayList<>();
            CountDownLatch start = new CountDownLatch(1);
            for (int t = 0; t < threads; t++) {
                racers.add(Thread.ofPlatform().start(() -> {
                    awaitQuietly(start);
                    ThreadLocalRandom random = ThreadLocalRandom.current();
                    for (int i = 0; i < perThread; i++) {
                        AtomicInteger endings = new AtomicInteger();
                        RecordingWaiter w = new RecordingWaiter(EXCLUSIVE, null, () -> {
                            grants.incrementAndGet();
                            if (endings.incrementAndGet() > 1) {
                                doubleEnded.incrementAndGet();
                            }
                            m.release(EXCLUSIVE, false);
                        });
                        m.acquireAsync(w);
                        if (random.nextBoolean() && w.withdraw()) {
                            cancellations.incrementAndGet();
                            if (endings.incrementAndGet() > 1) {
                                doubleEnded.incrementAndGet();
                            }
                        }
                    }
                }));
            }
            start.countDown();
            for (Thread r : racers) {
                r.join();
            }
        });
        await().atMost(Duration.ofSeconds(30)).until(() -> grants.get() + cancellations.get() == CHAIN);
        assertEquals(0, doubleEnded.get());
        assertTrue(cancellations.get() > 0, "some cancellations won");
        assertTrue(grants.get() > 0, "some grants won");
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
        assertFalse(m.hasQueuedWaiters());
    }

    @Test
    void aGrantRunsOnTheWaitersExecutor() throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor(r -> new Thread(r, "grant-pool"));
        try {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CountDownLatch ran = new CountDownLatch(1);
            String[] threadName = new String[1];
            m.acquireAsync(new RecordingWaiter(EXCLUSIVE, pool, () -> {
                threadName[0] = Thread.currentThread().getName();
                ran.countDown();
            }));
            held.close();
            assertTrue(ran.await(10, java.util.concurrent.TimeUnit.SECONDS));
            assertEquals("grant-pool", threadName[0]);
            m.release(EXCLUSIVE, false);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aGrantTheExecutorRefusesReleasesTheLock() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicInteger granted = new AtomicInteger();
        RecordingWaiter refused = new RecordingWaiter(EXCLUSIVE, task -> {
            throw new RejectedExecutionException("shut down");
        }, granted::incrementAndGet);
        m.acquireAsync(refused);
        held.close();
        assertEquals(0, granted.get());
        assertInstanceOf(RejectedExecutionException.class, refused.failure.get());
        assertFalse(m.isLocked(), "the refused grant was released");
    }

    @Test
    void aThrowingCallbackDoesNotStopLaterDeliveries() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        AtomicInteger secondGranted = new AtomicInteger();
        AtomicReferenceHandler handler = new AtomicReferenceHandler();
        Thread.UncaughtExceptionHandler previous = Thread.currentThread().getUncaughtExceptionHandler();
        Thread.currentThread().setUncaughtExceptionHandler(handler);
        try {
            m.acquireAsync(new RecordingWaiter(EXCLUSIVE, null, () -> {
                m.release(EXCLUSIVE, false);
                throw new IllegalStateException("boom");
            }));
            m.acquireAsync(new RecordingWaiter(EXCLUSIVE, null, secondGranted::incrementAndGet));
            held.close();
        } finally {
            Thread.currentThread().setUncaughtExceptionHandler(previous);
        }
        assertEquals("boom", handler.seen.getMessage());
        assertEquals(1, secondGranted.get());
        m.release(EXCLUSIVE, false);
    }

    private static final class AtomicReferenceHandler implements Thread.UncaughtExceptionHandler {
        volatile Throwable seen;

        @Override
        public void uncaughtException(Thread t, Throwable e) {
            seen = e;
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
