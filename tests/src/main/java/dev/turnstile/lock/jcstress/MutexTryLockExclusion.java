package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Mutex;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.ZZ_Result;

/**
 * Two racing {@code tryLock()} calls on a free mutex, neither of which releases: exactly one wins.
 * Both winning is a broken exclusion; both losing means a free mutex refused a taker (a spurious
 * failure, e.g. a weak compare-and-set that was not retried), which {@code tryLock()}'s contract
 * ("acquires the mutex if it is free now") does not allow.
 */
@JCStressTest
@Outcome(id = "true, false", expect = Expect.ACCEPTABLE, desc = "the first actor won")
@Outcome(id = "false, true", expect = Expect.ACCEPTABLE, desc = "the second actor won")
@Outcome(id = "true, true", expect = Expect.FORBIDDEN, desc = "both hold the mutex at once")
@Outcome(id = "false, false", expect = Expect.FORBIDDEN, desc = "a free mutex refused both")
@State
public class MutexTryLockExclusion {
    private final Mutex<Void> mutex = new Mutex<>(null);

    @Actor
    public void first(ZZ_Result r) {
        // The guard is dropped without closing on purpose: the state object is discarded after the round.
        r.r1 = mutex.tryLock().isPresent();
    }

    @Actor
    public void second(ZZ_Result r) {
        r.r2 = mutex.tryLock().isPresent();
    }
}
