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
 * The hand-off path of a {@link Fairness#FIFO} mutex. The mutex starts held (the guard is taken when
 * the state is built and closed by another thread, which guard ownership allows). One actor writes,
 * releases, and at once tries to take the lock back with {@code tryLock()} (a barger: if the waiter was
 * handed the lock, the lock never became free, so the barger can only win after the waiter is done).
 * The waiter queues with a long {@code tryLock(Duration)}. Whoever gets the lock must see the write,
 * the two holders must not overlap, and the waiter must not be stranded (it would time out: -1).
 * Overlapping holders here would be a double grant, the race Vert.x's local locks once had (their
 * {@code release()} had to be made idempotent; ANCHORS, "Async locks").
 * Two actors only: jcstress skips tests with more actors than CPUs, and CI has two.
 *
 * <p>Result: waiter's view of the data (-1 = timed out), barger's view (-2 = refused), overlap
 * check (0 = none), hand-offs counted by the queue (1 when the waiter was granted directly).
 */
@JCStressTest
@Outcome(id = "42, -2, 0, 0", expect = Expect.ACCEPTABLE, desc = "the waiter took the free lock first; the barger was refused")
@Outcome(id = "42, 42, 0, 0", expect = Expect.ACCEPTABLE, desc = "both took the free lock in turn")
@Outcome(id = "42, -2, 0, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "handed off to the queued waiter; the barger was refused")
@Outcome(id = "42, 42, 0, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "handed off to the queued waiter, the barger got it after")
@Outcome(expect = Expect.FORBIDDEN, desc = "stale data, overlapping holders, or a stranded waiter")
@State
public class MutexFifoHandOff {
    /** Far beyond any legal wait here: only a lost grant makes the waiter time out. */
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    private final Mutex<Void> mutex = Mutex.builder().fairness(Fairness.FIFO).build(null);
    private final MutexGuard<Void> initial = mutex.lock();
    /** Written by the releaser before it unlocks; read by whoever holds the lock next. */
    private int data;
    /** Guarded by {@link #mutex}: one increment per acquirer. */
    private int holders;

    @Actor
    public void releaserThenBarger(IIII_Result r) {
        data = 42;
        initial.close();
        r.r2 = mutex.tryLock().map(this::countAndRead).orElse(-2);
    }

    @Actor
    public void waiter(IIII_Result r) {
        r.r1 = mutex.tryLock(PATIENCE).map(this::countAndRead).orElse(-1);
    }

    private int countAndRead(MutexGuard<Void> guard) {
        try (guard) {
            holders++;
            return data;
        }
    }

    @Arbiter
    public void settle(IIII_Result r) {
        int acquirers = (r.r1 >= 0 ? 1 : 0) + (r.r2 >= 0 ? 1 : 0);
        r.r3 = holders - acquirers;
        r.r4 = mutex.waitQueueIfPresent() == null ? 0 : (int) mutex.waitQueueIfPresent().handOffs();
    }
}
