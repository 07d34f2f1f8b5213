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
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * A guard's release expects the state word its acquisition left: queued or not. Here that guess goes
 * stale both ways: a holder takes the mutex twice with {@code lock()} while another thread queues
 * with a timeout of the same order as a hold, and leaves (clearing QUEUED) or arms SIGNAL at any point
 * of a hold (the second hold's guard expects the queue its acquisition found). A release that expected a queue finds none, and one that expected none finds a waiter
 * armed; either way every acquisition must exclude the other, the timed waiter must get the lock or
 * time out (never hang), and the mutex must end free with an empty queue.
 *
 * <p>Result: increments seen by the arbiter (2 holds + the waiter's), whether the waiter got the
 * lock, whether the mutex was left held (0), the queue length left (0).
 */
@JCStressTest
@Outcome(id = "2, 0, 0, 0", expect = Expect.ACCEPTABLE, desc = "the waiter timed out; both holds counted")
@Outcome(id = "3, 1, 0, 0", expect = Expect.ACCEPTABLE, desc = "the waiter got the lock too")
@Outcome(expect = Expect.FORBIDDEN, desc = "a lost increment, a lock held by nobody, or a waiter left queued")
@State
public class MutexQueuedHintVersusLeavingWaiter {
    private static final Duration TIMEOUT = Duration.ofNanos(20_000);

    private final Mutex<int[]> mutex = new Mutex<>(new int[1]);

    @Actor
    public void holder() {
        hold();
        hold();
    }

    @Actor
    public void timedWaiter(IIII_Result r) {
        r.r2 = mutex.tryLock(TIMEOUT).map(g -> {
            try (g) {
                g.get()[0]++;
            }
            return 1;
        }).orElse(0);
    }

    private void hold() {
        try (MutexGuard<int[]> g = mutex.lock()) {
            int v = g.get()[0];
            Thread.onSpinWait(); // widen the hold: the waiter arms or leaves meanwhile
            g.get()[0] = v + 1;
        }
    }

    @Arbiter
    public void settle(IIII_Result r) {
        r.r3 = mutex.isLocked() ? 1 : 0;
        r.r4 = mutex.queueLength();
        r.r1 = r.r3 == 0 ? mutex.withLock(v -> v[0]) : -1;
    }
}
