package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;

import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledFuture;

/**
 * The node of one {@link Condvar#awaitAsync}: queued on the condvar until notified, then on the
 * mutex until granted; its grant is the mutex held again. Its outcome type {@code G} is the new guard
 * (untimed) or a {@link Condvar.Wakeup} that also says whether a notification ended the wait.
 *
 * <h2>Giving up</h2>
 * A caller that cancels (the future, or the {@link PendingLock}) no longer wants the mutex back: the
 * node is withdrawn from the condvar, or, if a notification took it first, from the mutex's queue;
 * a future's grant already on its way is released when it arrives. A notification that such a
 * cancelled waiter had already received is passed on to the next waiter ({@code notifyOne}), as
 * {@code Object.wait} must when an interrupt races a notify (JLS 17.2.4): nothing is lost. A timeout
 * is different: the node stops waiting for a notification but is submitted to the mutex again, so
 * the outcome still comes with the mutex held. The timeout is cancelled once the node is granted or
 * withdrawn ({@link Deadlines}).
 *
 * @param <T> the type of the mutex's value
 * @param <G> the outcome: the new guard, or a {@link Condvar.Wakeup}
 */
abstract class CondvarAwait<T, G> extends Acquisition<G> {
    private final Condvar condvar;
    /** Set before a timed-out node is resubmitted, so its grant reports the timeout. */
    private volatile boolean timedOut;
    /** The timeout of a timed await, cancelled once the outcome is settled. */
    private volatile ScheduledFuture<?> deadline;

    CondvarAwait(Condvar condvar, Executor executor, LockCallback<? super G> callback) {
        super(Mutex.EXCLUSIVE, executor, callback);
        this.condvar = condvar;
    }

    abstract G outcome(MutexGuard<T> guard, boolean notified);

    abstract MutexGuard<T> guardOf(G outcome);

    @Override
    @SuppressWarnings("unchecked") // bound to the Mutex<T> whose guard was passed to awaitAsync
    final G newGuard() {
        Mutex<T> m = (Mutex<T>) lock();
        HeldLocks owner = owner();
        if (owner == null) {
            return outcome(new MutexGuard<>(m), !timedOut);
        }
        m.taskWaitOver(owner, this);
        return outcome(new MutexGuard<>(m, m.held(owner)), !timedOut); // the wait's hold resumes: no rank check
    }

    @Override
    final void grantReceived() {
        stopDeadline();
        super.grantReceived();
    }

    @Override
    final void share(G outcome) {
        guardOf(outcome).share();
    }

    @Override
    final void release(G outcome) {
        MutexGuard<T> guard = guardOf(outcome);
        closeIfHeld(guard, guard.isHeld());
    }

    /** A refused grant gives up the mutex, and a notification this waiter received goes on. */
    @Override
    protected final boolean releaseRefusedGrant(dev.turnstile.lock.park.RawLock granted) {
        super.releaseRefusedGrant(granted);
        stopDeadline();
        passOnNotification();
        return true;
    }

    /** The callback level: {@code true} if withdrawn before the grant (no callback will run). */
    @Override
    public final boolean cancel() {
        if (condvar.stopWaiting(this)) {
            stopDeadline();
            return true;
        }
        if (withdraw()) {
            stopDeadline();
            passOnNotification();
            return true;
        }
        return false;
    }

    /** The future level: withdraw, or let the grant be released on arrival; the future may complete. */
    @Override
    final boolean withdrawForCaller() {
        if (!cancel()) {
            passOnNotification(); // the grant won, and the future's caller will release it unused
        }
        return true;
    }

    /** A notification this node received but will not use goes to the next waiter, if any. */
    private void passOnNotification() {
        if (condvar.tookNotification(this)) {
            condvar.notifyOne();
        }
    }

    /** The deadline passed: stop waiting for a notification, and take the mutex back regardless. */
    final void timeOut() {
        if (condvar.stopWaiting(this)) {
            timedOut = true;
            condvar.reacquire(this);
        }
    }

    /** Starts the deadline of a timed await on the shared timer; a zero wait times out at once. */
    final void arm(long nanos) {
        if (nanos == 0) {
            timeOut();
            return;
        }
        deadline = Deadlines.schedule(this::timeOut, nanos);
        if (isGranted() || isCancelled()) {
            stopDeadline(); // settled while arming
        }
    }

    private void stopDeadline() {
        ScheduledFuture<?> d = deadline;
        if (d != null) {
            d.cancel(false);
        }
    }

    /** {@code awaitAsync(guard)}: the outcome is the new guard. */
    static final class Plain<T> extends CondvarAwait<T, MutexGuard<T>> {
        Plain(Condvar condvar, Executor executor, LockCallback<? super MutexGuard<T>> callback) {
            super(condvar, executor, callback);
        }

        @Override
        MutexGuard<T> outcome(MutexGuard<T> guard, boolean notified) {
            return guard;
        }

        @Override
        MutexGuard<T> guardOf(MutexGuard<T> outcome) {
            return outcome;
        }
    }

    /** {@code awaitAsync(guard, timeout)}: the outcome says whether it was notified. */
    static final class Timed<T> extends CondvarAwait<T, Condvar.Wakeup<T>> {
        Timed(Condvar condvar, Executor executor, LockCallback<? super Condvar.Wakeup<T>> callback) {
            super(condvar, executor, callback);
        }

        @Override
        Condvar.Wakeup<T> outcome(MutexGuard<T> guard, boolean notified) {
            return new Condvar.Wakeup<>(guard, notified);
        }

        @Override
        MutexGuard<T> guardOf(Condvar.Wakeup<T> outcome) {
            return outcome.guard();
        }
    }
}
