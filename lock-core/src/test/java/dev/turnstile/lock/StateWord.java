package dev.turnstile.lock;

import dev.turnstile.lock.park.RawLock;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/** White-box: a lock's state word as the core sees it, for tests that check its bits exactly. */
final class StateWord {
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
