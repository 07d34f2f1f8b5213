package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.turnstile.lock.park.WaitQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Async and blocking waiters of one mutex stand in one queue and are served by one policy. The
 * fairness clock is a fake the test controls, so whether a release hands off or wakes is decided by
 * the test, not by timing.
 */
class MutexAsyncFairnessTest {
    private static final long DAY = Duration.ofDays(1).toNanos();

    /** A clock that stands still unless told to jump on every reading. */
    static final class FakeClock implements NanoClock {
        final AtomicLong now = new AtomicLong();
        volatile long stepPerReading;

        @Override
        public long nanoTime() {
            return now.addAndGet(stepPerReading);
        }
    }

    @Test
    void frozenClockWakesThreadsGrantsCallbacksAndServesArrivalOrder() {
        FakeClock clock = new FakeClock();
        Mutex<List<String>> m = eventual(clock);
        List<String> order = serveMixedQueue(m);

        assertEquals(List.of("T1", "A1", "T2", "A2"), order);
        WaitQueue q = m.waitQueueIfPresent();
        // No timer fired, no long wait: each thread was woken to compete; each callback, which has
        // no thread to compete with, was granted.
        assertEquals(2, q.wakeUps());
        assertEquals(2, q.handOffs());
    }

    @Test
    void expiredFairnessTimerHandsOffToWhateverKindIsNext() {
        FakeClock clock = new FakeClock();
        Mutex<List<String>> m = eventual(clock);
        clock.stepPerReading = 3 * DAY; // every decision finds the timer expired and the hold long

        List<String> order = serveMixedQueue(m);

        assertEquals(List.of("T1", "A1", "T2", "A2"), order);
        WaitQueue q = m.waitQueueIfPresent();
        assertEquals(4, q.handOffs());
        assertEquals(0, q.wakeUps());
    }

    @Test
    void fifoPolicyHandsOffToAsyncAndBlockingWaitersAlike() {
        Mutex<List<String>> m = Mutex.builder().fairness(Fairness.FIFO).build(new ArrayList<>());
        List<String> order = serveMixedQueue(m);
        assertEquals(List.of("T1", "A1", "T2", "A2"), order);
        assertEquals(4, m.waitQueueIfPresent().handOffs());
    }

    private static Mutex<List<String>> eventual(FakeClock clock) {
        return Mutex.builder()
                .clock(clock)
                .handOffEvery(Duration.ofDays(1))
                .handOffAfterHolding(Duration.ofDays(1))
                .build(new ArrayList<>());
    }

    /** Queues thread T1, async A1, thread T2, async A2 behind a holder, releases, and returns who ran when. */
    private static List<String> serveMixedQueue(Mutex<List<String>> m) {
        return assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            MutexGuard<List<String>> held = m.lock();
            Thread t1 = blockingWaiter(m, "T1");
            await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 1);
            CompletableFuture<Void> a1 = asyncWaiter(m, "A1");
            Thread t2 = blockingWaiter(m, "T2");
            await().atMost(Duration.ofSeconds(10)).until(() -> m.queueLength() == 3);
            CompletableFuture<Void> a2 = asyncWaiter(m, "A2");
            assertEquals(4, m.queueLength());

            held.close();
            t1.join();
            t2.join();
            a1.join();
            a2.join();
            assertFalse(m.isLocked());
            return m.withLock(List::copyOf);
        });
    }

    private static Thread blockingWaiter(Mutex<List<String>> m, String name) {
        return Thread.ofPlatform().name(name).start(() -> {
            try (MutexGuard<List<String>> g = m.lock()) {
                g.get().add(name);
            }
        });
    }

    private static CompletableFuture<Void> asyncWaiter(Mutex<List<String>> m, String name) {
        return m.lockAsync().thenAccept(g -> {
            g.get().add(name);
            g.close();
        });
    }
}
