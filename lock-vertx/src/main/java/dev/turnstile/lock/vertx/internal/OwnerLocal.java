package dev.turnstile.lock.vertx.internal;

import dev.turnstile.lock.LockOwner;
import io.vertx.core.Context;
import io.vertx.core.internal.VertxBootstrap;
import io.vertx.core.spi.VertxServiceProvider;
import io.vertx.core.spi.context.storage.ContextLocal;

/**
 * The Vert.x context-local slot that carries a {@link LockOwner}: the asynchronous task that
 * {@code VertxLocks} acquisitions made on that context count for, in lock ranks and deadlock
 * detection. A {@link ContextLocal} must be registered before the Vert.x instance whose contexts use
 * it is built, so this class is also a {@link VertxServiceProvider}: Vert.x loads it (and so
 * registers the slot) while it builds each instance. Each context has its own slot (Vert.x copies it
 * only into a context duplicated with its locals).
 */
public final class OwnerLocal implements VertxServiceProvider {
    /** The slot. */
    public static final ContextLocal<LockOwner> KEY = ContextLocal.registerLocal(LockOwner.class);

    /** For Vert.x's service loader. */
    public OwnerLocal() {
    }

    @Override
    public void init(VertxBootstrap builder) {
        // registering KEY, in this class's initializer, is all there is to do
    }

    /**
     * The owner {@code context} carries, or {@code null} (no context, no owner, or a Vert.x instance
     * built before this slot was registered).
     *
     * @param context a context, or {@code null}
     * @return the owner, or {@code null}
     */
    public static LockOwner of(Context context) {
        if (context == null) {
            return null;
        }
        try {
            return context.getLocal(KEY);
        } catch (IllegalArgumentException builtBeforeTheSlot) {
            return null;
        }
    }

    /**
     * Sets (or, with {@code null}, removes) the owner {@code context} carries.
     *
     * @param context the context
     * @param owner   the owner, or {@code null}
     * @throws IllegalStateException if the context's Vert.x instance was built before this slot was
     *                               registered (lock-vertx was not on the class or module path then)
     */
    public static void set(Context context, LockOwner owner) {
        try {
            if (owner == null) {
                context.removeLocal(KEY);
            } else {
                context.putLocal(KEY, owner);
            }
        } catch (IllegalArgumentException builtBeforeTheSlot) {
            throw new IllegalStateException("this Vert.x instance was built before lock-vertx registered its"
                    + " context-local slot for LockOwner; build it with lock-vertx on the class or module path", builtBeforeTheSlot);
        }
    }
}
