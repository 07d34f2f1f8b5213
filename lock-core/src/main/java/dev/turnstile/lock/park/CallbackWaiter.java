package dev.turnstile.lock.park;

import java.util.concurrent.Executor;

/**
 * An asynchronous acquisition: no thread waits; {@link #onGrant()} runs once the lock is granted.
 * This is the node every asynchronous front-end (CompletableFuture, Reactor, Vert.x) adapts.
 *
 * <h2>Where {@code onGrant} runs</h2>
 * Without an executor, on the thread that granted the lock (the releasing thread, or the acquiring
 * thread if the lock was free) through a per-thread trampoline: grants made while a callback runs
 * are queued and run after it returns, never nested, so a chain of any length cannot overflow the
 * stack. With an executor, {@code onGrant} is submitted to it; if it refuses (throws anything), the
 * lock is released and {@link #onGrantFailed(Throwable)} runs instead, so a refused grant never
 * strands the lock.
 *
 * <h2>Cancellation</h2>
 * {@link #withdraw()} withdraws a waiter that has not been granted and returns {@code true}; once it
 * returns {@code false}, the lock is (or is about to be) this waiter's, and {@code onGrant} will run:
 * a front-end whose consumer has gone away must release the lock there. A waiter is single-use.
 *
 * <p>Callbacks must not block and should not throw; an exception thrown by {@code onGrant} is passed
 * to the current thread's uncaught-exception handler and does not disturb other deliveries. The lock
 * stays granted in that case: the front-end owns it and must release it.
 *
 * <h2>Who extends it</h2>
 * A lock type built on {@link RawLock} whose asynchronous acquisitions need a node of their own:
 * only {@link RawLock#acquireAsync} and {@link RawCondvar#enqueueAsync} (both protected) submit one.
 * A front-end for another asynchronous framework does not need this class: it adapts the public
 * callback level ({@code LockCallback} and {@code PendingLock} in {@code dev.turnstile.lock}), as
 * Turnstile's Reactor and Vert.x modules do.
 *
 * <h2>Thread safety</h2>
 * {@link #withdraw()} may be called from any thread at any time, concurrently with a grant: one
 * compare-and-set under the queue's guard decides. {@link #onGrant()} and
 * {@link #onGrantFailed(Throwable)} run at most once between them, on the delivering thread.
 */
public abstract non-sealed class CallbackWaiter extends Waiter implements Runnable {
    private static final int UNDELIVERED = 0;
    private static final int DELIVERING = 1;
    private static final int REFUSED = 2;

    private final Executor executor;
    private volatile RawLock lock;
    /**
     * Claimed once: by {@link #run()} (DELIVERING) or by a refusal (REFUSED). An executor that runs
     * the task and then throws, or queues it and then throws (a {@code ThreadPoolExecutor} that cannot
     * start a worker), has not refused it: the first claim decides.
     */
    private volatile int delivery;
    /** This acquisition's wait, while observed ({@link Diagnostics}); set before it is queued. */
    WaitTrace trace;

    /**
     * A waiter not yet submitted.
     *
     * @param mode     the lock-specific mode to acquire
     * @param executor where {@link #onGrant()} runs, or {@code null} for the granting thread's trampoline
     */
    protected CallbackWaiter(int mode, Executor executor) {
        super(mode);
        this.executor = executor;
    }

    /** Runs once, when the lock has been granted to this waiter. Must not block. */
    protected abstract void onGrant();

    /**
     * Runs instead of {@link #onGrant()} when the grant could not be delivered (the executor refused
     * it, by {@code RejectedExecutionException} or any other exception). The lock has already been
     * released (by {@link #releaseRefusedGrant}). Runs on the thread that tried to deliver.
     *
     * @param cause what the executor threw
     */
    protected abstract void onGrantFailed(Throwable cause);

    /**
     * Withdraws this waiter if it has not been granted yet.
     *
     * @return {@code true} if it was withdrawn (it will never be granted); {@code false} if it was
     *         not queued: already granted (then {@link #onGrant()} runs or has run), or not yet
     *         submitted, or still being submitted by {@code acquireAsync} on another thread (call
     *         again once that returns)
     */
    protected final boolean withdraw() {
        RawLock l = lock;
        return l != null && l.cancel(this);
    }

    /**
     * The lock this waiter was submitted to.
     *
     * @return the lock, or {@code null} before submission
     */
    protected final RawLock lock() {
        return lock;
    }

    /** Binds this waiter to the lock it is submitted to; a waiter is single-use. */
    final void bind(RawLock target) {
        if (lock != null) {
            throw new IllegalStateException("a callback waiter can be submitted only once");
        }
        lock = target;
    }

    /**
     * Delivery entry point for the executor and the trampoline; public only because
     * {@link Runnable} is. Runs {@link #onGrant()} once, and only after the grant: a call before it,
     * a second call, or a call after the grant was refused does nothing.
     */
    @Override
    public final void run() {
        if (status() != GRANTED || !DELIVERY.compareAndSet(this, UNDELIVERED, DELIVERING)) {
            return; // the grant was refused and released; a late run does nothing
        }
        try {
            onGrant();
        } catch (Throwable t) {
            reportUncaught(t);
        }
    }

    /**
     * A grant that could not be delivered: release what it holds. The default releases the waiter's
     * mode on {@code granted}; a subclass whose grant must be undone otherwise (an upgrade turns
     * back into the hold it came from) overrides it.
     *
     * @param granted the lock that granted this waiter
     * @return whether {@link #onGrantFailed} should run; {@code false} for a subclass whose outcome
     *         another party already settled (a cancelled upgrade)
     */
    protected boolean releaseRefusedGrant(RawLock granted) {
        granted.release(mode, false);
        return true;
    }

    /**
     * Delivers the grant. Never throws: the releaser that calls this still has other waiters of the
     * same batch to tell. An executor that throws anything (not only
     * {@link java.util.concurrent.RejectedExecutionException}) before running the task has refused
     * the grant: the lock is released and {@link #onGrantFailed} runs here; what that throws goes to
     * the uncaught-exception handler. One that throws after it ran or queued the task has not: the
     * grant stands and the exception goes to the handler.
     */
    @Override
    void signal(RawLock granted, int finalStatus) {
        setStatus(finalStatus);
        if (executor == null) {
            Trampoline.deliver(this);
            return;
        }
        try {
            executor.execute(this);
        } catch (Throwable refused) {
            if (!DELIVERY.compareAndSet(this, UNDELIVERED, REFUSED)) {
                reportUncaught(refused); // it ran (or runs) all the same: the grant stands
                return;
            }
            try {
                if (releaseRefusedGrant(granted)) {
                    onGrantFailed(refused);
                }
            } catch (Throwable t) {
                reportUncaught(t);
            }
        }
    }

    private static final java.lang.invoke.VarHandle DELIVERY;

    static {
        try {
            DELIVERY = java.lang.invoke.MethodHandles.lookup().findVarHandle(CallbackWaiter.class, "delivery", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Passes {@code t} to the current thread's uncaught-exception handler, which must not stop us either. */
    static void reportUncaught(Throwable t) {
        Thread current = Thread.currentThread();
        try {
            current.getUncaughtExceptionHandler().uncaughtException(current, t);
        } catch (Throwable ignored) {
            // a handler that throws: nothing more can be done with it here
        }
    }
}
