package dev.turnstile.lock.vertx;

import io.vertx.core.shareddata.Lock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A granted {@link LocalLocks#getLocalLock} lock: the guard of the name's lock, and the entry to
 * leave when it is released.
 */
final class LocalLock implements Lock {
    private final LocalLocks registry;
    private final LockEntry entry;
    private final AutoCloseable guard;
    private volatile boolean released;

    LocalLock(LocalLocks registry, LockEntry entry, AutoCloseable guard) {
        this.registry = registry;
        this.entry = entry;
        this.guard = guard;
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
