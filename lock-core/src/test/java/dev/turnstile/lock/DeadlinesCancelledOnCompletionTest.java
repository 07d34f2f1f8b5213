package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * issue #8.6: the timeout of every timed asynchronous acquisition lives on {@link Deadlines}, and is
 * cancelled (and leaves the timer's queue) as soon as the acquisition is settled otherwise: granted,
 * cancelled, or timed out. Before, the timeouts of {@code tryLockAsync} and
 * {@code awaitAsync(guard, timeout)} sat on {@code CompletableFuture.delayedExecutor} until their
 * deadline, about 165 B each, and a completed {@code awaitAsync(guard, 1 h)} kept its mutex reachable
 * (see {@link Issue8RegressionTest} for the heap and reachability checks that fail on the old code).
 * Uses the package-private {@link Deadlines#pending()}; lock-core's tests run one class at a time, so
 * the count is this test's own.
 */
class DeadlinesCancelledOnCompletionTest {
    private static final Duration HOUR = Duration.ofHours(1);
    private static final Duration BOUND = Duration.ofSeconds(10);

    private final Mutex<String> mutex = new Mutex<>("v");
    private final Condvar condvar = new Condvar();

    @BeforeEach
    void noDeadlineLeftByEarlierTests() {
        await("deadlines of earlier tests").atMost(BOUND).until(() -> Deadlines.pending() == 0);
    }

    @Test
    void aGrantedTryLockAsyncCancelsItsDeadline() {
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> timed = mutex.tryLockAsync(HOUR);
        assertEquals(1, Deadlines.pending());
        held.close();
        timed.join().close();
        assertEquals(0, Deadlines.pending());
    }

    @Test
    void aTryLockAsyncGrantedOnAnExecutorCancelsItsDeadline() {
        QueuedExecutor executor = new QueuedExecutor();
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> timed = mutex.tryLockAsync(HOUR, executor);
        held.close();
        executor.runAll();
        timed.join().close();
        assertEquals(0, Deadlines.pending());
    }

    @Test
    void aFreeMutexNeverArmsADeadline() {
        mutex.tryLockAsync(HOUR).join().close();
        assertEquals(0, Deadlines.pending());
    }

    @Test
    void aCancelledTryLockAsyncCancelsItsDeadline() {
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> timed = mutex.tryLockAsync(HOUR);
        assertTrue(timed.cancel(false));
        assertEquals(0, Deadlines.pending());
        held.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void aTimedOutTryLockAsyncLeavesNoDeadline() {
        MutexGuard<String> held = mutex.lock();
        CompletableFuture<MutexGuard<String>> timed = mutex.tryLockAsync(Duration.ofMillis(1));
        await().atMost(BOUND).until(timed::isDone);
        assertInstanceOf(LockTimeoutException.class, assertThrows(CompletionException.class, timed::join).getCause());
        await().atMost(BOUND).until(() -> Deadlines.pending() == 0);
        held.close();
    }

    @Test
    void aNotifiedTimedAwaitAsyncCancelsItsDeadline() {
        CompletableFuture<Condvar.Wakeup<String>> woken = condvar.awaitAsync(mutex.lock(), HOUR);
        assertEquals(1, Deadlines.pending());
        assertTrue(condvar.notifyOne());
        Condvar.Wakeup<String> wakeup = woken.join();
        assertTrue(wakeup.notified());
        assertEquals(0, Deadlines.pending());
        wakeup.guard().close();
    }

    @Test
    void aNotifiedTimedAwaitAsyncThatWaitsForTheMutexCancelsItsDeadlineOnlyWhenGranted() {
        CompletableFuture<Condvar.Wakeup<String>> woken = condvar.awaitAsync(mutex.lock(), HOUR);
        MutexGuard<String> notifier = mutex.lock();
        assertTrue(condvar.notifyOne());
        notifier.close();
        woken.join().guard().close();
        assertEquals(0, Deadlines.pending());
    }

    @Test
    void aCancelledTimedAwaitAsyncCancelsItsDeadline() {
        CompletableFuture<Condvar.Wakeup<String>> waiting = condvar.awaitAsync(mutex.lock(), HOUR);
        assertTrue(waiting.cancel(false));
        assertEquals(0, Deadlines.pending());

        CompletableFuture<Condvar.Wakeup<String>> notified = condvar.awaitAsync(mutex.lock(), HOUR);
        MutexGuard<String> notifier = mutex.lock();
        assertTrue(condvar.notifyOne());
        assertTrue(notified.cancel(false), "withdrawn from the mutex's queue");
        assertEquals(0, Deadlines.pending());
        notifier.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void callbackLevelTimedAwaitsCancelTheirDeadlineOnGrantAndOnCancel() {
        AtomicReference<Condvar.Wakeup<String>> delivered = new AtomicReference<>();
        LockCallback<Condvar.Wakeup<String>> keep = new LockCallback<>() {
            @Override
            public void onLocked(Condvar.Wakeup<String> wakeup) {
                delivered.set(wakeup);
            }

            @Override
            public void onFailed(Throwable cause) {
                throw new AssertionError(cause);
            }
        };
        condvar.awaitAsync(mutex.lock(), HOUR, keep, null);
        assertEquals(1, Deadlines.pending());
        assertTrue(condvar.notifyOne());
        assertTrue(delivered.get().notified());
        delivered.get().guard().close();
        assertEquals(0, Deadlines.pending());

        PendingLock pending = condvar.awaitAsync(mutex.lock(), HOUR, keep, null);
        assertTrue(pending.cancel());
        assertEquals(0, Deadlines.pending());
        assertFalse(mutex.isLocked());
    }

    @Test
    void aTimedAwaitAsyncThatTimesOutLeavesNoDeadline() {
        CompletableFuture<Condvar.Wakeup<String>> woken = condvar.awaitAsync(mutex.lock(), Duration.ofMillis(1));
        await().atMost(BOUND).until(woken::isDone);
        assertFalse(woken.join().notified());
        woken.join().guard().close();
        await().atMost(BOUND).until(() -> Deadlines.pending() == 0);
    }

    @Test
    void manyGrantedTimedAcquisitionsLeaveNothingOnTheTimer() {
        MutexGuard<String> held = mutex.lock();
        for (int i = 0; i < 10_000; i++) {
            CompletableFuture<MutexGuard<String>> next = mutex.tryLockAsync(HOUR);
            held.close();
            held = next.join();
            CompletableFuture<Condvar.Wakeup<String>> woken = condvar.awaitAsync(held, HOUR);
            condvar.notifyOne();
            held = woken.join().guard();
        }
        held.close();
        assertEquals(0, Deadlines.pending());
    }
}
