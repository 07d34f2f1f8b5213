package dev.turnstile.lock.jcstress.rwlock;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
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
 * One actor writes 1 and downgrades to a read; the other writes 2. The downgrading actor must read
 * its own 1 after the downgrade: seeing 2 means a writer acquired between the write and the read
 * (the downgrade was not atomic). The arbiter records the final value, which tells the order.
 */
@JCStressTest
@Outcome(id = "1, 1", expect = Expect.ACCEPTABLE, desc = "the other writer first, then write-and-downgrade")
@Outcome(id = "1, 2", expect = Expect.ACCEPTABLE, desc = "write-and-downgrade first, then the other writer")
@Outcome(expect = Expect.FORBIDDEN, desc = "a writer interleaved with the downgrade, or a lost wake-up")
@State
public class RwLockDowngradeKeepsTheWrite {
    private static final Duration LONG = Duration.ofSeconds(10);

    private final RwLock<Void> lock = new RwLock<>(null);
    /** Guarded by {@link #lock}; a plain field, so only the lock orders the accesses. */
    private int value;

    @Actor
    public void writeThenDowngrade(II_Result r) {
        Optional<WriteGuard<Void>> w = lock.tryWrite(LONG);
        if (w.isEmpty()) {
            r.r1 = -1;
            return;
        }
        value = 1;
        ReadGuard<Void> read = w.get().downgrade();
        r.r1 = value;
        read.close();
    }

    @Actor
    public void otherWriter() {
        Optional<WriteGuard<Void>> w = lock.tryWrite(LONG);
        if (w.isPresent()) {
            value = 2;
            w.get().close();
        } else {
            value = -1;
        }
    }

    @Arbiter
    public void finalValue(II_Result r) {
        r.r2 = value;
    }
}
