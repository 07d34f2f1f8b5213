package dev.turnstile.lock.vertx;

import dev.turnstile.lock.LockCallback;
import dev.turnstile.lock.LockOwner;
import dev.turnstile.lock.LockTimeoutException;
import dev.turnstile.lock.PendingLock;
import dev.turnstile.lock.vertx.internal.OwnerLocal;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * One acquisition made through the Vert.x front-end: the {@link LockCallback} handed to lock-core,
 * the promise behind the Vert.x {@link Future}, and the context that future completes on.
 *
 * <h2>Implementation overview</h2>
 * The lock's queue node ({@link PendingLock}) is the only queue and the only state machine: grant
 * and withdrawal race on its compare-and-set, so exactly one of {@link #onLocked} (or
 * {@link #onFailed}) and a successful {@code cancel()} happens, and the promise is settled exactly
 * once, by whichever won. This class only decides <em>where</em> the promise is settled:
 * <ul>
 *   <li>The callback is submitted without an executor, so lock-core delivers it on the granting
 *       thread through its per-thread trampoline (release chains stay flat).</li>
 *   <li>If that thread is already running the caller's context, or the caller had no context, the
 *       promise is settled right there. Otherwise the outcome is handed to the context with one
 *       {@link Context#runOnContext} (this object is the handler, so the hop allocates nothing of
 *       its own); the event loop's task queue gives the happens-before for {@link #outcome}.</li>
 *   <li>A context that refuses the task (Vert.x closed) gets the grant released and the promise
 *       failed on the spot, so a grant is never stranded.</li>
 * </ul>
 * The promise is bound to the caller's context (Vert.x's own context-bound promise), so a handler
 * added later from another thread still runs on that context, as with the already-completed futures
 * of {@link VertxLocks}'s free-lock fast path.
 * Timeouts are a Vert.x timer (or, without a context, the JDK's delay scheduler) calling
 * {@link PendingLock#cancel()}: {@code true} fails the promise with {@link LockTimeoutException},
 * {@code false} means the grant won and is (being) delivered.
 *
 * @param <G> the guard type the lock delivers
 * @param <V> what the future completes with (the guard itself, or a wrapper of it)
 */
abstract class Acquisition<G, V> implements LockCallback<G>, PendingAcquisition<V>, Handler<Void> {
    /** Where the future completes; {@code null} means on the granting thread. */
    private final Context context;
    /** Bound to {@link #context}, so that a handler added from any thread runs there too. */
    private final Promise<V> promise;
    /** lock-core's queue node; set once the submitting call returns. */
    private volatile PendingLock pending;
    /** A grant (a {@code V}) or a failure (a {@code Throwable}) travelling to the context. */
    private Object outcome;
    /** Set only for a timed acquisition that had to wait, so untimed ones carry no timer state. */
    private volatile Timeout timeout;

    /** The timer of a timed acquisition: what to report, and the Vert.x timer to cancel on a grant. */
    private static final class Timeout {
        final Duration wait;
        final String lockName;
        volatile long vertxTimerId = -1L;

        Timeout(Duration wait, String lockName) {
            this.wait = wait;
            this.lockName = lockName;
        }
    }

    Acquisition(Context context) {
        this.context = context;
        this.promise = context == null ? Promise.promise() : ((ContextInternal) context).promise();
    }

    /** Turns the delivered guard into the future's value (called once, on the granting thread). */
    abstract V granted(G guard);

    /** Releases the value of a grant that could not be delivered to its context. */
    abstract void abandon(V value);

    /** Runs once when the acquisition ends without a grant (withdrawn, timed out or failed). */
    void withdrawn() {
    }

    /** Records lock-core's node; called by the submitting front-end as soon as it has it. */
    final void submitted(PendingLock node) {
        pending = node;
    }

    /** The {@link LockOwner} the caller's context carries, that this acquisition counts for, or {@code null}. */
    final LockOwner owner() {
        return OwnerLocal.of(context);
    }

    @Override
    public final Future<V> future() {
        return promise.future();
    }

    // ---------------------------------------------------------------- from lock-core

    @Override
    public final void onLocked(G guard) {
        cancelTimer();
        settle(granted(guard));
    }

    @Override
    public final void onFailed(Throwable cause) {
        cancelTimer();
        withdrawn();
        settle(cause);
    }

    // ---------------------------------------------------------------- withdrawal

    @Override
    public final boolean cancel() {
        PendingLock p = pending;
        if (p == null || !p.cancel()) {
            return false;
        }
        cancelTimer();
        withdrawn();
        settle(new CancellationException("lock acquisition withdrawn"));
        return true;
    }

    /**
     * Gives up after {@code nanos} unless granted before; a zero wait gives up at once unless the
     * lock was granted during submission. Called right after {@link #submitted}.
     */
    final void armTimeout(long nanos, Duration wait, String name) {
        PendingLock p = pending;
        if (p == null || p.isGranted()) {
            return; // refused before it was queued (a rank violation), or granted
        }
        if (nanos == Long.MAX_VALUE) {
            return; // longer than any timer can say: wait as long as it takes
        }
        Timeout t = new Timeout(wait.isNegative() ? Duration.ZERO : wait, name);
        timeout = t;
        if (nanos == 0L) {
            timedOut();
        } else if (context != null) {
            long millis = Math.max(1L, TimeUnit.NANOSECONDS.toMillis(nanos + 999_999L));
            t.vertxTimerId = context.owner().setTimer(millis, id -> timedOut());
        } else {
            CompletableFuture.delayedExecutor(nanos, TimeUnit.NANOSECONDS).execute(this::timedOut);
        }
    }

    private void timedOut() {
        if (pending.cancel()) {
            withdrawn();
            Timeout t = timeout;
            settle(new LockTimeoutException(t.lockName, t.wait));
        }
    }

    private void cancelTimer() {
        Timeout t = timeout;
        if (t != null && t.vertxTimerId >= 0) {
            context.owner().cancelTimer(t.vertxTimerId);
        }
    }

    // ---------------------------------------------------------------- settling on the context

    /** Settles the promise with {@code result} (a {@code V} or a {@code Throwable}) on the context. */
    private void settle(Object result) {
        Context c = context;
        if (c == null || Vertx.currentContext() == c) {
            complete(result);
            return;
        }
        outcome = result;
        try {
            c.runOnContext(this);
        } catch (RejectedExecutionException refused) {
            outcome = null;
            if (!(result instanceof Throwable)) {
                abandonGrant(result);
            }
            promise.tryFail(refused);
        }
    }

    /** The context's side of {@link #settle}: runs on the context. */
    @Override
    public final void handle(Void ignored) {
        Object result = outcome;
        outcome = null;
        complete(result);
    }

    @SuppressWarnings("unchecked") // outcome holds a V unless it holds a Throwable
    private void complete(Object result) {
        if (result instanceof Throwable failure) {
            promise.fail(failure);
        } else {
            promise.complete((V) result);
        }
    }

    @SuppressWarnings("unchecked")
    private void abandonGrant(Object result) {
        abandon((V) result);
    }
}
