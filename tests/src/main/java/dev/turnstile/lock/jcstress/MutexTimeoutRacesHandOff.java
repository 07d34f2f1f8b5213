package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Fairness;
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
 * A waiter's timeout races with a hand-off to it: the grant-versus-cancel race that the parking core
 * settles with one compare-and-set on the waiter's status (DESIGN: "the loser compensates"). The
 * {@link Fairness#FIFO} mutex starts held; one actor releases it (a hand-off if the waiter is queued),
 * the other waits with a timeout of the same order as the release takes. Whatever wins, afterwards
 * the mutex must be free and its queue empty: a grant delivered to a waiter that already gave up must
 * be passed on or released, never kept by nobody (the stranded lock kotlinx.coroutines' "prompt
 * cancellation" exists to prevent; ANCHORS, "Async locks").
 *
 * <p>Result: whether the waiter got the lock (1) or timed out (0), whether the mutex was left held
 * (must be 0), the queue length left (must be 0), and the hand-off count (1 = the grant path ran).
 */
@JCStressTest
@Outcome(id = "1, 0, 0, 0", expect = Expect.ACCEPTABLE, desc = "the waiter took the free lock")
@Outcome(id = "1, 0, 0, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "the lock was handed to the queued waiter in time")
@Outcome(id = "0, 0, 0, 0", expect = Expect.ACCEPTABLE, desc = "the waiter timed out; the lock was released, not handed off")
@Outcome(expect = Expect.FORBIDDEN, desc = "a lock left held by nobody, a waiter left queued, or a grant to a timed-out waiter")
@State
public class MutexTimeoutRacesHandOff {
    /** About as long as the releasing actor takes to reach the release: both orders occur. */
    private static final Duration TIMEOUT = Duration.ofNanos(20_000);

    private final Mutex<Void> mutex = Mutex.builder().fairness(Fairness.FIFO).build(null);
    private final MutexGuard<Void> initial = mutex.lock();

    @Actor
    public void releaser() {
        initial.close();
    }

    @Actor
    public void waiter(IIII_Result r) {
        r.r1 = mutex.tryLock(TIMEOUT).map(guard -> {
            guard.close();
            return 1;
        }).orElse(0);
    }

    @Arbiter
    public void settle(IIII_Result r) {
        r.r2 = mutex.isLocked() ? 1 : 0;
        r.r3 = mutex.queueLength();
        r.r4 = mutex.waitQueueIfPresent() == null ? 0 : (int) mutex.waitQueueIfPresent().handOffs();
    }
}
