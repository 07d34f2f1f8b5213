package dev.turnstile.lock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The future of {@code withLockAsync}: acquires, runs the body with the guard, and releases when the
 * body's stage completes or fails, or when the body throws. It is the acquisition's callback and the
 * body stage's completion action itself, so it costs one object beyond the queue node.
 *
 * <h2>Cancelling never releases under a running body</h2>
 * Completing this future from outside (cancel, {@code complete}, {@code orTimeout}) withdraws an
 * acquisition that is still queued, and a grant that arrives afterwards is released without running
 * the body. Once the body has started, the scope keeps the hold until the body's stage completes,
 * whatever happens to this future: the caller's dependents run at once (the future is cancelled),
 * but the next holder gets the lock only after the body is done, as with a blocking
 * {@code withLock} or kotlinx's {@code Mutex.withLock}. The body's stage is not cancelled: it may be
 * shared with other code; a body that should stop early watches a signal of its own.
 *
 * <h2>Release exactly once</h2>
 * The grant is kept in {@link #held}; the two paths that end the scope (the body's stage completing,
 * and a grant that finds the future already complete) take it with one atomic get-and-set. Releasing
 * tolerates a body that closed the guard itself.
 *
 * @param <G> the guard type
 * @param <R> the body's result type
 */
final class ScopedLockFuture<G, R> extends AcquisitionFuture<R> implements LockCallback<G>, BiConsumer<R, Throwable> {
    final Acquisition<G> acquisition;
    private final Function<? super G, ? extends CompletionStage<R>> body;
    /** The guard while the scope holds the lock; {@code null} before the grant and after the release. */
    private volatile G held;

    ScopedLockFuture(Acquisition.Factory<G> factory, Executor executor,
                     Function<? super G, ? extends CompletionStage<R>> body) {
        this.body = body;
        this.acquisition = factory.create(executor, this);
    }

    // ---------------------------------------------------------------- grant side

    @Override
    public void onLocked(G guard) {
        acquisition.share(guard); // the body may close it on another thread while the stage completes
        held = guard;
        if (isDone()) {
            releaseOnce(); // completed by the caller before the body started: it never runs
            return;
        }
        CompletionStage<R> stage;
        try {
            stage = Objects.requireNonNull(body.apply(guard), "withLockAsync body returned null");
        } catch (Throwable t) {
            releaseOnce();
            failInternally(t);
            return;
        }
        stage.whenComplete(this); // the hold lasts until the body's stage completes, cancelled or not
    }

    @Override
    public void onFailed(Throwable cause) {
        failInternally(cause);
    }

    /** The body's stage completed: release first, so this future's dependents find the lock free. */
    @Override
    public void accept(R result, Throwable failure) {
        releaseOnce();
        if (failure == null) {
            settleInternally(result);
        } else {
            failInternally(failure);
        }
    }

    // ---------------------------------------------------------------- caller side

    @Override
    boolean withdraw() {
        return acquisition.withdrawForCaller();
    }

    /** Nothing to release here: a running body keeps its hold, and a later grant sees the future done. */
    @Override
    void completedByCaller() {
    }

    @SuppressWarnings("unchecked")
    private void releaseOnce() {
        G guard = (G) HELD.getAndSet(this, null);
        if (guard != null) {
            acquisition.release(guard);
        }
    }

    private static final VarHandle HELD;

    static {
        try {
            HELD = MethodHandles.lookup().findVarHandle(ScopedLockFuture.class, "held", Object.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
