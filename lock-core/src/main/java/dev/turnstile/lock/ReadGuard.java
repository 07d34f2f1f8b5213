package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;

/**
 * A read hold on an {@link RwLock}, and read access to its value. Closing the guard releases the
 * hold; it may be closed on any thread, exactly once.
 *
 * <pre>{@code
 * try (ReadGuard<Config> r = config.read()) {
 *     return r.get().timeout();
 * }
 * }</pre>
 *
 * Every method but {@link #isHeld()} throws {@link IllegalStateException} once the guard is closed,
 * and the lock is left as it is. The value must not be modified through a read guard: other readers
 * see it at the same time.
 *
 * @param <T> the type of the guarded value
 */
public final class ReadGuard<T> extends RwGuard<T> {
    ReadGuard(RwLock<T> lock, HeldLocks holds) {
        super(lock, holds);
    }

    @Override
    int kind() {
        return RwLock.READ;
    }

    /**
     * Releases the read hold; a writer waiting for the last reader is admitted.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public void close() {
        if (markClosed()) {
            lock.releaseRead(holds());
        }
    }
}
