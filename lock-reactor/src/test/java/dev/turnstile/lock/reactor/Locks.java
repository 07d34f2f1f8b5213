package dev.turnstile.lock.reactor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.RwLock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;

/** Assertions about a lock's state shared by the tests. */
final class Locks {
    private Locks() {
    }

    /** The mutex is free and nobody is queued (after in-flight releases have settled). */
    static void assertFree(Mutex<?> mutex) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !mutex.isLocked() && mutex.queueLength() == 0);
        assertFalse(mutex.isLocked(), "mutex still locked: " + mutex);
        assertEquals(0, mutex.queueLength(), "waiters left: " + mutex);
    }

    static void assertFree(RwLock<?> lock) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !lock.isWriteLocked() && lock.readHolds() == 0
                && !lock.isUpgradableLocked() && lock.queueLength() == 0);
    }

    /** Waits until {@code n} acquisitions are queued on {@code mutex}. */
    static void awaitQueued(Mutex<?> mutex, int n) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> mutex.queueLength() == n);
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
