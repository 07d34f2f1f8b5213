package dev.turnstile.lock.jcstress.rwlock;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.Optional;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * A writer sets two plain fields; the other actor reads both under a plain read hold, then again
 * under an upgradable read hold. Each hold must see both writes or neither: a torn pair
 * ({@code 1, 0} or {@code 0, 1}) is forbidden, and so is un-seeing the write in the second hold
 * after seeing it in the first. A timed-out acquisition (-1) would be a lost wake-up and is forbidden
 * too. (Two actors: jcstress cannot schedule three on a 2-CPU machine.)
 */
@JCStressTest
@Outcome(id = "0, 0, 0, 0", expect = Expect.ACCEPTABLE, desc = "both holds before the writer")
@Outcome(id = "0, 0, 1, 1", expect = Expect.ACCEPTABLE, desc = "the writer between the two holds")
@Outcome(id = "1, 1, 1, 1", expect = Expect.ACCEPTABLE, desc = "both holds after the writer")
@Outcome(expect = Expect.FORBIDDEN, desc = "a hold saw half a write or lost a seen write, or a lost wake-up")
@State
public class RwLockReadersSeeConsistentSnapshot {
    private static final Duration LONG = Duration.ofSeconds(10);

    private final RwLock<Void> lock = new RwLock<>(null);
    /** Guarded by {@link #lock}; plain fields, so only the lock orders the accesses. */
    private int x;
    private int y;

    @Actor
    public void writer() {
        Optional<WriteGuard<Void>> w = lock.tryWrite(LONG);
        if (w.isPresent()) {
            x = 1;
            y = 1;
            w.get().close();
        } else {
            x = -1; // visible to any later reader as a forbidden outcome
        }
    }

    @Actor
    public void readers(IIII_Result r) {
        Optional<ReadGuard<Void>> g = lock.tryRead(LONG);
        if (g.isEmpty()) {
            r.r1 = r.r2 = -1;
        } else {
            r.r1 = x;
            r.r2 = y;
            g.get().close();
        }
        Optional<UpgradableGuard<Void>> u = lock.tryUpgradableRead(LONG);
        if (u.isEmpty()) {
            r.r3 = r.r4 = -1;
        } else {
            r.r3 = x;
            r.r4 = y;
            u.get().close();
        }
    }
}
