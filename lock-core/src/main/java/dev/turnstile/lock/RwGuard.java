package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A hold on an {@link RwLock}: the common type of {@link ReadGuard}, {@link WriteGuard} and
 * {@link UpgradableGuard}, for code that accepts any of them. Closing the guard releases the hold;
 * it may be closed on any thread, exactly once.
 *
 * <h2>Closed and consumed guards</h2>
 * An upgrade or a downgrade <em>consumes</em> the guard: its hold moves to the guard the call
 * returns. {@link #close()} on a consumed guard does nothing, so the guard may still sit in a
 * try-with-resources block around the upgrade, exactly like a {@link MutexGuard} consumed by
 * {@link Condvar#awaitAsync(MutexGuard)}. Closing a guard twice throws
 * {@link IllegalStateException}, and so does every other method once the guard is closed or
 * consumed; the lock is left as it is.
 *
 * <p>Like {@link MutexGuard}, a guard is not thread-safe: hand it over with a happens-before, don't
 * use it from two threads at once.
 *
 * <p>For diagnostics a guard belongs to the thread that acquired it (or to the {@link LockOwner} of an
 * asynchronous acquisition, or to nobody), and to another thread from that thread's first use of it
 * (any method), as {@link MutexGuard} explains. The JVM's tools see only write holds of threads.
 *
 * @param <T> the type of the guarded value
 */
public abstract sealed class RwGuard<T> implements AutoCloseable permits ReadGuard, WriteGuard, UpgradableGuard {
    /*
     * A plain state field, for MutexGuard's measured reason: the JIT then removes the guard of a
     * try (var r = lock.read()) block altogether, while a compare-and-set on it makes every
     * acquisition allocate. The one guard the library itself may release on another thread while
     * user code holds it (a with…Async body cancelled mid-run) is made shared (share()) first, and
     * closes by compare-and-set. The class is public (and sealed) so that the public final methods
     * below are reachable by reflection through the public subclasses (javac adds no public bridge
     * for a final method of a package-private class). The leak detector's record of a tracked guard
     * lives in a side table (LeakTracker), not in a field.
     */
    final RwLock<T> lock;
    private static final byte OPEN = 0;
    private static final byte CLOSED = 1;
    private static final byte CONSUMED = 2;
    /** Consumed by an asynchronous upgrade that may still give the hold back (it is cancelled). */
    private static final byte LENT = 3;
    /** {@link #LENT}, and closed meanwhile: a hold that comes back is released at once. */
    private static final byte LENT_CLOSED = 4;

    /**
     * One of the states above; a plain field unless {@link #shared}, see the class comment. A byte, so
     * that with the flag, the lock and the holdings the guard is 24 bytes.
     */
    private byte state;
    /** Set once the library itself may release this guard on another thread (withLockAsync). */
    private boolean shared;
    /** Where the hold is recorded if the lock is tracked (ranks, deadlock detection), else {@code null}. */
    private HeldLocks holds;

    RwGuard(RwLock<T> lock, HeldLocks holds) {
        this.lock = lock;
        this.holds = holds;
        LeakDetection.track(this, lock);
    }

    /** The kind of hold this guard has: {@code RwLock.READ}, {@code UPGRADABLE_READ} or {@code WRITE}. */
    abstract int kind();

    /** Where the hold is recorded, or {@code null}. */
    final HeldLocks holds() {
        return holds;
    }

    /**
     * The guard is used on the current thread: if a thread held it, this one does from now on.
     *
     * @return where the hold is recorded from now on
     */
    final HeldLocks usedHere() {
        HeldLocks h = lock.usedOnCurrentThread(holds, kind());
        holds = h;
        return h;
    }

    /**
     * {@return the guarded value} Through a read or upgradable guard it must only be read: other
     * readers see it at the same time.
     *
     * @throws IllegalStateException if this guard was closed, upgraded or downgraded
     */
    public final T get() {
        checkOpen();
        usedHere();
        return lock.value();
    }

    /** {@return the lock this guard holds (or held, once closed or consumed)} */
    public final RwLock<T> lock() {
        return lock;
    }

    /** {@return whether this guard still holds its lock (it has not been closed, upgraded or downgraded)} */
    public final boolean isHeld() {
        return state() == OPEN;
    }

    /**
     * Makes this guard safe to close from two threads: a guard that {@code with…Async} may release on
     * the cancelling thread while its body still holds it. Called before the body sees the guard.
     */
    final void share() {
        shared = true;
    }

    private byte state() {
        return shared ? (byte) STATE.getVolatile(this) : state;
    }

    /** Moves OPEN to {@code next}; {@code false} if the guard was not open. */
    private boolean leaveOpen(byte next) {
        if (shared) {
            return STATE.compareAndSet(this, OPEN, next);
        }
        if (state != OPEN) {
            return false;
        }
        state = next;
        return true;
    }

    /**
     * Releases the hold. Does nothing if the guard was consumed by an upgrade or a downgrade.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public abstract void close();

    final void checkOpen() {
        if (state() != OPEN) {
            throw alreadyClosed();
        }
    }

    /**
     * Takes the hold out of this guard for a release.
     *
     * @return {@code false} if the guard was consumed (nothing to release)
     * @throws IllegalStateException if the guard was already closed
     */
    final boolean markClosed() {
        for (;;) {
            if (leaveOpen(CLOSED)) {
                handedOver();
                return true;
            }
            byte s = state();
            if (s == CONSUMED || s == LENT_CLOSED) {
                return false;
            }
            if (s == CLOSED) {
                throw alreadyClosed();
            }
            // OPEN: a cancelled upgrade gave the lent hold back after leaveOpen failed; try again.
            if (s == LENT && STATE.compareAndSet(this, LENT, LENT_CLOSED)) {
                handedOver();
                return false; // the hold is with an asynchronous upgrade; released if it ever comes back
            }
        }
    }

    /**
     * Lends the hold to an asynchronous upgrade, which gives it back ({@link #takeBack()}) if it is
     * cancelled. The guard becomes shared: the hold may come back on another thread.
     *
     * @throws IllegalStateException if the guard was already closed or consumed
     */
    final void lend() {
        shared = true;
        if (!STATE.compareAndSet(this, OPEN, LENT)) {
            throw alreadyClosed();
        }
    }

    /**
     * The lent hold comes back (its upgrade was cancelled).
     *
     * @return {@code true} if the guard holds it again; {@code false} if the guard was closed while
     *         the hold was lent, and the caller must release the hold
     */
    final boolean takeBack() {
        return STATE.compareAndSet(this, LENT, OPEN);
    }

    /**
     * Takes the hold out of this guard for an upgrade or downgrade; {@link #handedOver()} once that
     * succeeds, {@link #reopen()} if it does not.
     *
     * @throws IllegalStateException if the guard was already closed or consumed
     */
    final void markConsumed() {
        if (!leaveOpen(CONSUMED)) {
            throw alreadyClosed();
        }
    }

    /** Gives the hold back to this guard after {@link #markConsumed()}, for an upgrade attempt that failed. */
    final void reopen() {
        if (shared) {
            STATE.setVolatile(this, OPEN);
        } else {
            state = OPEN;
        }
    }

    /**
     * The hold this guard had is given up or now belongs to another guard: the leak detector, if it
     * tracks this guard, must not report it.
     */
    final void handedOver() {
        LeakTracker.forget(this);
    }

    private IllegalStateException alreadyClosed() {
        return new IllegalStateException("this " + getClass().getSimpleName() + " of " + lock
                + " was already closed, upgraded or downgraded");
    }

    @Override
    public String toString() {
        byte s = state();
        // LENT and LENT_CLOSED: the hold went to upgradeAsync, pending or done; for the user the guard is consumed.
        String suffix = s == OPEN ? "]" : s == CLOSED ? ", closed]" : ", consumed]";
        return getClass().getSimpleName() + "[" + lock + suffix;
    }

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RwGuard.class, "state", byte.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
