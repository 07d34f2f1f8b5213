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
 * body's stage completes or fails, when the body throws, and when this future is completed by its
 * caller (cancelled, or timed out with {@code orTimeout}). It is the acquisition's callback and the
 * body stage's completion action itself, so it costs one object beyond the queue node.
 *
 * <h2>Release exactly once</h2>
 * The grant is kept in {@link #held}; every path that ends the scope takes it with one atomic
 * get-and-set, so the guard is released once whichever paths race. Releasing tolerates a body that
 * closed the guard itself.
 *
 * <h2>Cancelling while the body runs</h2>
 * The lock is released at once and the body's stage is cancelled (when it is a
 * {@code CompletableFuture}). A body that ignores the cancellation and touches the guard afterwards
 * gets {@link IllegalStateException} from it instead of racing the next holder.
 *
 * @param <G> the guard type
 * @param <R> the body's result type
 */
final class ScopedLockFuture<G, R> extends AcquisitionFuture<R> implements LockCallback<G>, BiConsumer<R, Throwable> {
    final Acquisition<G> acquisition;
    private final Function<? super G, ? extends CompletionStage<R>> body;
    /** The guard while the scope holds the lock; {@code null} before the grant and after the release. */
    private volatile G held;
    /** The body's stage once it returned one, for cancellation. */
    private volatile CompletionStage<R> running;

    ScopedLockFuture(Acquisition.Factory<G> factory, Executor executor,
                     Function<? super G, ? extends CompletionStage<R>> body) {
        this.body = body;
        this.acquisition = factory.create(executor, this);
    }

    // ---------------------------------------------------------------- grant side

    @Override
    public void onLocked(G guard) {
        acquisition.share(guard); // completedByCaller may release it on another thread while the body holds it
        held = guard;
        if (isDone()) {
            releaseOnce(); // cancelled between the grant and its delivery
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
        running = stage;
        if (isDone()) {
            cancelBody(stage); // cancelled while the body was being applied; already released
            return;
        }
        stage.whenComplete(this);
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

    @Override
    void completedByCaller() {
        CompletionStage<R> stage = running;
        if (stage != null) {
            cancelBody(stage);
        }
        releaseOnce();
    }

    private static void cancelBody(CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().cancel(false);
        } catch (UnsupportedOperationException notAFuture) {
            // a minimal stage cannot be cancelled; the released guard refuses further use
        }
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
