package dev.turnstile.lock;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The node of one {@link Condvar#awaitAsync}: queued on the condvar until notified, then on the
 * mutex until granted; its grant is the mutex held again. Its outcome type {@code G} is the new guard
 * (untimed) or a {@link Condvar.Wakeup} that also says whether a notification ended the wait.
 *
 * <h2>Giving up</h2>
 * A caller that cancels (or otherwise completes) the future no longer wants the mutex back: the node
 * is withdrawn from the condvar, or, if a notification took it first, from the mutex's queue; a grant
 * already on its way is released when it arrives. A timeout is different: the node stops waiting for
 * a notification but is submitted to the mutex again, so the future still completes with the mutex
 * held.
 *
 * @param <T> the type of the mutex's value
 * @param <G> the future's value
 */
abstract class CondvarAwait<T, G> extends Acquisition<G> {
    private final Condvar condvar;
    /** Set before a timed-out node is resubmitted, so its grant reports the timeout. */
    private volatile boolean timedOut;

    CondvarAwait(Condvar condvar, Executor executor, LockCallback<? super G> callback) {
        super(Mutex.EXCLUSIVE, executor, callback);
        this.condvar = condvar;
    }

    abstract G outcome(MutexGuard<T> guard, boolean notified);

    abstract MutexGuard<T> guardOf(G outcome);

    @Override
    @SuppressWarnings("unchecked") // bound to the Mutex<T> whose guard was passed to awaitAsync
    final G newGuard() {
        return outcome(new MutexGuard<>((Mutex<T>) lock()), !timedOut);
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

    @Override
    final boolean withdrawForCaller() {
        if (!condvar.stopWaiting(this)) {
            cancel(); // notified first: withdraw from the mutex's queue, or release the grant on arrival
        }
        return true;
    }

    /** The deadline passed: stop waiting for a notification, and take the mutex back regardless. */
    final void timeOut() {
        if (condvar.stopWaiting(this)) {
            timedOut = true;
            condvar.reacquire(this);
        }
    }

    /** Starts the deadline of a timed await on the JDK's shared delay scheduler (no thread of ours). */
    final void arm(CompletableFuture<?> view, long nanos) {
        if (nanos == 0) {
            timeOut();
            return;
        }
        CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS, Runnable::run).execute(() -> {
            if (!view.isDone()) {
                timeOut();
            }
        });
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
