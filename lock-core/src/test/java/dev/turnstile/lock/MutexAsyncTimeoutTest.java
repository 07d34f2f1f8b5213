package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * {@link Mutex#tryLockAsync(Duration)}: a timeout is a cancellation with a deadline. Vert.x's local
 * locks once left timed-out waiters in the queue; here the waiter is gone before anyone is told.
 */
class MutexAsyncTimeoutTest {

    @Test
    void timedOutWaiterLeavesTheQueueBeforeItsDependentsRun() {
        Mutex<String> m = Mutex.builder().name("accounts").build("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> before = m.lockAsync();
        CompletableFuture<MutexGuard<String>> alsoBefore = m.lockAsync();
        int prior = m.queueLength();
        assertEquals(2, prior);

        CompletableFuture<MutexGuard<String>> timed = m.tryLockAsync(Duration.ofMillis(20));
        assertEquals(prior + 1, m.queueLength());
        AtomicInteger queuedWhenNotified = new AtomicInteger(-1);
        timed.whenComplete((g, e) -> queuedWhenNotified.set(m.queueLength()));

        await().atMost(Duration.ofSeconds(10)).until(timed::isDone);

        assertEquals(prior, queuedWhenNotified.get());
        assertEquals(prior, m.queueLength());
        LockTimeoutException timeout = assertInstanceOf(LockTimeoutException.class,
                assertThrows(CompletionException.class, timed::join).getCause());
        assertEquals("accounts", timeout.lockName());
        assertEquals(Duration.ofMillis(20), timeout.waitDuration());
        assertTrue(timeout.getMessage().contains("accounts"), timeout.getMessage());

        held.close();
        before.thenAccept(MutexGuard::close);
        alsoBefore.thenAccept(MutexGuard::close);
        assertFalse(m.isLocked());
        assertEquals(0, m.queueLength());
    }

    @Test
    void waiterBehindATimedOutOneIsServedNext() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> timed = m.tryLockAsync(Duration.ofMillis(5));
        CompletableFuture<MutexGuard<String>> next = m.lockAsync();

        await().atMost(Duration.ofSeconds(10)).until(timed::isDone);
        assertTrue(timed.isCompletedExceptionally());
        assertEquals(1, m.queueLength());

        held.close();
        assertTrue(next.isDone());
        next.join().close();
        assertFalse(m.isLocked());
    }

    @Test
    void unnamedLockTimeoutSaysSo() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> timed = m.tryLockAsync(Duration.ZERO);
        LockTimeoutException timeout = assertInstanceOf(LockTimeoutException.class,
                assertThrows(CompletionException.class, timed::join).getCause());
        assertNull(timeout.lockName());
        assertInstanceOf(TimeoutException.class, timeout, "recognised wherever orTimeout's exception is");
        held.close();
    }

    @Test
    void zeroTimeoutFailsAtOnceWhenHeldAndLeavesNoWaiter() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> f = m.tryLockAsync(Duration.ZERO);
        assertTrue(f.isCompletedExceptionally());
        assertEquals(0, m.queueLength());
        assertFalse(m.hasQueuedWaiters());
        held.close();
        assertFalse(m.isLocked());
    }

    @Test
    void zeroTimeoutSucceedsWhenFree() {
        Mutex<String> m = new Mutex<>("v");
        CompletableFuture<MutexGuard<String>> f = m.tryLockAsync(Duration.ZERO);
        assertTrue(f.isDone());
        f.join().close();
        assertFalse(m.isLocked());
    }

    @Test
    void grantBeforeTheDeadlineWins() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> f = m.tryLockAsync(Duration.ofMinutes(5));
        held.close();
        assertTrue(f.isDone());
        MutexGuard<String> g = f.join();
        assertTrue(g.isHeld());
        g.close();
        assertFalse(m.isLocked());
    }

    @Test
    void timeoutWithExecutorLeavesTheQueueAtOnceAndReportsOnTheExecutor() {
        Mutex<String> m = new Mutex<>("v");
        QueuedExecutor executor = new QueuedExecutor();
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> f = m.tryLockAsync(Duration.ofMillis(5), executor);

        await().atMost(Duration.ofSeconds(10)).until(() -> executor.pending() == 1);
        assertEquals(0, m.queueLength(), "withdrawn on the timer's thread");
        assertFalse(f.isDone(), "reported only on the executor");

        executor.runAll();
        assertInstanceOf(LockTimeoutException.class, assertThrows(CompletionException.class, f::join).getCause());
        held.close();
        assertFalse(m.isLocked());
    }

    @Test
    void cancellingATimedFutureWithdrawsItBeforeTheDeadline() {
        Mutex<String> m = new Mutex<>("v");
        MutexGuard<String> held = m.lock();
        CompletableFuture<MutexGuard<String>> f = m.tryLockAsync(Duration.ofMinutes(5));
        assertTrue(f.cancel(false));
        assertEquals(0, m.queueLength());
        held.close();
        assertFalse(m.isLocked());
    }
}
