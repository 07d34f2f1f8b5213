package dev.turnstile.lock;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A {@code CompletableFuture} that Turnstile completes from a lock grant, and that its caller may
 * complete too ({@code cancel}, {@code complete}, {@code completeExceptionally}, and through them
 * {@code orTimeout} and {@code completeOnTimeout}) without ever stranding the lock.
 *
 * <h2>Why a view</h2>
 * IBM async-util returns the future it completes internally, so a caller that cancels it strands the
 * lock: the grant lands in a future nobody reads. Here the future's own completion is the arbiter.
 * The grant side completes it with {@link #settleInternally}; if that fails because the caller
 * completed it first, the grant is released at once. The caller side first withdraws the queued
 * waiter ({@link #withdraw()}, so the queue is already clean when its dependents run) and then
 * completes the future; if the grant had already been claimed, the delivery that follows finds the
 * future done and releases. Every caller-side completion path is overridden so none can bypass this:
 * {@code completeAsync} is routed through {@code complete}, and the {@code obtrude} methods, which
 * could overwrite a delivered guard, are refused.
 *
 * @param <V> the value type
 */
abstract class AcquisitionFuture<V> extends CompletableFuture<V> {

    /**
     * Withdraws the acquisition behind this future if it is still queued.
     *
     * @return whether a caller-side completion may proceed; {@code false} when the grant is being
     *         delivered and the acquisition cannot be undone from here (the future completes with it)
     */
    abstract boolean withdraw();

    /** Runs after a caller-side completion took effect: release what the future holds on its behalf. */
    abstract void completedByCaller();

    /**
     * Runs once the acquisition has been submitted. A caller cannot withdraw a waiter while it is
     * still being submitted (the core does not know it yet), so a completion that happened meanwhile
     * is acted on here.
     */
    final void submitted() {
        if (isDone()) {
            withdraw();
        }
    }

    /** Completes with {@code value} from the grant side; {@code false} if the caller came first. */
    final boolean settleInternally(V value) {
        return super.complete(value);
    }

    /** Completes with {@code failure} from the grant side; {@code false} if already complete. */
    final boolean failInternally(Throwable failure) {
        return super.completeExceptionally(failure);
    }

    /**
     * Cancels the acquisition: a queued waiter is withdrawn, a grant that arrives later is released.
     * {@code mayInterruptIfRunning} has no effect, as for every {@code CompletableFuture}.
     */
    @Override
    public final boolean cancel(boolean mayInterruptIfRunning) {
        return byCaller(() -> super.cancel(mayInterruptIfRunning));
    }

    /** Completes with {@code value} instead of a grant; the acquisition is withdrawn or released. */
    @Override
    public final boolean complete(V value) {
        return byCaller(() -> super.complete(value));
    }

    /** Fails the acquisition with {@code failure}; the acquisition is withdrawn or released. */
    @Override
    public final boolean completeExceptionally(Throwable failure) {
        Objects.requireNonNull(failure, "failure");
        return byCaller(() -> super.completeExceptionally(failure));
    }

    /** Every caller-side completion: withdraw first, then complete, then release what it leaves. */
    private boolean byCaller(BooleanSupplier completion) {
        if (isDone() || !withdraw()) {
            return false;
        }
        boolean completed = completion.getAsBoolean();
        if (completed) {
            completedByCaller();
        }
        return completed;
    }

    /** As {@link CompletableFuture#completeAsync(Supplier, Executor)}, through {@link #complete}. */
    @Override
    public final CompletableFuture<V> completeAsync(Supplier<? extends V> supplier, Executor executor) {
        Objects.requireNonNull(supplier, "supplier");
        Objects.requireNonNull(executor, "executor");
        executor.execute(() -> {
            try {
                complete(supplier.get());
            } catch (Throwable t) {
                completeExceptionally(t);
            }
        });
        return this;
    }

    /** As {@link CompletableFuture#completeAsync(Supplier)}, through {@link #complete}. */
    @Override
    public final CompletableFuture<V> completeAsync(Supplier<? extends V> supplier) {
        return completeAsync(supplier, defaultExecutor());
    }

    /**
     * Refused: overwriting the outcome could discard a delivered guard and strand the lock.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public final void obtrudeValue(V value) {
        throw new UnsupportedOperationException("a lock future's outcome cannot be overwritten");
    }

    /**
     * Refused: overwriting the outcome could discard a delivered guard and strand the lock.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public final void obtrudeException(Throwable failure) {
        throw new UnsupportedOperationException("a lock future's outcome cannot be overwritten");
    }
}
