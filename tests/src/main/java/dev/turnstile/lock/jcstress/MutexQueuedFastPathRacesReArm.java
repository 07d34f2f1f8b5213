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
 * {@link MutexReleaseRacesReArm} through {@code Mutex}'s own fast paths, which act while waiters are
 * queued: the barger takes the mutex with {@code lock()} past the woken waiter (one CAS from a word
 * with QUEUED set) and its guard's release expects that word back (one CAS while SIGNAL is clear).
 * The waiter, losing, re-arms (sets SIGNAL on a word where the lock is held) and parks while those
 * releases race its CAS: a release whose expected word is stale must find SIGNAL and wake it, never
 * free the lock past it. The waiter must get the lock (a lost wake-up makes it time out: 0) and the
 * mutex must end free with an empty queue.
 *
 * <p>Result: waiter acquired (1) or timed out (0); end state clean (1); the waiter was woken more
 * than once, so at least one re-arm raced a fast-path release (1, the interesting case).
 */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "the waiter got the lock after one wake-up or a hand-off")
@Outcome(id = "1, 1, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "the waiter lost to the barger, re-armed, and was woken again")
@Outcome(expect = Expect.FORBIDDEN, desc = "a stranded waiter or a dirty end state")
@State
public class MutexQueuedFastPathRacesReArm {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final int BARGES = 4;

    private final Mutex<int[]> mutex = new Mutex<>(new int[1]);
    private final MutexGuard<int[]> initial = mutex.lock();

    @Actor
    public void releaserThenBarger() {
        initial.close();
        for (int i = 0; i < BARGES; i++) {
            if (i % 2 == 0) {
                try (MutexGuard<int[]> g = mutex.lock()) {
                    g.get()[0]++;
                }
            } else {
                mutex.withLockDo(v -> v[0]++);
            }
        }
    }

    @Actor
    public void waiter(III_Result r) {
        Optional<MutexGuard<int[]>> g = mutex.tryLock(PATIENCE);
        r.r1 = g.isPresent() ? 1 : 0;
        g.ifPresent(MutexGuard::close);
    }

    @Arbiter
    public void settle(III_Result r) {
        boolean clean = !mutex.isLocked() && mutex.queueLength() == 0 && !mutex.hasQueuedWaiters()
                && mutex.withLock(v -> v[0]) == BARGES;
        r.r2 = clean ? 1 : 0;
        r.r3 = mutex.waitQueueIfPresent() != null && mutex.waitQueueIfPresent().wakeUps() > 1 ? 1 : 0;
    }
}
