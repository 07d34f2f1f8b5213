package dev.turnstile.lock;

import java.util.concurrent.Executor;

/**
 * Receives the outcome of one asynchronous acquisition made without a {@code CompletableFuture}:
 * the callback-level API that the {@code CompletableFuture} methods, and Turnstile's Reactor and
 * Vert.x adapters, are built on. An acquisition submitted with a callback allocates one small queue
 * node (the {@link PendingLock} handle it returns) and, once granted, the guard; nothing else.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Exactly one of {@link #onLocked} and {@link #onFailed} runs, at most once, unless the
 *       acquisition is withdrawn first ({@link PendingLock#cancel()} returned {@code true}); then
 *       neither ever runs.</li>
 *   <li>{@code onLocked} receives ownership: the receiver must close the guard eventually, on any
 *       thread, even if it no longer wants the lock (its consumer cancelled meanwhile). This is how a
 *       grant that loses the race with a cancellation is passed on instead of being stranded.</li>
 *   <li>Both methods must not block, and should not throw: an exception is passed to the delivering
 *       thread's uncaught-exception handler, and the guard delivered to a throwing {@code onLocked}
 *       still owns the lock.</li>
 *   <li>Where they run: without an executor, on the thread that granted the lock (the releasing
 *       thread, or the submitting thread when the lock was free; then {@code onLocked} runs before
 *       the submitting call returns). Grants made while another callback runs on the same thread are
 *       queued on a per-thread trampoline and run after it returns, so release chains of any length
 *       run in constant stack. With an executor, on that executor; if it rejects the task the lock
 *       is released and {@code onFailed} receives the
 *       {@link java.util.concurrent.RejectedExecutionException} on the releasing thread.</li>
 * </ul>
 *
 * <h2>Adapter idiom</h2>
 * A front-end keeps the handle so it can withdraw, and settles the grant-versus-cancel race in its
 * own state, here one atomic field ({@code onLocked} may run before {@code lockAsync} returns, so the
 * handle may still be {@code null} when it does):
 * <pre>{@code
 * final class LockSubscription<T> implements LockCallback<MutexGuard<T>> {
 *     private final AtomicReference<Object> state = new AtomicReference<>(); // null, guard, or CANCELLED
 *     private volatile PendingLock pending;
 *
 *     void start(Mutex<T> mutex, Executor context) {
 *         PendingLock p = mutex.lockAsync(this, context);   // the node is the only allocation
 *         pending = p;
 *         if (state.get() == CANCELLED) {
 *             p.cancel();                             // cancelled while it was being submitted
 *         }
 *     }
 *
 *     public void onLocked(MutexGuard<T> guard) {
 *         if (state.compareAndSet(null, guard)) {
 *             downstream.next(guard);                 // the consumer now owns it
 *         } else {
 *             guard.close();                          // cancelled meanwhile: never strand the lock
 *         }
 *     }
 *
 *     public void onFailed(Throwable cause) {
 *         downstream.error(cause);
 *     }
 *
 *     void cancel() {
 *         if (state.compareAndSet(null, CANCELLED)) {
 *             PendingLock p = pending;
 *             if (p != null) {
 *                 p.cancel();   // withdraws it; if the grant won, onLocked closes the guard
 *             }                 // p == null: start() re-checks once lockAsync returns
 *         }
 *     }
 * }
 * }</pre>
 * Timeouts at this level are the adapter's own timer calling {@link PendingLock#cancel()} (and
 * reporting {@link LockTimeoutException} when it returns {@code true}).
 *
 * @param <G> the guard type the lock hands out, such as {@link MutexGuard}
 * @see Mutex#lockAsync(LockCallback, Executor)
 * @see Executor
 */
public interface LockCallback<G> {
    /**
     * The lock was granted; {@code guard} owns it and must be closed exactly once.
     *
     * @param guard the new guard, never null
     */
    void onLocked(G guard);

    /**
     * The acquisition failed without a grant being delivered; the lock is not held on its behalf.
     * Happens when the executor rejected the delivery.
     *
     * @param cause why, never null
     */
    void onFailed(Throwable cause);

    /**
     * Makes a granted guard safe to close from two threads at once, for a front-end that hands the
     * guard to user code and may release it itself meanwhile (a scope cancelled on another thread
     * while its body runs), as lock-core's own {@code withLockAsync} does: the guard's state is then
     * read volatile and changed by compare-and-set, so exactly one of the two closes releases the lock
     * and the other finds the guard closed ({@link MutexGuard#close()} then throws
     * {@code IllegalStateException}). Call it before user code sees the guard. A guard that is not
     * shared keeps a plain state, which is what lets the JIT remove it from a
     * {@code try (var g = m.lock())} block.
     *
     * @param guard a guard of this library: a {@link MutexGuard} or an {@link RwGuard}
     * @param <G>   the guard type
     * @return {@code guard}
     * @throws IllegalArgumentException if {@code guard} is not a guard of this library
     * @throws NullPointerException     if {@code guard} is null
     */
    static <G> G shareGuard(G guard) {
        java.util.Objects.requireNonNull(guard, "guard");
        if (guard instanceof MutexGuard<?> g) {
            g.share();
        } else if (guard instanceof RwGuard<?> g) {
            g.share();
        } else {
            throw new IllegalArgumentException("not a Turnstile guard: " + guard.getClass().getName());
        }
        return guard;
    }

    /**
     * Hands {@code callback} a guard that a free-lock fast path took at once, without a queue node
     * ({@link Mutex#lockIfFree}, {@link RwLock#readIfFree}, {@link RwLock#writeIfFree},
     * {@link RwLock#upgradableReadIfFree}), the way lock-core delivers a grant: {@code onLocked} runs
     * now, on the current thread, before this returns, and acquisitions granted on this thread while
     * it runs (a release in its code handing the lock to a queued callback, an acquisition it makes
     * itself) wait on the thread's trampoline and run after it returns. A chain of acquisitions made
     * from callbacks therefore runs in constant stack whether it started on a free lock or not, as the
     * callback forms ({@link Mutex#lockAsync(LockCallback, Executor, LockOwner)}) promise. What
     * {@code onLocked} throws goes to the current thread's uncaught-exception handler, as for a queued
     * grant; the guard then still owns the lock.
     *
     * <pre>{@code
     * MutexGuard<T> now = mutex.lockIfFree(owner);      // taken at once: no node
     * if (now != null) {
     *     LockCallback.deliver(this, now);
     * } else {
     *     pending = mutex.lockAsync(this, null, owner);
     * }
     * }</pre>
     *
     * @param callback receives the guard
     * @param guard    the guard the fast path returned, which {@code callback} then owns
     * @param <G>      the guard type
     * @throws NullPointerException if an argument is null (nothing is delivered)
     */
    static <G> void deliver(LockCallback<? super G> callback, G guard) {
        java.util.Objects.requireNonNull(callback, "callback");
        java.util.Objects.requireNonNull(guard, "guard");
        Mutex.deliverGrant(callback, guard);
    }
}
