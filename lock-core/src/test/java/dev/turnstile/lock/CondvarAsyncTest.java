package dev.turnstile.lock;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * {@link Condvar#awaitAsync}: completes only once notified (or timed out) <em>and</em> the mutex is
 * held again, waits in the same queues as blocking waiters, and gives everything back when cancelled.
 */
class CondvarAsyncTest {
    private final Mutex<List<String>> mutex = new Mutex<>(new ArrayList<>());
    private final Condvar condvar = new Condvar();

    @Test
    void completesOnlyOnceNotifiedAndTheMutexIsHeldAgain() {
        MutexGuard<List<String>> g = mutex.lock();
        CompletableFuture<MutexGuard<List<String>>> woken = condvar.awaitAsync(g);
        assertFalse(g.isHeld(), "the guard is spent");
        assertFalse(mutex.isLocked(), "the mutex was released while waiting");
        assertEquals(1, condvar.waiterCount());

        MutexGuard<List<String>> notifier = mutex.lock();
        assertTrue(condvar.notifyOne());
        assertFalse(woken.isDone(), "notified, but the mutex is held by the notifier");
        assertEquals(1, mutex.queueLength(), "moved onto the mutex's queue, not woken");

        notifier.close();

        assertTrue(woken.isDone());
        MutexGuard<List<String>> again = woken.join();
        assertTrue(again.isHeld());
        assertTrue(mutex.isLocked());
        again.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void notifyWithTheMutexFreeGrantsAtOnce() {
        CompletableFuture<MutexGuard<List<String>>> woken = condvar.awaitAsync(mutex.lock());
        condvar.notifyAllWaiters();
        assertTrue(woken.isDone());
        woken.join().close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void timedAwaitThatTimesOutStillReacquiresTheMutex() {
        CompletableFuture<Condvar.Wakeup<List<String>>> woken = condvar.awaitAsync(mutex.lock(), Duration.ofMillis(5));
        // Usually the test takes the mutex before the deadline; on a loaded machine the timed-out
        // waiter may take it back first, and then there is nothing to wait for.
        Optional<MutexGuard<List<String>>> other = mutex.tryLock();
        if (other.isPresent()) {
            await().atMost(Duration.ofSeconds(10)).until(() -> condvar.waiterCount() == 0 && mutex.queueLength() == 1);
            assertFalse(woken.isDone(), "timed out, but waits for the mutex");
            other.get().close();
        }

        Condvar.Wakeup<List<String>> wakeup = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> woken.join());
        assertFalse(wakeup.notified());
        assertTrue(wakeup.guard().isHeld());
        wakeup.guard().close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void timedAwaitThatIsNotifiedSaysSo() {
        CompletableFuture<Condvar.Wakeup<List<String>>> woken = condvar.awaitAsync(mutex.lock(), Duration.ofMinutes(5));
        condvar.notifyOne();
        Condvar.Wakeup<List<String>> wakeup = woken.join();
        assertTrue(wakeup.notified());
        wakeup.guard().close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void cancellingWhileWaitingForANotificationGivesUpTheWaitAndTheMutex() {
        CompletableFuture<MutexGuard<List<String>>> woken = condvar.awaitAsync(mutex.lock());
        assertTrue(woken.cancel(false));
        assertEquals(0, condvar.waiterCount());
        assertFalse(condvar.notifyOne(), "nobody left to notify");
        assertFalse(mutex.isLocked());
        assertEquals(0, mutex.queueLength());
    }

    @Test
    void cancellingAfterTheNotificationWithdrawsFromTheMutexQueue() {
        CompletableFuture<MutexGuard<List<String>>> woken = condvar.awaitAsync(mutex.lock());
        MutexGuard<List<String>> notifier = mutex.lock();
        condvar.notifyOne();
        assertEquals(1, mutex.queueLength());

        assertTrue(woken.cancel(false));

        assertEquals(0, mutex.queueLength());
        notifier.close();
        assertFalse(mutex.isLocked());
    }

    @Test
    void asyncAndBlockingWaitersAreNotifiedInArrivalOrder() throws Exception {
        MutexGuard<List<String>> first = mutex.lock();
        Thread blocking = Thread.ofPlatform().start(() -> {
            try (MutexGuard<List<String>> g = mutex.lock()) {
                condvar.awaitUninterruptibly(g);
                g.get().add("thread");
            }
        });
        first.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> condvar.waiterCount() == 1);
        CompletableFuture<Void> async = condvar.awaitAsync(mutex.lock()).thenAccept(g -> {
            g.get().add("async");
            g.close();
        });
        assertEquals(2, condvar.waiterCount());

        MutexGuard<List<String>> notifier = mutex.lock();
        assertEquals(2, condvar.notifyAllWaiters());
        notifier.close();

        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            blocking.join();
            async.join();
        });
        assertEquals(List.of("thread", "async"), mutex.withLock(List::copyOf));
        assertFalse(mutex.isLocked());
    }

    @Test
    void misuseFailsFastAndLeavesTheGuardHeld() {
        MutexGuard<List<String>> g = mutex.lock();
        g.close();
        assertThrows(IllegalStateException.class, () -> condvar.awaitAsync(g));
        assertThrows(NullPointerException.class, () -> condvar.awaitAsync(null));
        MutexGuard<List<String>> held = mutex.lock();
        assertThrows(NullPointerException.class, () -> condvar.awaitAsync(held, (Duration) null));
        assertTrue(held.isHeld());

        Mutex<String> other = new Mutex<>("other");
        CompletableFuture<MutexGuard<List<String>>> waiting = condvar.awaitAsync(held);
        MutexGuard<String> otherGuard = other.lock();
        assertThrows(IllegalStateException.class, () -> condvar.awaitAsync(otherGuard), "one mutex at a time");
        assertTrue(otherGuard.isHeld(), "nothing was queued, the guard still holds");
        otherGuard.close();
        condvar.notifyOne();
        waiting.join().close();
        assertFalse(mutex.isLocked());
    }

    /** A consumer loop written with awaitAsync, fed by a producer thread: every item arrives once. */
    @Test
    void asyncConsumerLoopReceivesEveryItem() {
        int items = 10_000;
        Mutex<List<Integer>> queue = new Mutex<>(new ArrayList<>());
        Condvar notEmpty = new Condvar();
        List<Integer> received = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        new Object() {
            void consume(MutexGuard<List<Integer>> g) {
                while (!g.get().isEmpty()) {
                    received.add(g.get().remove(0));
                }
                if (received.size() == items) {
                    g.close();
                    done.complete(null);
                } else {
                    notEmpty.awaitAsync(g).thenAccept(this::consume);
                }
            }
        }.consume(queue.lock());
        Thread producer = Thread.ofPlatform().start(() -> {
            for (int i = 0; i < items; i++) {
                try (MutexGuard<List<Integer>> g = queue.lock()) {
                    g.get().add(i);
                    notEmpty.notifyOne();
                }
            }
        });
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            done.join();
            producer.join();
        });
        assertEquals(items, received.size());
        for (int i = 0; i < items; i++) {
            assertEquals(i, received.get(i));
        }
        assertFalse(queue.isLocked());
    }
}
