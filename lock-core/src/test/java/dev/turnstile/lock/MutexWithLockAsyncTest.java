package dev.turnstile.lock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Mutex#withLockAsync}: the scope ends, and the mutex is released, however the body ends.
 * kotlinx.coroutines' {@code Mutex.withLock} once failed to release on cancellation; these tests
 * pin every exit, cancellation included.
 */
class MutexWithLockAsyncTest {
    private final Mutex<StringBuilder> mutex = new Mutex<>(new StringBuilder());

    @Test
    void releasesWhenTheBodyStageCompletes() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> body);
        assertTrue(mutex.isLocked());
        assertFalse(result.isDone());

        body.complete(42);

        assertFalse(mutex.isLocked());
        assertEquals(42, result.join());
    }

    @Test
    void releasesWhenTheBodyStageFails() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> body);

        body.completeExceptionally(new IllegalStateException("boom"));

        assertFalse(mutex.isLocked());
        assertInstanceOf(IllegalStateException.class, assertThrows(CompletionException.class, result::join).getCause());
    }

    @Test
    void releasesWhenTheBodyThrows() {
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> {
            throw new IllegalArgumentException("synchronous");
        });

        assertFalse(mutex.isLocked());
        assertInstanceOf(IllegalArgumentException.class, assertThrows(CompletionException.class, result::join).getCause());
    }

    @Test
    void releasesWhenTheBodyReturnsNull() {
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> null);

        assertFalse(mutex.isLocked());
        assertInstanceOf(NullPointerException.class, assertThrows(CompletionException.class, result::join).getCause());
    }

    @Test
    void releasesWhenTheResultIsCancelledWhileTheBodyRuns() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        AtomicReference<MutexGuard<StringBuilder>> guard = new AtomicReference<>();
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> {
            guard.set(g);
            return body;
        });
        assertTrue(mutex.isLocked());

        assertTrue(result.cancel(false));

        assertFalse(mutex.isLocked());
        assertTrue(body.isCancelled(), "the body's stage is cancelled too");
        assertThrows(IllegalStateException.class, () -> guard.get().get(), "a late body cannot touch the value");
    }

    @Test
    void withdrawsWhenTheResultIsCancelledWhileQueued() {
        MutexGuard<StringBuilder> held = mutex.lock();
        AtomicBoolean bodyRan = new AtomicBoolean();
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> {
            bodyRan.set(true);
            return CompletableFuture.completedFuture(1);
        });
        assertEquals(1, mutex.queueLength());

        result.cancel(false);

        assertEquals(0, mutex.queueLength());
        held.close();
        assertFalse(bodyRan.get());
        assertFalse(mutex.isLocked());
    }

    @Test
    void releasesWhenTheResultTimesOutWhileTheBodyRuns() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        CompletableFuture<Integer> result = mutex.<Integer>withLockAsync(g -> body).orTimeout(5, TimeUnit.MILLISECONDS);

        await().atMost(Duration.ofSeconds(10)).until(result::isDone);

        assertFalse(mutex.isLocked());
        assertTrue(body.isCancelled());
    }

    @Test
    void dependentsOfTheResultFindTheMutexReleased() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        AtomicBoolean lockedInDependent = new AtomicBoolean(true);
        mutex.withLockAsync(g -> body).thenRun(() -> lockedInDependent.set(mutex.isLocked()));

        body.complete(1);

        assertFalse(lockedInDependent.get());
    }

    @Test
    void bodyMayCloseTheGuardItself() {
        CompletableFuture<String> result = mutex.withLockAsync(g -> {
            g.get().append("x");
            g.close();
            return CompletableFuture.completedFuture("done");
        });
        assertEquals("done", result.join());
        assertFalse(mutex.isLocked());
        assertEquals("x", mutex.withLock(StringBuilder::toString));
    }

    @Test
    void bodyRunsOnTheExecutorInTheExecutorForm() {
        QueuedExecutor executor = new QueuedExecutor();
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        CompletableFuture<String> result = mutex.withLockAsync(g -> {
            ranOn.set(Thread.currentThread());
            return CompletableFuture.completedFuture("ok");
        }, executor);
        assertFalse(result.isDone());
        executor.runAll();
        assertSame(Thread.currentThread(), ranOn.get());
        assertEquals("ok", result.join());
        assertFalse(mutex.isLocked());
    }

    @Test
    void scopesQueueBehindEachOtherAndRunInOrder() {
        MutexGuard<StringBuilder> held = mutex.lock();
        for (int i = 0; i < 5; i++) {
            int n = i;
            mutex.withLockAsync(g -> CompletableFuture.completedFuture(g.get().append(n)));
        }
        held.close();
        assertEquals("01234", mutex.withLock(StringBuilder::toString));
        assertFalse(mutex.isLocked());
    }

    @Test
    void aBodyCancelledMidRunCannotReleaseTheNextHoldersLock() throws Exception {
        // The scope releases the guard on the cancelling thread while the body still holds it; the
        // body's own close must then fail, not release whoever holds the mutex next.
        Mutex<String> m = new Mutex<>("v");
        AtomicReference<MutexGuard<String>> bodyGuard = new AtomicReference<>();
        CompletableFuture<String> never = new CompletableFuture<>();
        CompletableFuture<String> scope = m.withLockAsync(g -> {
            bodyGuard.set(g);
            return never;
        });
        scope.cancel(false);
        assertFalse(m.isLocked());

        MutexGuard<String> next = m.lock();
        CompletableFuture<Throwable> lateClose = CompletableFuture.supplyAsync(() -> {
            try {
                bodyGuard.get().close();
                return null;
            } catch (IllegalStateException e) {
                return e;
            }
        });
        assertInstanceOf(IllegalStateException.class, lateClose.get(10, TimeUnit.SECONDS));
        assertTrue(m.isLocked(), "the next holder still holds the mutex");
        next.close();
        assertFalse(m.isLocked());
    }

    @Test
    void racingCancelAndBodyCloseReleaseExactlyOnce() throws Exception {
        // Cancel (on one thread) and the body's close (on another) race for the same guard many
        // times; a double release would leave a third party's lock released under it.
        Mutex<long[]> m = new Mutex<>(new long[1]);
        for (int i = 0; i < 2_000; i++) {
            AtomicReference<MutexGuard<long[]>> bodyGuard = new AtomicReference<>();
            CompletableFuture<Void> scope = m.withLockAsync(g -> {
                bodyGuard.set(g);
                return new CompletableFuture<Void>();
            });
            CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
                try {
                    bodyGuard.get().close();
                } catch (IllegalStateException cancelledFirst) {
                    // the scope released it
                }
            });
            scope.cancel(false);
            closer.get(10, TimeUnit.SECONDS);
            try (MutexGuard<long[]> third = m.lock()) {
                assertTrue(m.isLocked(), "the third party holds the mutex");
                third.get()[0]++;
            }
        }
        assertEquals(2_000L, m.withLock(v -> v[0]).longValue());
        assertFalse(m.isLocked());
    }
}
