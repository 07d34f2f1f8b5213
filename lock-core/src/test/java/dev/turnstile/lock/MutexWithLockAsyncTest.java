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
import java.util.concurrent.atomic.AtomicInteger;
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
    void cancellingWhileTheBodyRunsKeepsTheHoldUntilTheBodysStageCompletes() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        AtomicReference<MutexGuard<StringBuilder>> guard = new AtomicReference<>();
        CompletableFuture<Integer> result = mutex.withLockAsync(g -> {
            guard.set(g);
            return body;
        });
        assertTrue(mutex.isLocked());

        assertTrue(result.cancel(false));

        assertTrue(result.isCancelled(), "the caller's future completes at once");
        assertTrue(mutex.isLocked(), "but the running body keeps its hold");
        assertFalse(body.isDone(), "the body's stage is not the caller's to cancel");
        guard.get().get().append("still mine");
        body.complete(1);
        assertFalse(mutex.isLocked());
        assertEquals("still mine", mutex.withLock(StringBuilder::toString));
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
    void timingOutWhileTheBodyRunsKeepsTheHoldUntilTheBodysStageCompletes() {
        CompletableFuture<Integer> body = new CompletableFuture<>();
        CompletableFuture<Integer> result = mutex.<Integer>withLockAsync(g -> body).orTimeout(5, TimeUnit.MILLISECONDS);

        await().atMost(Duration.ofSeconds(10)).until(result::isDone);

        assertTrue(mutex.isLocked());
        assertFalse(body.isDone());
        body.complete(1);
        assertFalse(mutex.isLocked());
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
    void aCancelledBodyNeverOverlapsTheNextHolder() throws Exception {
        // Issue #8.1: cancelling used to release at once while the body's work still ran, so the next
        // holder's critical section overlapped it.
        Mutex<String> m = new Mutex<>("v");
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger mostInside = new AtomicInteger();
        CompletableFuture<String> bodyWork = new CompletableFuture<>();
        CompletableFuture<String> scope = m.withLockAsync(g -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            return bodyWork.whenComplete((r, t) -> inside.decrementAndGet());
        });
        scope.cancel(false);

        CompletableFuture<String> next = m.withLockAsync(g -> {
            mostInside.accumulateAndGet(inside.incrementAndGet(), Math::max);
            inside.decrementAndGet();
            return CompletableFuture.completedFuture("next");
        });
        assertFalse(next.isDone(), "the next holder waits for the cancelled body");
        bodyWork.completeAsync(() -> "body done");
        assertEquals("next", next.get(10, TimeUnit.SECONDS));
        assertEquals(1, mostInside.get(), "never two bodies inside at once");
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
