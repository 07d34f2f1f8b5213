package dev.turnstile.lock.vertx;

import io.vertx.core.Future;

/**
 * An acquisition that can be withdrawn while it waits: what {@link VertxLocks#pendingLock},
 * {@link VertxLocks#pendingRead} and {@link VertxLocks#pendingWrite} return, since a Vert.x
 * {@link Future} has no {@code cancel}.
 *
 * <pre>{@code
 * PendingAcquisition<MutexGuard<Cart>> p = VertxLocks.pendingLock(cart);
 * p.future().onSuccess(g -> { try (g) { g.get().checkout(); } });
 * request.connection().closeHandler(v -> p.cancel());   // the client left: stop waiting
 * }</pre>
 *
 * @param <V> what the future completes with, such as a {@link dev.turnstile.lock.MutexGuard}
 */
public interface PendingAcquisition<V> {
    /**
     * The future of the acquisition; it completes on the context it was requested on (see
     * {@link VertxLocks}).
     *
     * @return the future, the same one on every call
     */
    Future<V> future();

    /**
     * Withdraws the acquisition if it has not been granted yet: the waiter leaves the lock's queue
     * before this returns, and the future fails with a
     * {@link java.util.concurrent.CancellationException}.
     *
     * @return {@code true} if withdrawn; {@code false} if the lock was granted first (the future
     *         completes, or has completed, with the guard, which must be closed as usual), or the
     *         acquisition was already withdrawn or timed out
     */
    boolean cancel();
}
