package dev.turnstile.lock.jcstress.async;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.Mutex;
import dev.turnstile.lock.MutexGuard;
import dev.turnstile.lock.PendingLock;
import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.Expect;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

/**
 * The same race one level down, at the callback API the Reactor and Vert.x adapters use: a release
 * grants a queued {@link LockCallback} while another thread withdraws it through its
 * {@link PendingLock}. {@code cancel()} returning true must mean the callback never runs; false must
 * mean it ran (here, on the releasing thread) and owns the mutex.
 *
 * <p>r1: cancel returned true; r2: how many guards the callback received; r3: the mutex is locked or
 * a waiter is queued after the arbiter closed the received guard (if any).
 */
@JCStressTest
@Outcome(id = "1, 0, 0", expect = Expect.ACCEPTABLE, desc = "withdrawn before the grant; the callback never ran")
@Outcome(id = "0, 1, 0", expect = Expect.ACCEPTABLE, desc = "granted first; the callback owned and released it")
@Outcome(expect = Expect.FORBIDDEN, desc = "a withdrawn callback ran, a granted one did not, or the mutex was stranded")
@State
public class CallbackGrantVersusCancel {
    /** Records what the callback received; only ever one delivering thread. */
    static final class Receiver implements LockCallback<MutexGuard<Void>> {
        volatile MutexGuard<Void> received;
        volatile int deliveries;

        @Override
        public void onLocked(MutexGuard<Void> guard) {
            received = guard;
            deliveries++;
        }

        @Override
        public void onFailed(Throwable cause) {
            deliveries += 100; // never expected: shows up as a forbidden outcome
        }
    }

    private final Mutex<Void> mutex = new Mutex<>(null);
    private final MutexGuard<Void> holder = mutex.lock();
    private final Receiver receiver = new Receiver();
    private final PendingLock pending = mutex.lockAsync(receiver);

    @Actor
    public void release() {
        holder.close();
    }

    @Actor
    public void cancel(III_Result r) {
        r.r1 = pending.cancel() ? 1 : 0;
    }

    @Arbiter
    public void settle(III_Result r) {
        r.r2 = receiver.deliveries;
        MutexGuard<Void> g = receiver.received;
        if (g != null) {
            g.close();
        }
        r.r3 = mutex.isLocked() || mutex.queueLength() != 0 ? 1 : 0;
    }
}
