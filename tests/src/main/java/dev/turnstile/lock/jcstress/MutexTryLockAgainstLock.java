package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.Optional;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A blocking {@code lock()} and a {@code tryLock()} race for the mutex, each incrementing a plain
 * counter while holding it. A successful {@code tryLock()} must exclude the other holder: the final
 * count is one per holder, and the second holder sees the first one's increment.
 */
@JCStressTest
@Outcome(id = "1, 0", expect = Expect.ACCEPTABLE, desc = "tryLock found the mutex held and gave up")
@Outcome(id = "2, 1", expect = Expect.ACCEPTABLE, desc = "tryLock won; lock() waited and then counted")
@Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "lock() won; tryLock came after it released")
@Outcome(expect = Expect.FORBIDDEN, desc = "the holders overlapped (lost or unseen increment)")
@State
@SuppressWarnings("try") // the guards are held for their scope only
public class MutexTryLockAgainstLock {
    private final Mutex<Void> mutex = new Mutex<>(null);
    /** Guarded by {@link #mutex}. */
    private int count;

    @Actor
    public void locker(II_Result r) {
        try (MutexGuard<Void> ignored = mutex.lock()) {
            r.r1 = ++count;
        }
    }

    @Actor
    public void trier(II_Result r) {
        Optional<MutexGuard<Void>> guard = mutex.tryLock();
        if (guard.isPresent()) {
            try (MutexGuard<Void> ignored = guard.get()) {
                r.r2 = ++count;
            }
        }
    }

    @Arbiter
    public void settle(II_Result r) {
        // Canonical form "value seen by lock(), value seen by tryLock (0 = failed)"; a lost update
        // leaves count below the number of holders.
        int holders = 1 + (r.r2 != 0 ? 1 : 0);
        if (count != holders) {
            r.r1 = -count;
        }
    }
}
