package dev.turnstile.lock.vertx;

import io.vertx.core.Context;
import io.vertx.core.shareddata.Lock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One {@link LocalLocks#getLocalLock} acquisition, and then the {@link Lock} it completes with: the
 * same object, so a local lock costs one object of its own on top of lock-core's node and guard.
 */
final class LocalLock extends Acquisition<AutoCloseable, Lock> implements Lock {
    private final LocalLocks registry;
    private final LockEntry entry;
    /** Set on the granting thread before the future completes, which publishes it. */
    private AutoCloseable guard;
    private volatile boolean released;

    LocalLock(Context context, LocalLocks registry, LockEntry entry) {
        super(context);
        this.registry = registry;
        this.entry = entry;
    }

    @Override
    Lock granted(AutoCloseable g) {
        guard = g;
        return this;
    }

    @Override
    void abandon(Lock lock) {
        release();
    }

    @Override
    void withdrawn() {
        registry.leave(entry);
    }

    /** Releases the lock; later calls do nothing, as with Vert.x's own local locks. */
    @Override
    public void release() {
        if (RELEASED.compareAndSet(this, false, true)) {
            VertxLocks.close(guard);
            registry.leave(entry);
        }
    }

    @Override
    public String toString() {
        return "LocalLock[" + entry.name + (released ? ", released]" : "]");
    }

    private static final VarHandle RELEASED;

    static {
        try {
            RELEASED = MethodHandles.lookup().findVarHandle(LocalLock.class, "released", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
