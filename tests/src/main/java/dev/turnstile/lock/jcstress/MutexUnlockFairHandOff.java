package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * {@link MutexGuard#unlockFair()} on the default (eventually fair) mutex: the forced hand-off path.
 * The mutex starts held; one actor writes and calls {@code unlockFair()} while a waiter queues with
 * {@code lock()}. If the waiter was queued, it must be granted the lock directly (the lock never
 * becomes free) and see the write; if not, it takes the free lock and sees the write all the same.
 * The waiter uses the untimed {@code lock()}: it always finishes, because the releaser always releases.
 *
 * <p>Result: the waiter's view of the data, the queue's hand-off count, and whether the mutex was
 * free after the waiter released (1 = free, as it must be).
 */
@JCStressTest
@Outcome(id = "42, 0, 1", expect = Expect.ACCEPTABLE, desc = "the waiter was not queued yet and took the free lock")
@Outcome(id = "42, 1, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "unlockFair handed the lock to the queued waiter")
@Outcome(expect = Expect.FORBIDDEN, desc = "stale data, a double hand-off, or a lock left held")
@State
@SuppressWarnings("try") // the guard is held for its scope only
public class MutexUnlockFairHandOff {
    private final Mutex<Void> mutex = new Mutex<>(null);
    private final MutexGuard<Void> initial = mutex.lock();
    private int data;

    @Actor
    public void releaser() {
        data = 42;
        initial.unlockFair();
    }

    @Actor
    public void waiter(III_Result r) {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            r.r1 = data;
        }
    }

    @Arbiter
    public void settle(III_Result r) {
        r.r2 = mutex.waitQueueIfPresent() == null ? 0 : (int) mutex.waitQueueIfPresent().handOffs();
        r.r3 = mutex.isLocked() ? 0 : 1;
    }
}
