package dev.turnstile.lock.testing;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.turnstile.lock.park.RawLock;
import dev.turnstile.lock.park.WaitQueue;

/** Checks that a stress run really contended: an exact count from threads that never met proves nothing. */
public final class Contention {
    private Contention() {
    }

    /** Fails unless some release of {@code lock} found a waiter and admitted it (hand-off or wake-up). */
    public static void assertContended(RawLock lock) {
        WaitQueue queue = lock.waitQueueIfPresent();
        assertNotNull(queue, lock + " was never contended");
        assertTrue(queue.handOffs() + queue.wakeUps() > 0, lock + " never admitted a waiter");
    }
}
