package dev.turnstile.lock.jcstress.async;

import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import java.util.concurrent.CompletableFuture;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The grant-versus-cancel race of a {@code lockAsync} future. A holder releases the mutex (granting
 * it to the queued future, on the releasing thread) while another thread cancels that future. Exactly
 * one must win the future, and whichever it is, the mutex must end up free once the winner is done
 * with it: a cancel that wins after the grant was claimed must see the grant released (IBM
 * async-util's future, cancelled at this moment, strands its lock).
 *
 * <p>r1: the cancel returned true; r2: the future holds a guard; r3: the mutex is still locked, or a
 * waiter is still queued, after the arbiter closed the guard the future holds (if any).
 */
@JCStressTest
@Outcome(id = "1, 0, 0", expect = Expect.ACCEPTABLE, desc = "cancel won; any grant it beat was released")
@Outcome(id = "0, 1, 0", expect = Expect.ACCEPTABLE, desc = "grant won; cancel had no effect")
@Outcome(expect = Expect.FORBIDDEN, desc = "both or neither won the future, or the mutex was stranded")
@State
public class FutureGrantVersusCancel {
    private final Mutex<Void> mutex = new Mutex<>(null);
    private final MutexGuard<Void> holder = mutex.lock();
    private final CompletableFuture<MutexGuard<Void>> future = mutex.lockAsync();

    @Actor
    public void release() {
        holder.close();
    }

    @Actor
    public void cancel(III_Result r) {
        r.r1 = future.cancel(false) ? 1 : 0;
    }

    @Arbiter
    public void settle(III_Result r) {
        boolean granted = future.isDone() && !future.isCompletedExceptionally();
        r.r2 = granted ? 1 : 0;
        if (granted) {
            future.join().close();
        }
        r.r3 = mutex.isLocked() || mutex.queueLength() != 0 ? 1 : 0;
    }
}
