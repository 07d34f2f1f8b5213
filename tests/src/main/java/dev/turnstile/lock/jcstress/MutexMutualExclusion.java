package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * Two actors each do a non-atomic read-modify-write of a plain field under the same {@link Mutex}.
 * If the lock ever let both in at once, one increment could be lost and the final count would be 1.
 * Each actor also records the value it saw, so the two critical sections must be totally ordered.
 */
@JCStressTest
@SuppressWarnings("try") // the guard is held for its scope only; the body never reads it
@Outcome(id = "2, 1", expect = Expect.ACCEPTABLE, desc = "actor 1 then actor 2: both increments kept")
@Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "actor 2 then actor 1: both increments kept")
@Outcome(expect = Expect.FORBIDDEN, desc = "both were inside the lock at once (lost update)")
@State
public class MutexMutualExclusion {
    private final Mutex<Void> mutex = new Mutex<>(null);
    /** Guarded by {@link #mutex}; deliberately a plain field so only the lock orders the accesses. */
    private int count;

    @Actor
    public void actor1(II_Result r) {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            r.r1 = ++count;
        }
    }

    @Actor
    public void actor2(II_Result r) {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            r.r2 = ++count;
        }
    }

    @Arbiter
    public void finalCount(II_Result r) {
        // Outcome ids are "r1, r2": with a correct lock they are exactly {1, 2} in some order.
        if (count != 2) {
            r.r1 = -count;
        }
    }
}
