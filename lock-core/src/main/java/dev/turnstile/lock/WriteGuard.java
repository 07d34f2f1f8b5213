package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;

/**
 * The write hold on an {@link RwLock}, and exclusive access to its value. Closing the guard releases
 * the hold; it may be closed on any thread, exactly once. The hold can also be turned into a read
 * or an upgradable read atomically: no other writer can acquire in between.
 *
 * <pre>{@code
 * WriteGuard<Cache> w = cache.write();
 * w.get().refresh();
 * try (ReadGuard<Cache> r = w.downgrade()) {   // w is consumed; nobody wrote since refresh()
 *     publish(r.get().snapshot());
 * }
 * }</pre>
 *
 * A downgrade consumes the guard, after which {@link #close()} does nothing (so the guard may sit in
 * a try-with-resources block); closing twice, or any other use after closing or consuming, throws
 * {@link IllegalStateException} and leaves the lock as it is.
 *
 * @param <T> the type of the guarded value
 */
public final class WriteGuard<T> extends RwGuard<T> {
    WriteGuard(RwLock<T> lock, HeldLocks holds) {
        super(lock, holds);
    }

    @Override
    int kind() {
        return RwLock.WRITE;
    }

    /**
     * Replaces the guarded value.
     *
     * @param value the new value (which may be null)
     * @throws IllegalStateException if this guard was closed or downgraded
     */
    public void set(T value) {
        checkOpen();
        usedHere();
        lock.setValue(value);
    }

    /**
     * Releases the write hold, letting waiters compete for the lock under its fairness policy. Does
     * nothing if the guard was consumed by a downgrade.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public void close() {
        if (markClosed()) {
            lock.releaseWrite(false, holds());
        }
    }

    /**
     * Releases the write hold and hands the lock straight to the longest waiter (with every reader
     * queued before the next writer, if that waiter is a reader), instead of letting a running
     * thread take it first. Does nothing if the guard was consumed by a downgrade.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    public void unlockFair() {
        if (markClosed()) {
            lock.releaseWrite(true, holds());
        }
    }

    /**
     * Atomically turns the write hold into a read hold: the value written stays visible and no other
     * writer can acquire in between. Readers queued at the head are admitted alongside. This guard
     * is consumed.
     *
     * @return the guard of the read hold
     * @throws IllegalStateException if this guard was already closed or downgraded
     */
    public ReadGuard<T> downgrade() {
        checkOpen();
        HeldLocks h = usedHere();
        markConsumed();
        lock.transition(RwLock.WRITE_TO_READ);
        handedOver();
        return new ReadGuard<>(lock, lock.changedHold(h, RwLock.WRITE, RwLock.READ));
    }

    /**
     * Atomically turns the write hold into an upgradable read hold, which can later be upgraded
     * again without any writer slipping in. Readers queued at the head are admitted alongside. This
     * guard is consumed.
     *
     * @return the guard of the upgradable read hold
     * @throws IllegalStateException if this guard was already closed or downgraded
     */
    public UpgradableGuard<T> downgradeToUpgradable() {
        checkOpen();
        HeldLocks h = usedHere();
        markConsumed();
        lock.transition(RwLock.WRITE_TO_UPGRADABLE);
        handedOver();
        return new UpgradableGuard<>(lock, lock.changedHold(h, RwLock.WRITE, RwLock.UPGRADABLE_READ));
    }
}
