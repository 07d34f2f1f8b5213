package dev.turnstile.lock.jcstress;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.time.Duration;
import java.util.Optional;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The SIGNAL invariant of the parking core: a release that races the woken head's re-arm never
 * strands it. The mutex starts held; the waiter queues behind it with a long timed lock. The other
 * actor releases (which wakes the waiter in place and clears SIGNAL), then barges in and out a few
 * times, so that the woken waiter keeps losing, re-arms (sets SIGNAL on a word where the lock is
 * held) and parks while the barger's releases race that CAS. Whichever wins, the waiter must get the
 * lock (a lost wake-up would make it time out: 0), and the mutex must end free with an empty queue.
 *
 * <p>Result: waiter acquired (1) or timed out (0); end state clean (1); the waiter was woken more
 * than once, so at least one re-arm raced a release (1, the interesting case).
 */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "the waiter got the lock after one wake-up or a hand-off")
@Outcome(id = "1, 1, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "the waiter lost to the barger, re-armed, and was woken again")
@Outcome(expect = Expect.FORBIDDEN, desc = "a stranded waiter or a dirty end state")
@State
public class MutexReleaseRacesReArm {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final int BARGES = 4;

    private final Mutex<Void> mutex = new Mutex<>(null);
    private final MutexGuard<Void> initial = mutex.lock();

    @Actor
    public void releaserThenBarger() {
        initial.close();
        for (int i = 0; i < BARGES; i++) {
            Optional<MutexGuard<Void>> g = mutex.tryLock();
            g.ifPresent(MutexGuard::close);
        }
    }

    @Actor
    public void waiter(III_Result r) {
        Optional<MutexGuard<Void>> g = mutex.tryLock(PATIENCE);
        r.r1 = g.isPresent() ? 1 : 0;
        g.ifPresent(MutexGuard::close);
    }

    @Arbiter
    public void settle(III_Result r) {
        r.r2 = !mutex.isLocked() && mutex.queueLength() == 0 && !mutex.hasQueuedWaiters() ? 1 : 0;
        r.r3 = mutex.waitQueueIfPresent() != null && mutex.waitQueueIfPresent().wakeUps() > 1 ? 1 : 0;
    }
}
