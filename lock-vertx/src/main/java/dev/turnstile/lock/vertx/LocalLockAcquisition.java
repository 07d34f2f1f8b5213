package dev.turnstile.lock.vertx;

import io.vertx.core.Context;
import io.vertx.core.shareddata.Lock;

/**
 * A {@link LocalLocks#getLocalLock} acquisition that had to queue (or that the caller may withdraw):
 * it completes with a {@link LocalLock}, and leaves the entry if it ends without a grant.
 */
final class LocalLockAcquisition extends Acquisition<AutoCloseable, Lock> {
    private final LocalLocks registry;
    private final LockEntry entry;

    LocalLockAcquisition(Context context, LocalLocks registry, LockEntry entry) {
        super(context);
        this.registry = registry;
        this.entry = entry;
    }

    @Override
    Lock granted(AutoCloseable guard) {
        return new LocalLock(registry, entry, guard);
    }

    @Override
    void abandon(Lock lock) {
        lock.release();
    }

    @Override
    void withdrawn() {
        registry.leave(entry);
    }
}
