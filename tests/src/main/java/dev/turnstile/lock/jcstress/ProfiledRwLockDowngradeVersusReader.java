package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.LockStatistics;
import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

/**
 * A profiled {@link RwLock} (statistics on): a writer that downgrades to a read hold races a plain
 * reader. The downgrade ends the timed write hold (a release of the profiled lock that keeps a read
 * hold) and may admit the queued reader beside it. The reader never sees a half-done write, every
 * acquisition is counted (a downgrade is not one), and exactly the one write hold is timed.
 *
 * <p>Result: what the reader saw (0 before the write, 2 after it), what the writer read back after its
 * downgrade, acquisitions counted, holds timed.
 */
@JCStressTest
@Outcome(id = "0, 2, 2, 1", expect = Expect.ACCEPTABLE, desc = "the reader first")
@Outcome(id = "2, 2, 2, 1", expect = Expect.ACCEPTABLE, desc = "the writer first (the reader beside its downgraded hold, or after)")
@Outcome(expect = Expect.FORBIDDEN, desc = "a torn write seen, a lost count, or a write hold timed other than once")
@State
public class ProfiledRwLockDowngradeVersusReader {
    private final RwLock<int[]> rw = RwLock.builder().statistics(true).build(new int[1]);

    @Actor
    public void writer(IIII_Result r) {
        WriteGuard<int[]> w = rw.write();
        w.get()[0] = 1;
        w.get()[0] = 2;
        try (ReadGuard<int[]> g = w.downgrade()) {
            r.r2 = g.get()[0];
        }
    }

    @Actor
    public void reader(IIII_Result r) {
        try (ReadGuard<int[]> g = rw.read()) {
            r.r1 = g.get()[0];
        }
    }

    @Arbiter
    public void settle(IIII_Result r) {
        if (rw.isWriteLocked() || rw.readHolds() != 0) {
            r.r2 = -1;
        }
        LockStatistics s = rw.statistics().orElseThrow();
        r.r3 = (int) s.acquisitions();
        r.r4 = (int) s.holdTimes().count();
    }
}
