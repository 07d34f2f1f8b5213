package dev.turnstile.lock.breakapi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.Condvar;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Interruptible Condvar waits attacked the way j.u.c's Condition is specified: an interrupt racing a
 * notification never loses the notification (a waiter that throws was not notified; one that was
 * notified returns normally), the mutex is held whenever await returns or throws, and nothing is
 * left counted as waiting. Each scenario runs on Condvar, on the Condition view, and on
 * ReentrantLock's Condition as the reference.
 */
@Timeout(120)
class CondvarInterruptBreakTest {

    /** One lock and condition under test: await in one of four forms, signal, and "am I inside". */
    interface Subject {
        /** Awaits in form {@code form} (0 untimed, 1 timed, 2 deadline, 3 awaitNanos); true if notified normally. */
        boolean await(int form) throws InterruptedException;

        void lock();

        void unlock();

        boolean signal();

        int waiting();
    }

    static Subject condvar() {
        Mutex<Void> m = new Mutex<>(null);
        Condvar cv = new Condvar();
        return new Subject() {
            MutexGuard<Void> g;

            @Override
            public boolean await(int form) throws InterruptedException {
                MutexGuard<Void> mine = g;
                try {
                    return switch (form) {
                        case 0 -> {
                            cv.await(mine);
                            yield true;
                        }
                        case 1 -> cv.await(mine, Duration.ofDays(1));
                        case 2 -> cv.awaitUntil(mine, Instant.MAX);
                        default -> cv.await(mine, Duration.ofSeconds(Long.MAX_VALUE));
                    };
                } finally {
                    assertTrue(mine.isHeld(), "the guard holds the mutex on every way out");
                    assertTrue(m.isLocked());
                    g = mine;
                }
            }

            @Override
            public void lock() {
                g = m.lock();
            }

            @Override
            public void unlock() {
                g.close();
            }

            @Override
            public boolean signal() {
                return cv.notifyOne();
            }

            @Override
            public int waiting() {
                return cv.waiterCount();
            }
        };
    }

    static Subject condition(Supplier<Lock> lockFactory, boolean turnstile) {
        Lock lock = lockFactory.get();
        Condition c = lock.newCondition();
        AtomicInteger waiting = new AtomicInteger();
        return new Subject() {
            @Override
            public boolean await(int form) throws InterruptedException {
                waiting.incrementAndGet();
                try {
                    return switch (form) {
                        case 0 -> {
                            c.await();
                            yield true;
                        }
                        case 1 -> c.await(1, TimeUnit.DAYS);
                        case 2 -> c.awaitUntil(new java.util.Date(Long.MAX_VALUE));
                        default -> c.awaitNanos(Long.MAX_VALUE) > 0;
                    };
                } finally {
                    waiting.decrementAndGet();
                    // unlock() throws IllegalMonitorStateException unless the lock is held again
                    if (lock instanceof ReentrantLock r) {
                        assertTrue(r.isHeldByCurrentThread());
                    }
                }
            }

            @Override
            public void lock() {
                lock.lock();
            }

            @Override
            public void unlock() {
                lock.unlock();
            }

            @Override
            public boolean signal() {
                // Condition.signal says nothing of whether anyone was signalled: count the waiters
                // that entered and did not leave, under the lock, as the signaller sees them.
                lock.lock();
                try {
                    if (turnstile || lock instanceof ReentrantLock) {
                        boolean someone = lock instanceof ReentrantLock r ? r.hasWaiters(c) : waiting.get() > 0;
                        c.signal();
                        return someone;
                    }
                    return false;
                } finally {
                    lock.unlock();
                }
            }

            @Override
            public int waiting() {
                return waiting.get();
            }
        };
    }

    /**
     * N waiters; a signaller and an interrupter race. Every waiter ends either notified (returned
     * normally) or interrupted (threw) -- the latter must not have consumed a notification. So the
     * notifications that found a waiter equal the normal returns.
     */
    private static void interruptRacingNotify(Supplier<Subject> subjects, boolean virtual) throws Exception {
        interruptRacingNotify(subjects, virtual, true);
    }

    private static void interruptRacingNotify(Supplier<Subject> subjects, boolean virtual, boolean exactSignals)
            throws Exception {
        for (int round = 0; round < 200; round++) {
            Subject s = subjects.get();
            int n = 4;
            AtomicInteger notifiedReturns = new AtomicInteger();
            AtomicInteger interruptedThrows = new AtomicInteger();
            AtomicInteger entered = new AtomicInteger();
            int form = round % 4;
            List<Thread> waiters = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Runnable body = () -> {
                    s.lock();
                    try {
                        entered.incrementAndGet();
                        if (s.await(form)) {
                            notifiedReturns.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        interruptedThrows.incrementAndGet();
                    } finally {
                        s.unlock();
                    }
                };
                waiters.add(virtual ? Thread.ofVirtual().start(body) : Thread.ofPlatform().start(body));
            }
            // wait until all are waiting (entered under the lock, and the lock released by await)
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (s.waiting() < n) {
                assertTrue(System.nanoTime() < until, "waiters never all waited");
                Thread.onSpinWait();
            }
            int successfulSignals = 0;
            ThreadLocalRandom rnd = ThreadLocalRandom.current();
            Thread victim = waiters.get(rnd.nextInt(n));
            Thread interrupter = Thread.ofPlatform().start(victim::interrupt);
            // signal until every waiter has left (a signal that finds nobody returns false)
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (waiters.stream().anyMatch(Thread::isAlive)) {
                assertTrue(System.nanoTime() < deadline, "a waiter never left: lost notification?");
                if (s.signal()) {
                    successfulSignals++;
                }
                Thread.yield();
            }
            interrupter.join();
            for (Thread t : waiters) {
                t.join();
            }
            assertEquals(n, notifiedReturns.get() + interruptedThrows.get());
            assertTrue(interruptedThrows.get() <= 1);
            assertEquals(exactSignals ? successfulSignals : notifiedReturns.get(), notifiedReturns.get(),
                    "round " + round + " form " + form + ": a notification was lost or invented");
            assertEquals(0, s.waiting(), "nothing stays counted as waiting");
        }
    }

    @Test
    void condvarInterruptRacingNotifyPlatform() throws Exception {
        interruptRacingNotify(CondvarInterruptBreakTest::condvar, false);
    }

    @Test
    void condvarInterruptRacingNotifyVirtual() throws Exception {
        interruptRacingNotify(CondvarInterruptBreakTest::condvar, true);
    }

    @Test
    void reentrantLockConditionReference() throws Exception {
        interruptRacingNotify(() -> condition(ReentrantLock::new, false), false);
    }

    @Test
    void conditionViewInterruptRacingNotify() throws Exception {
        interruptRacingNotify(() -> condition(() -> new Mutex<>(null).asLock(), true), true, false);
    }

    /**
     * Interrupted while it re-acquires after a notification: it returns normally, with the interrupt
     * status set, and holds the mutex; interrupted while it re-acquires after its own interrupt, it
     * throws with the mutex held.
     */
    @Test
    void interruptedWhileReacquiringStillHoldsTheMutex() throws Exception {
        Mutex<int[]> m = new Mutex<>(new int[1]);
        Condvar cv = new Condvar();
        AtomicInteger outcome = new AtomicInteger(-1);
        Thread waiter = Thread.ofPlatform().start(() -> {
            try (MutexGuard<int[]> g = m.lock()) {
                try {
                    cv.await(g);
                    outcome.set(Thread.currentThread().isInterrupted() ? 1 : 0);
                } catch (InterruptedException e) {
                    outcome.set(2);
                }
                assertTrue(g.isHeld());
                g.get()[0]++;
            }
        });
        while (cv.waiterCount() == 0) {
            Thread.onSpinWait();
        }
        try (MutexGuard<int[]> g = m.lock()) {
            assertTrue(cv.notifyOne());
            // the waiter is now on the mutex's queue, behind us: interrupt it while it waits for the mutex
            while (m.queueLength() == 0) {
                Thread.onSpinWait();
            }
            waiter.interrupt();
            Thread.sleep(20); // give it a chance to (wrongly) react while we still hold the mutex
            assertEquals(-1, outcome.get(), "it may not leave await while we hold the mutex");
            assertEquals(0, g.get()[0]);
        }
        waiter.join(10_000);
        assertFalse(waiter.isAlive());
        assertEquals(1, outcome.get(), "notified first: returns normally, interrupt status kept");
        assertEquals(1, (int) m.<Integer>withLock(a -> a[0]));
        assertEquals(0, cv.waiterCount());
    }

    @Test
    void tryOnceWaitsOnAFifoMutexDoNotOvertakeQueuedWaiters() throws Exception {
        Mutex<Void> fifo = Mutex.builder().fairness(dev.turnstile.lock.Fairness.FIFO).build(null);
        MutexGuard<Void> held = fifo.lock();
        Thread queued = Thread.ofPlatform().start(() -> fifo.lock().close());
        while (fifo.queueLength() == 0) {
            Thread.onSpinWait();
        }
        // release with a hand-off would grant the queued thread; a plain release under FIFO hands off too
        held.close();
        queued.join(10_000);
        assertFalse(queued.isAlive());
        // past-Instant, zero, negative, MIN: one attempt on a free mutex succeeds
        for (Duration d : List.of(Duration.ZERO, Duration.ofNanos(-1), Duration.ofSeconds(Long.MIN_VALUE))) {
            fifo.tryLock(d).orElseThrow().close();
        }
        fifo.tryLock(Instant.MIN).orElseThrow().close();
        fifo.tryLock(Instant.now().minusSeconds(5)).orElseThrow().close();
        fifo.tryLock(Instant.MAX).orElseThrow().close();
    }

    /**
     * On ranked mutexes (tracked holds): an await interrupted on entry, one interrupted while waiting,
     * and one that timed out each leave the thread's record of holds as it was: afterwards the outer
     * (lower-rank) mutex can be released and both taken again in order, and a deadlock search finds
     * nothing left over.
     */
    @Test
    void interruptedAwaitsOnRankedMutexesKeepTheHoldRecordsStraight() throws Exception {
        Mutex<String> outer = Mutex.builder().name("outer").rank(1).build("o");
        Mutex<String> inner = Mutex.builder().name("inner").rank(2).build("i");
        Condvar cv = new Condvar();
        for (int round = 0; round < 50; round++) {
            java.util.concurrent.CountDownLatch untimedNext = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread t = Thread.ofPlatform().start(() -> {
                try {
                    try (MutexGuard<String> o = outer.lock(); MutexGuard<String> g = inner.lock()) {
                        Thread.currentThread().interrupt();
                        org.junit.jupiter.api.Assertions.assertThrows(InterruptedException.class, () -> cv.await(g));
                        assertTrue(g.isHeld());
                        assertFalse(cv.await(g, Duration.ofMillis(1)));
                        untimedNext.countDown();
                        try {
                            cv.await(g); // interrupted by the main thread
                            throw new AssertionError("returned without a notification");
                        } catch (InterruptedException expected) {
                            assertTrue(g.isHeld());
                        }
                    }
                    // released in reverse order; taking both again in rank order must be allowed
                    try (MutexGuard<String> o = outer.lock(); MutexGuard<String> g = inner.lock()) {
                        assertTrue(o.isHeld() && g.isHeld());
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            assertTrue(untimedNext.await(10, TimeUnit.SECONDS));
            while (cv.waiterCount() == 0 && t.isAlive()) {
                Thread.onSpinWait();
            }
            t.interrupt();
            t.join(10_000);
            assertFalse(t.isAlive());
            if (failure.get() != null) {
                throw new AssertionError("round " + round, failure.get());
            }
            assertFalse(outer.isLocked());
            assertFalse(inner.isLocked());
            assertEquals(List.of(), dev.turnstile.lock.Deadlocks.detect());
        }
    }
}
