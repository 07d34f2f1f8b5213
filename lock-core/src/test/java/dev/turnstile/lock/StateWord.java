package dev.turnstile.lock;

import dev.turnstile.lock.park.RawLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** White-box: a lock's state word as the core sees it, for tests that check its bits exactly. */
final class StateWord {
    /** The core's bits (as {@code RawLock} defines them) and {@code Mutex}'s lock bit. */
    static final int QUEUED = 1 << 31;
    static final int SIGNAL = 1 << 30;
    static final int PROFILED = 1 << 29;
    static final int LOCKED = 1;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.privateLookupIn(RawLock.class, MethodHandles.lookup())
                    .findVarHandle(RawLock.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private StateWord() {
    }

    /** {@return {@code lock}'s state word now (a volatile read)} */
    static int of(RawLock lock) {
        return (int) STATE.getVolatile(lock);
    }
}
