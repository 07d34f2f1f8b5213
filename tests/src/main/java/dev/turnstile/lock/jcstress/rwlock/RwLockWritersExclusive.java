package dev.turnstile.lock.jcstress.rwlock;

import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.UpgradableGuard;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.Optional;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.II_Result;

/**
 * A writer and an upgradable reader that upgrades each do a non-atomic read-modify-write of a plain
 * field. Both paths to the write hold must exclude each other: a lost update (final count 1) or two
 * actors seeing the same count is forbidden. A timed-out acquisition (a lost wake-up, since nothing
 * here holds the lock for long) is reported as -1 and is forbidden too.
 */
@JCStressTest
@Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "writer first, then the upgrade")
@Outcome(id = "2, 1", expect = Expect.ACCEPTABLE, desc = "upgrade first, then the writer")
@Outcome(expect = Expect.FORBIDDEN, desc = "both inside at once (lost update), or a lost wake-up")
@State
public class RwLockWritersExclusive {
    private static final Duration LONG = Duration.ofSeconds(10);

    private final RwLock<Void> lock = new RwLock<>(null);
    /** Guarded by {@link #lock}; a plain field, so only the lock orders the accesses. */
    private int count;

    @Actor
    public void writer(II_Result r) {
        Optional<WriteGuard<Void>> w = lock.tryWrite(LONG);
        if (w.isEmpty()) {
            r.r1 = -1;
            return;
        }
        r.r1 = ++count;
        w.get().close();
    }

    @Actor
    public void upgrader(II_Result r) {
        Optional<UpgradableGuard<Void>> u = lock.tryUpgradableRead(LONG);
        if (u.isEmpty()) {
            r.r2 = -1;
            return;
        }
        Optional<WriteGuard<Void>> w = u.get().tryUpgrade(LONG);
        if (w.isEmpty()) {
            u.get().close();
            r.r2 = -1;
            return;
        }
        r.r2 = ++count;
        w.get().close();
    }

    @Arbiter
    public void finalCount(II_Result r) {
        if (count != 2) {
            r.r1 = -count;
        }
    }
}
