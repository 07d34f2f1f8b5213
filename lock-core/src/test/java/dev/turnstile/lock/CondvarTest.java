package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@link Condvar}: notification by requeue, timeouts and interrupts that re-acquire, misuse, the Condition view. */
@Timeout(30)
class CondvarTest {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** What a waiting thread saw when {@code await} came back. */
    record Returned(Object result, boolean heldTheMutex, boolean interruptStatus) {
    }

    /** A thread that locks {@code m}, runs {@code wait} with the guard, and reports how it came back. */
    private static CompletableFuture<Returned> waiter(Mutex<?> m, AtomicReference<Thread> thread, GuardedWait wait) {
        CompletableFuture<Returned> done = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            if (thread != null) {
                thread.set(Thread.currentThread());
            }
            MutexGuard<?> g = m.lock();
            Object result;
            try {
                result = wait.run(g);
            } catch (Throwable t) {
                result = t;
            }
            boolean held = m.isLocked() && g.isHeld();
            boolean interrupted = Thread.interrupted();
            g.close();
            done.complete(new Returned(result, held, interrupted));
        });
        return done;
    }

    @FunctionalInterface
    interface GuardedWait {
        Object run(MutexGuard<?> g) throws Exception;
    }

    private static void awaitCondvarWaiters(Condvar cv, int n) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(1)).until(() -> cv.waiterCount() == n);
    }

    // ---------------------------------------------------------------- notification

    @Test
    void notifyOneWakesTheLongestWaiterWithTheMutexHeld() throws Exception {
        Mutex<List<String>> m = new Mutex<>(new ArrayList<>());
        Condvar cv = new Condvar();
        CompletableFuture<Returned> first = waiter(m, null, g -> {
            cv.await(g);
            return "first";
        });
        awaitCondvarWaiters(cv, 1);
        CompletableFuture<Returned> second = waiter(m, null, g -> {
            cv.await(g);
            return "second";
        });
        awaitCondvarWaiters(cv, 2);
        assertTrue(cv.notifyOne());
        Returned r = first.get(10, TimeUnit.SECONDS);
        assertEquals("first", r.result());
        assertTrue(r.heldTheMutex());
        assertEquals(1, cv.waiterCount());
        assertFalse(second.isDone());
        assertTrue(cv.notifyOne());
        assertEquals("second", second.get(10, TimeUnit.SECONDS).result());
        assertFalse(cv.notifyOne(), "nobody left to notify");
        assertFalse(m.isLocked());
    }

    @Test
    void notifyAllWithTheMutexHeldMovesEveryWaiterOntoTheMutexQueueAndWakesNone() throws Exception {
        Mutex<AtomicInteger> m = new Mutex<>(new AtomicInteger());
        Condvar cv = new Condvar();
        int n = 5;
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger maxInside = new AtomicInteger();
        List<CompletableFuture<Returned>> waiters = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            waiters.add(waiter(m, null, g -> {
                cv.await(g);
                maxInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
                inside.decrementAndGet();
                return null;
            }));
        }
        awaitCondvarWaiters(cv, n);
        try (MutexGuard<AtomicInteger> g = m.lock()) {
            assertEquals(n, cv.notifyAllWaiters());
            // Moved, not woken: every waiter now stands in the mutex's own queue, parked.
            assertEquals(0, cv.waiterCount());
            assertEquals(n, m.queueLength());
            assertTrue(m.hasQueuedWaiters());
        }
        for (CompletableFuture<Returned> w : waiters) {
            assertTrue(w.get(10, TimeUnit.SECONDS).heldTheMutex());
        }
        assertEquals(1, maxInside.get());
        assertEquals(0, m.queueLength());
    }

    @Test
    void notifyAllWithTheMutexFreeWakesOneAndQueuesTheRest() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        List<CompletableFuture<Returned>> waiters = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            waiters.add(waiter(m, null, g -> {
                cv.await(g);
                return "done";
            }));
        }
        awaitCondvarWaiters(cv, 4);
        assertEquals(4, cv.notifyAllWaiters());
        for (CompletableFuture<Returned> w : waiters) {
            Returned r = w.get(10, TimeUnit.SECONDS);
            assertEquals("done", r.result());
            assertTrue(r.heldTheMutex());
        }
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
    }

    @Test
    void unparkingAWaiterIsNotAWakeUp() throws Exception {
        Returned r = awaitThroughADisturbance(t -> {
            for (int i = 0; i < 100; i++) {
                LockSupport.unpark(t); // what a spurious return from park looks like
            }
        });
        assertFalse(r.interruptStatus());
    }

    /**
     * Starts an {@code awaitUninterruptibly}, disturbs the waiting thread, checks that it keeps
     * waiting, then notifies it and returns how it came back.
     */
    private static Returned awaitThroughADisturbance(java.util.function.Consumer<Thread> disturbance) throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        AtomicReference<Thread> thread = new AtomicReference<>();
        CompletableFuture<Returned> w = waiter(m, thread, g -> {
            cv.awaitUninterruptibly(g);
            return "notified";
        });
        awaitCondvarWaiters(cv, 1);
        disturbance.accept(thread.get());
        await().during(Duration.ofMillis(200)).atMost(PATIENCE).until(() -> !w.isDone() && cv.waiterCount() == 1);
        cv.notifyOne();
        Returned r = w.get(10, TimeUnit.SECONDS);
        assertEquals("notified", r.result());
        assertTrue(r.heldTheMutex());
        return r;
    }

    // ---------------------------------------------------------------- timeouts and interrupts

    @Test
    void aTimedOutWaiterReturnsFalseOnlyOnceItHoldsTheMutexAgain() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        CompletableFuture<Returned> w = waiter(m, null, g -> cv.await(g, Duration.ofSeconds(1)));
        awaitCondvarWaiters(cv, 1);
        MutexGuard<String> mine = m.lock();
        // It times out while we hold the mutex: it leaves the condvar and queues for the mutex.
        await().atMost(PATIENCE).until(() -> cv.waiterCount() == 0 && m.queueLength() == 1);
        assertFalse(w.isDone(), "returned without the mutex");
        mine.close();
        Returned r = w.get(10, TimeUnit.SECONDS);
        assertEquals(false, r.result());
        assertTrue(r.heldTheMutex());
    }

    @Test
    void timedAwaitsReportANotification() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        CompletableFuture<Returned> timed = waiter(m, null, g -> cv.await(g, Duration.ofMinutes(5)));
        awaitCondvarWaiters(cv, 1);
        CompletableFuture<Returned> until = waiter(m, null, g -> cv.awaitUntil(g, Instant.now().plusSeconds(300)));
        awaitCondvarWaiters(cv, 2);
        cv.notifyAllWaiters();
        assertEquals(true, timed.get(10, TimeUnit.SECONDS).result());
        assertEquals(true, until.get(10, TimeUnit.SECONDS).result());
        try (MutexGuard<String> g = m.lock()) {
            assertFalse(cv.awaitUntil(g, Instant.now().minusSeconds(1)), "a past deadline times out at once");
            assertFalse(cv.await(g, Duration.ZERO));
            assertTrue(g.isHeld() && m.isLocked());
        }
    }

    @Test
    void anInterruptedWaiterThrowsOnlyOnceItHoldsTheMutexAgain() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        AtomicReference<Thread> thread = new AtomicReference<>();
        CompletableFuture<Returned> w = waiter(m, thread, g -> {
            cv.await(g); // interruptible, as Condition.await()
            return "notified";
        });
        awaitCondvarWaiters(cv, 1);
        MutexGuard<String> mine = m.lock();
        thread.get().interrupt();
        await().atMost(PATIENCE).until(() -> cv.waiterCount() == 0 && m.queueLength() == 1);
        assertFalse(w.isDone(), "threw without the mutex");
        mine.close();
        Returned r = w.get(10, TimeUnit.SECONDS);
        assertInstanceOf(InterruptedException.class, r.result());
        assertTrue(r.heldTheMutex());
        assertFalse(r.interruptStatus(), "the InterruptedException consumed the interrupt");
    }

    @Test
    void aTimedAwaitThrowsWhenInterruptedBeforeTheCall() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        Returned r = waiter(m, null, g -> {
            Thread.currentThread().interrupt();
            return cv.await(g, Duration.ofMinutes(1));
        }).get(10, TimeUnit.SECONDS);
        assertInstanceOf(InterruptedException.class, r.result());
        assertTrue(r.heldTheMutex());
        assertEquals(0, cv.waiterCount());
    }

    @Test
    void awaitUninterruptiblyKeepsWaitingThroughAnInterruptAndKeepsTheStatus() throws Exception {
        assertTrue(awaitThroughADisturbance(Thread::interrupt).interruptStatus());
    }

    @Test
    void timeoutsRacingNotificationsNeverLoseTheMutexOrAWaiter() throws Exception {
        // Each round: a timed waiter and a notifier race; whoever wins, the waiter comes back holding
        // the mutex, and a notification that found a waiter was received by it.
        Mutex<int[]> m = new Mutex<>(new int[1]);
        Condvar cv = new Condvar();
        int rounds = 2_000;
        AtomicInteger notifiedReturns = new AtomicInteger();
        AtomicInteger notificationsDelivered = new AtomicInteger();
        AtomicInteger heldViolations = new AtomicInteger();
        Thread waiterThread = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < rounds; i++) {
                try (MutexGuard<int[]> g = m.lock()) {
                    if (cv.await(g, Duration.ofNanos(20_000))) {
                        notifiedReturns.incrementAndGet();
                    }
                    if (!m.isLocked()) {
                        heldViolations.incrementAndGet();
                    }
                    g.get()[0]++;
                } catch (InterruptedException e) {
                    throw new AssertionError("nobody interrupts this thread", e);
                }
            }
        });
        Thread notifier = Thread.ofPlatform().start(() -> {
            while (waiterThread.isAlive()) {
                if (cv.notifyOne()) {
                    notificationsDelivered.incrementAndGet();
                }
                Thread.onSpinWait();
            }
        });
        waiterThread.join();
        notifier.join();
        assertEquals(0, heldViolations.get());
        assertEquals(notificationsDelivered.get(), notifiedReturns.get());
        assertEquals(rounds, (int) m.withLock(a -> a[0]));
        assertEquals(0, cv.waiterCount());
        assertEquals(0, m.queueLength());
    }

    // ---------------------------------------------------------------- misuse

    @Test
    void waitingWithASecondMutexWhileWaitersExistIsRefusedWithTheMutexStillHeld() throws Exception {
        Mutex<String> first = new Mutex<>("a");
        Mutex<String> second = new Mutex<>("b");
        Condvar cv = new Condvar();
        CompletableFuture<Returned> w = waiter(first, null, g -> {
            cv.await(g);
            return "ok";
        });
        awaitCondvarWaiters(cv, 1);
        try (MutexGuard<String> g = second.lock()) {
            assertThrows(IllegalStateException.class, () -> cv.await(g));
            assertTrue(g.isHeld() && second.isLocked());
        }
        cv.notifyOne();
        assertEquals("ok", w.get(10, TimeUnit.SECONDS).result());
        // Once nobody waits, the condvar may serve another mutex.
        try (MutexGuard<String> g = second.lock()) {
            assertFalse(cv.await(g, Duration.ofMillis(1)));
        }
    }

    @Test
    void badArgumentsAreRefusedAtOnce() throws Exception {
        Mutex<String> m = new Mutex<>("v");
        Condvar cv = new Condvar();
        MutexGuard<String> closed = m.lock();
        closed.close();
        assertThrows(IllegalStateException.class, () -> cv.await(closed));
        assertThrows(NullPointerException.class, () -> cv.await(null));
        try (MutexGuard<String> g = m.lock()) {
            assertThrows(NullPointerException.class, () -> cv.await(g, null));
            assertThrows(NullPointerException.class, () -> cv.awaitUntil(g, null));
            assertTrue(m.isLocked());
        }
        assertFalse(m.isLocked());
        assertEquals(0, cv.waiterCount());
    }

    // ---------------------------------------------------------------- the Condition view

    @Test
    void theLockViewsConditionIsBackedByACondvar() throws Exception {
        Mutex<Void> m = new Mutex<>(null);
        Lock lock = m.asLock();
        Condition ready = lock.newCondition();
        int[] value = new int[1]; // guarded by lock
        assertThrows(IllegalMonitorStateException.class, ready::signal);
        assertThrows(IllegalMonitorStateException.class, ready::await);

        AtomicReference<Thread> consumerThread = new AtomicReference<>();
        CompletableFuture<Integer> consumer = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            consumerThread.set(Thread.currentThread());
            lock.lock();
            try {
                while (value[0] == 0) {
                    ready.await();
                }
                consumer.complete(value[0]);
            } catch (Throwable t) {
                consumer.completeExceptionally(t);
            } finally {
                lock.unlock();
            }
        });
        // Parked with the mutex free: it is inside await.
        await().atMost(PATIENCE).until(() -> consumerThread.get() != null
                && consumerThread.get().getState() == Thread.State.WAITING && !m.isLocked());
        lock.lock();
        try {
            ready.signalAll();
            assertEquals(1, m.queueLength(), "signalled, and moved onto the mutex queue");
        } finally {
            lock.unlock();
        }
        // The value is still 0: it re-checks and waits again.
        await().atMost(PATIENCE).until(() -> consumerThread.get().getState() == Thread.State.WAITING
                && !m.isLocked() && m.queueLength() == 0);
        lock.lock();
        try {
            value[0] = 7;
            ready.signal();
        } finally {
            lock.unlock();
        }
        assertEquals(7, consumer.get(10, TimeUnit.SECONDS));

        lock.lock();
        assertTrue(ready.awaitNanos(1_000_000) <= 0);
        assertFalse(ready.await(1, TimeUnit.MILLISECONDS));
        assertFalse(ready.awaitUntil(new Date(System.currentTimeMillis() - 1)));
        lock.unlock(); // still the owner after every timed-out wait
        assertFalse(m.isLocked());
    }
}
