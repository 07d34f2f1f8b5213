package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.LockStatistics;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * {@link MutexMutualExclusion} on a mutex that keeps statistics: its state word carries the core's
 * {@code PROFILED} bit, so every acquisition and release takes the core's slow paths (the fast paths
 * compare-and-set from exact words and fail), which record and then carry the bit through every
 * compare-and-set. Mutual exclusion must hold, and the statistics must count both acquisitions and
 * time both holds, however the two actors interleave.
 *
 * <p>Result: the count each actor saw, acquisitions counted, holds timed.
 */
@JCStressTest
@SuppressWarnings("try") // the guard is held for its scope only; the body never reads it
@Outcome(id = "1, 2, 2, 2", expect = Expect.ACCEPTABLE, desc = "actor 1 then actor 2; both counted and timed")
@Outcome(id = "2, 1, 2, 2", expect = Expect.ACCEPTABLE, desc = "actor 2 then actor 1; both counted and timed")
@Outcome(expect = Expect.FORBIDDEN, desc = "a lost update, or an acquisition or hold the statistics missed")
@State
public class ProfiledMutexMutualExclusion {
    private final Mutex<Void> mutex = Mutex.builder().statistics(true).build(null);
    /** Guarded by {@link #mutex}; a plain field so only the lock orders the accesses. */
    private int count;

    @Actor
    public void actor1(IIII_Result r) {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            r.r1 = ++count;
        }
    }

    @Actor
    public void actor2(IIII_Result r) {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            r.r2 = ++count;
        }
    }

    @Arbiter
    public void settle(IIII_Result r) {
        if (count != 2 || mutex.isLocked()) {
            r.r1 = -count;
        }
        LockStatistics s = mutex.statistics().orElseThrow();
        r.r3 = (int) s.acquisitions();
        r.r4 = (int) s.holdTimes().count();
    }
}
