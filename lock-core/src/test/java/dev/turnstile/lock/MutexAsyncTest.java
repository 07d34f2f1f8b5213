package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** {@link Mutex#lockAsync()} and friends: completion, where it runs, and a caller's power over the future. */
class MutexAsyncTest {
    private static final Executor REJECTING = task -> {
        throw new RejectedExecutionException("shut down");
    };

    /** Records what a {@link LockCallback} received. */
    static final class Recorder implements LockCallback<MutexGuard<String>> {
        final List<MutexGuard<String>> guards = new ArrayList<>();
        final List<Throwable> failures = new ArrayList<>();

        @Override
        public void onLocked(MutexGuard<String> guard) {
            guards.add(guard);
        }

        @Override
        public void onFailed(Throwable cause) {
            failures.add(cause);
        }
    }

    @Nested
    class Completion {
        @Test
        void uncontendedLockAsyncCompletesBeforeReturning() {
            Mutex<String> m = new Mutex<>("v");
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();
            assertTrue(f.isDone());
            try (MutexGuard<String> g = f.join()) {
                assertEquals("v", g.get());
                assertTrue(m.isLocked());
            }
            assertFalse(m.isLocked());
        }

        @Test
        void queuedLockAsyncCompletesOnTheReleasingThread() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            f.thenAccept(g -> {
                ranOn.set(Thread.currentThread());
                g.close();
            });
            assertFalse(f.isDone());
            assertEquals(1, m.queueLength());

            held.close();

            assertSame(Thread.currentThread(), ranOn.get());
            assertFalse(m.isLocked());
            assertEquals(0, m.queueLength());
        }

        @Test
        void lockAsyncWithExecutorCompletesOnThatExecutorEvenWhenFree() {
            Mutex<String> m = new Mutex<>("v");
            QueuedExecutor executor = new QueuedExecutor();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync(executor);
            assertFalse(f.isDone(), "the grant waits for the executor");
            assertTrue(m.isLocked(), "but the lock is already this waiter's");

            assertEquals(1, executor.runAll());
            f.join().close();
            assertFalse(m.isLocked());
        }

        @Test
        void rejectedDeliveryReleasesTheLockAndFailsTheFuture() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync(REJECTING);
            held.close();

            assertFalse(m.isLocked());
            CompletionException e = assertThrows(CompletionException.class, f::join);
            assertInstanceOf(RejectedExecutionException.class, e.getCause());
        }
    }

    @Nested
    class CallerCompletion {
        @Test
        void cancellingAQueuedFutureWithdrawsTheWaiter() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();
            assertEquals(1, m.queueLength());

            assertTrue(f.cancel(false));

            assertEquals(0, m.queueLength());
            assertFalse(m.hasQueuedWaiters());
            held.close();
            assertFalse(m.isLocked());
            assertTrue(f.isCancelled());
        }

        /**
         * IBM async-util hands out the future it completes itself, so cancelling it after the grant
         * strands the lock. Here the grant that lost the race is released when it arrives.
         */
        @Test
        void cancelAfterGrantReleasesTheLock() {
            Mutex<String> m = new Mutex<>("v");
            QueuedExecutor executor = new QueuedExecutor();
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync(executor);
            held.close(); // granted to f; the delivery waits in the executor
            assertTrue(m.isLocked());

            assertTrue(f.cancel(false), "the future was not complete, so the cancel wins the future");
            executor.runAll();

            assertFalse(m.isLocked(), "the grant that lost was released");
            assertTrue(f.isCancelled());
        }

        @Test
        void completingAQueuedFutureByHandWithdrawsTheWaiter() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();

            assertTrue(f.complete(null));

            assertEquals(0, m.queueLength());
            assertNull(f.join());
            held.close();
            assertFalse(m.isLocked());
        }

        @Test
        void completeExceptionallyWithdrawsTheWaiter() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();

            assertTrue(f.completeExceptionally(new IllegalStateException("gave up")));

            assertEquals(0, m.queueLength());
            held.close();
            assertFalse(m.isLocked());
        }

        @Test
        void orTimeoutOnTheFutureWithdrawsTheWaiter() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync().orTimeout(5, TimeUnit.MILLISECONDS);

            await().atMost(Duration.ofSeconds(10)).until(f::isDone);

            assertEquals(0, m.queueLength());
            assertInstanceOf(TimeoutException.class, assertThrows(CompletionException.class, f::join).getCause());
            held.close();
            assertFalse(m.isLocked());
        }

        @Test
        void completeOnTimeoutWithdrawsTheWaiter() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync().completeOnTimeout(null, 5, TimeUnit.MILLISECONDS);

            await().atMost(Duration.ofSeconds(10)).until(f::isDone);

            assertEquals(0, m.queueLength());
            held.close();
            assertFalse(m.isLocked());
        }

        @Test
        void completeAsyncGoesThroughTheWithdrawal() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();

            f.completeAsync(() -> null, Runnable::run);

            assertTrue(f.isDone());
            assertEquals(0, m.queueLength());
            held.close();
            assertFalse(m.isLocked());
        }

        @Test
        void dependentsSeeTheWaiterAlreadyWithdrawn() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();
            AtomicInteger queuedWhenNotified = new AtomicInteger(-1);
            f.whenComplete((g, e) -> queuedWhenNotified.set(m.queueLength()));

            f.cancel(false);

            assertEquals(0, queuedWhenNotified.get());
            held.close();
        }

        @Test
        void obtrudingIsRefusedBecauseItCouldDiscardAGuard() {
            Mutex<String> m = new Mutex<>("v");
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();
            assertThrows(UnsupportedOperationException.class, () -> f.obtrudeValue(null));
            assertThrows(UnsupportedOperationException.class, () -> f.obtrudeException(new RuntimeException()));
            f.join().close();
            assertFalse(m.isLocked());
        }

        @Test
        void cancellingADeliveredFutureChangesNothing() {
            Mutex<String> m = new Mutex<>("v");
            CompletableFuture<MutexGuard<String>> f = m.lockAsync();
            assertFalse(f.cancel(false));
            assertTrue(m.isLocked(), "the caller owns the guard it was given");
            f.join().close();
        }
    }

    @Nested
    class CallbackLevel {
        @Test
        void callbackRunsBeforeLockAsyncReturnsWhenTheLockIsFree() {
            Mutex<String> m = new Mutex<>("v");
            Recorder r = new Recorder();
            PendingLock p = m.lockAsync(r);
            assertEquals(1, r.guards.size());
            assertTrue(p.isGranted());
            assertFalse(p.cancel(), "a granted acquisition cannot be withdrawn");
            r.guards.get(0).close();
            assertFalse(m.isLocked());
        }

        @Test
        void withdrawnCallbackNeverRuns() {
            Mutex<String> m = new Mutex<>("v");
            MutexGuard<String> held = m.lock();
            Recorder r = new Recorder();
            PendingLock p = m.lockAsync(r);

            assertTrue(p.cancel());
            assertTrue(p.isCancelled());
            assertFalse(p.cancel(), "only once");
            held.close();

            assertTrue(r.guards.isEmpty());
            assertTrue(r.failures.isEmpty());
            assertFalse(m.isLocked());
        }

        @Test
        void cancelThatLosesToTheGrantLeavesTheLockWithTheCallback() {
            Mutex<String> m = new Mutex<>("v");
            QueuedExecutor executor = new QueuedExecutor();
            MutexGuard<String> held = m.lock();
            Recorder r = new Recorder();
            PendingLock p = m.lockAsync(r, executor);
            held.close();

            assertFalse(p.cancel());
            assertTrue(p.isGranted());
            executor.runAll();

            assertEquals(1, r.guards.size());
            assertTrue(m.isLocked());
            r.guards.get(0).close();
            assertFalse(m.isLocked());
        }

        @Test
        void rejectedDeliveryIsReportedWithTheLockReleased() {
            Mutex<String> m = new Mutex<>("v");
            Recorder r = new Recorder();
            m.lockAsync(r, REJECTING);
            assertFalse(m.isLocked());
            assertEquals(1, r.failures.size());
            assertInstanceOf(RejectedExecutionException.class, r.failures.get(0));
            assertTrue(r.guards.isEmpty());
        }
    }

    @Test
    void badArgumentsFailFastAndLeaveTheLockAlone() {
        Mutex<String> m = new Mutex<>("v");
        Function<MutexGuard<String>, CompletableFuture<String>> body = g -> CompletableFuture.completedFuture("x");
        assertThrows(NullPointerException.class, () -> m.lockAsync((Executor) null));
        assertThrows(NullPointerException.class, () -> m.lockAsync((LockCallback<MutexGuard<String>>) null));
        assertThrows(NullPointerException.class, () -> m.lockAsync(new Recorder(), null));
        assertThrows(NullPointerException.class, () -> m.tryLockAsync((Duration) null));
        assertThrows(NullPointerException.class, () -> m.tryLockAsync((Instant) null));
        assertThrows(NullPointerException.class, () -> m.tryLockAsync(Duration.ZERO, (java.util.concurrent.Executor) null));
        assertThrows(NullPointerException.class, () -> m.withLockAsync(null));
        assertThrows(NullPointerException.class, () -> m.withLockAsync(body, null));
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
    }

    @Test
    void cancellationOfAFutureReportsCancellationNotTheLock() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> f = m.lockAsync();
        f.cancel(true);
        assertThrows(CancellationException.class, f::join);
        held.close();
    }
}
