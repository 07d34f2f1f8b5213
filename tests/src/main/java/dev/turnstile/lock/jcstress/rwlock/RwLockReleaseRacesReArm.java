package dev.turnstile.lock.jcstress.rwlock;

import dev.turnstile.lock.ReadGuard;
import dev.turnstile.lock.RwLock;
import dev.turnstile.lock.WriteGuard;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The SIGNAL invariant on a reader-writer lock: a writer queued behind a reader is woken when the
 * reader leaves; the other actor then barges in and out as a writer and as a reader (the
 * {@code ReadWriteLock} view's {@code tryLock()} takes a free read lock past queued writers), so the
 * woken writer keeps losing, re-arms and parks while those releases race its CAS. It must never be
 * stranded, and the lock must end free with an empty queue.
 *
 * <p>Result: writer acquired (1) or timed out (0); end state clean (1); the writer was woken more
 * than once (1, the interesting case).
 */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = Expect.ACCEPTABLE, desc = "the writer got the lock after one wake-up or a hand-off")
@Outcome(id = "1, 1, 1", expect = Expect.ACCEPTABLE_INTERESTING, desc = "the writer lost to a barger, re-armed, and was woken again")
@Outcome(expect = Expect.FORBIDDEN, desc = "a stranded writer or a dirty end state")
@State
public class RwLockReleaseRacesReArm {
    private static final Duration PATIENCE = Duration.ofSeconds(10);
    private static final int BARGES = 3;

    private final RwLock<Void> lock = new RwLock<>(null);
    private final ReadGuard<Void> initial = lock.read();
    private final Lock readView = lock.asReadWriteLock().readLock();

    @Actor
    public void readerLeavesThenBarges() {
        initial.close();
        for (int i = 0; i < BARGES; i++) {
            lock.tryWrite().ifPresent(WriteGuard::close);
            if (readView.tryLock()) {
                readView.unlock();
            }
        }
    }

    @Actor
    public void writer(III_Result r) {
        Optional<WriteGuard<Void>> w = lock.tryWrite(PATIENCE);
        r.r1 = w.isPresent() ? 1 : 0;
        w.ifPresent(WriteGuard::close);
    }

    @Arbiter
    public void settle(III_Result r) {
        r.r2 = !lock.isWriteLocked() && lock.readHolds() == 0 && lock.queueLength() == 0
                && !lock.hasQueuedWaiters() ? 1 : 0;
        r.r3 = lock.waitQueueIfPresent() != null && lock.waitQueueIfPresent().wakeUps() > 1 ? 1 : 0;
    }
}
