package dev.turnstile.lock;

import dev.turnstile.lock.park.CallbackWaiter;
import dev.turnstile.lock.park.HeldLocks;
import java.util.concurrent.Executor;

/**
 * The queue node of one asynchronous acquisition, and the {@link PendingLock} handle its submitter
 * keeps: a {@link CallbackWaiter} that turns the core's grant into a guard for a {@link LockCallback}.
 * One subclass per kind of guard ({@link MutexAcquisition}, …) knows how to make and release it; the
 * front-ends (a callback, a {@code CompletableFuture} view) are the callback.
 *
 * <p>The node holds nothing but the core's fields and the callback, so a queued acquisition costs
 * this node plus whatever the front-end needs (nothing more for a callback, one view object for a
 * future).
 *
 * @param <G> the guard type
 */
abstract class Acquisition<G> extends CallbackWaiter implements PendingLock {
    /**
     * Receives the outcome; a {@link Tagged} wrapper when the acquisition counts for a task or the leak
     * detector records where it was asked for, so that a plain acquisition's node carries no field for
     * either. Set before submission, which publishes it to the granting thread.
     */
    private LockCallback<? super G> callback;

    Acquisition(int mode, Executor executor, LockCallback<? super G> callback) {
        super(mode, executor);
        // The leak detector's record of where this acquisition was asked for (lockAsync, awaitAsync,
        // upgradeAsync, a front-end's subscribe): its guard is made later, on whichever thread grants
        // it (a releaser, a notifier), whose stack says nothing about who dropped the future. Kept in
        // a wrapper of the callback, like an owner, so that the node has no field for it; with
        // detection off this is one static read.
        Object site = LeakDetection.asyncSite();
        this.callback = site == null ? callback : new Tagged<>(callback, null, site);
    }

    /** The lock this node was submitted to, or {@code null} before; for messages. */
    final Object target() {
        return lock();
    }

    /** Makes this acquisition count for the task whose holdings are {@code holds} (may be null). */
    final void ownedBy(HeldLocks holds) {
        if (holds != null) {
            callback = callback instanceof Tagged<? super G> t
                    ? new Tagged<>(t.callback, holds, t.site) : new Tagged<>(callback, holds, null);
        }
    }

    /** The leak detector's decision and stack for this acquisition ({@link LeakDetection#asyncSite}), or {@code null}. */
    private Object leakSite() {
        return callback instanceof Tagged<?> t ? t.site : null;
    }

    /** The holdings of the task this acquisition counts for, or {@code null}. */
    final HeldLocks owner() {
        return callback instanceof Tagged<?> t ? t.holds : null;
    }

    /**
     * The callback of an acquisition made for a task ({@code holds}) or while leak detection was on
     * ({@code site}); either may be {@code null}.
     */
    private record Tagged<G>(LockCallback<? super G> callback, HeldLocks holds, Object site) implements LockCallback<G> {
        @Override
        public void onLocked(G guard) {
            callback.onLocked(guard);
        }

        @Override
        public void onFailed(Throwable cause) {
            callback.onFailed(cause);
        }
    }

    /** A guard for the grant this node has just received. */
    abstract G newGuard();

    /**
     * Releases a grant that its front-end will not use. Tolerates a guard its user closed already
     * (the release then does nothing), because a guard handed to user code may be closed there too.
     */
    abstract void release(G guard);

    /**
     * Makes {@code guard} safe to close from two threads at once, for a front-end that may release it
     * on another thread while user code still holds it ({@code withLockAsync} cancelled while its body
     * runs). Guards are otherwise plain, which is what lets the JIT remove them (see MutexGuard).
     */
    abstract void share(G guard);

    /**
     * {@link PendingLock#cancel()}: {@code true} if no callback will run. By default, withdraws the
     * node if it is still queued; subclasses whose cancellation must undo more (an upgrade, a condvar
     * wait) override it.
     */
    @Override
    public boolean cancel() {
        return withdraw();
    }

    /**
     * For a future whose caller completes it (cancel, complete, timeout): withdraw this node if it is
     * still queued, and say whether the caller's completion may proceed. By default it always may: a
     * grant that already won is released when it arrives and finds the future complete.
     */
    boolean withdrawForCaller() {
        cancel();
        return true;
    }

    /** Hands a grant to the callback; a subclass may refuse a grant whose outcome it already settled. */
    void grantReceived() {
        Object site = leakSite();
        G guard;
        if (site == null) {
            guard = newGuard();
        } else {
            LeakDetection.siteOfNextGuard(site); // the guard newGuard() makes is tracked as acquired there
            try {
                guard = newGuard();
            } finally {
                LeakDetection.siteOfNextGuard(null);
            }
        }
        callback.onLocked(guard);
    }

    @Override
    protected final void onGrant() {
        grantReceived();
    }

    @Override
    protected final void onGrantFailed(Throwable cause) {
        callback.onFailed(cause);
    }

    /**
     * Closes a guard that user code may have closed already (the release of a grant nobody will use
     * must tolerate that): closing a closed guard throws, and then it was released all the same.
     */
    static void closeIfHeld(AutoCloseable guard, boolean held) {
        if (!held) {
            return;
        }
        try {
            guard.close();
        } catch (IllegalStateException closedMeanwhile) {
            // its user closed it between the check and here
        } catch (Exception impossible) {
            throw new IllegalStateException("a Turnstile guard threw a checked exception", impossible);
        }
    }

    /** Creates the node of one acquisition for a front-end; constructor references of the subclasses. */
    @FunctionalInterface
    interface Factory<G> {
        Acquisition<G> create(Executor executor, LockCallback<? super G> callback);
    }
}
