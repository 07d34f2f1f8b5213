package dev.turnstile.lock;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * What the three {@link RwLock} guards share: the lock, and the single-use state that makes a second
 * release, or any use after release, an {@link IllegalStateException} that leaves the lock untouched.
 * An upgrade or downgrade <em>consumes</em> the guard: its hold moves to the new guard, and a later
 * {@code close()} of the consumed guard does nothing, so that a consumed guard may still sit in a
 * try-with-resources block.
 *
 * @param <T> the type of the guarded value
 */
abstract sealed class RwGuard<T> implements AutoCloseable permits ReadGuard, WriteGuard, UpgradableGuard {
    final RwLock<T> lock;
    private static final int OPEN = 0;
    private static final int CLOSED = 1;
    private static final int CONSUMED = 2;

    private volatile int state;

    RwGuard(RwLock<T> lock) {
        this.lock = lock;
    }

    /**
     * The guarded value. Through a read or upgradable guard it must only be read: other readers see
     * it at the same time.
     *
     * @throws IllegalStateException if this guard was closed, upgraded or downgraded
     */
    public final T get() {
        checkOpen();
        return lock.value();
    }

    /** The lock this guard holds. */
    public final RwLock<T> lock() {
        return lock;
    }

    /** Whether this guard still holds its lock (it has not been closed, upgraded or downgraded). */
    public final boolean isHeld() {
        return state == OPEN;
    }

    /** Releases the hold (see each guard); never throws a checked exception. */
    @Override
    public abstract void close();

    final void checkOpen() {
        if (state != OPEN) {
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
        if (STATE.compareAndSet(this, OPEN, CLOSED)) {
            return true;
        }
        if (state == CONSUMED) {
            return false;
        }
        throw alreadyClosed();
    }

    /**
     * Takes the hold out of this guard for an upgrade or downgrade.
     *
     * @throws IllegalStateException if the guard was already closed or consumed
     */
    final void markConsumed() {
        if (!STATE.compareAndSet(this, OPEN, CONSUMED)) {
            throw alreadyClosed();
        }
    }

    /** Gives the hold back to this guard after {@link #markConsumed()}, for an upgrade attempt that failed. */
    final void reopen() {
        state = OPEN;
    }

    private IllegalStateException alreadyClosed() {
        return new IllegalStateException("this " + getClass().getSimpleName() + " of " + lock
                + " was already closed, upgraded or downgraded");
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + lock + (state != OPEN ? ", closed]" : "]");
    }

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(RwGuard.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
