package dev.turnstile.lock.bench.contender;

import dev.turnstile.lock.park.RawLock;
import dev.turnstile.lock.park.WaitQueue;

/** The report note of a table of Turnstile locks: what their wait queues counted. */
final class WaitQueueStats {
    private WaitQueueStats() {
    }

    /**
     * Contended releases that handed a lock to a waiter, and those that woke one to compete, summed
     * over {@code locks} (a lock that never had a waiter has no queue and counts nothing).
     */
    static String of(RawLock[] locks) {
        long handOffs = 0;
        long wakeUps = 0;
        for (RawLock l : locks) {
            WaitQueue q = l.waitQueueIfPresent();
            if (q != null) {
                handOffs += q.handOffs();
                wakeUps += q.wakeUps();
            }
        }
        return "hand-offs " + handOffs + ", wake-ups " + wakeUps;
    }
}
