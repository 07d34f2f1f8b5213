package dev.turnstile.lock.park;

import dev.turnstile.lock.LockCallback;
import java.util.ArrayDeque;

/**
 * Runs granted callbacks on the current thread without letting them nest. A callback that releases
 * the lock grants the next waiter, whose callback would otherwise run inside the first one, and so on
 * down the stack: a chain of a million async hand-offs would overflow it (kotlinx.coroutines #80).
 * Here the outermost delivery on a thread drains a per-thread queue; deliveries made while it drains
 * are appended, so the stack depth stays constant and the queue holds only what is pending.
 */
final class Trampoline {
    private static final ThreadLocal<Trampoline> CURRENT = ThreadLocal.withInitial(Trampoline::new);

    private final ArrayDeque<CallbackWaiter> pending = new ArrayDeque<>();
    private boolean draining;

    private Trampoline() {
    }

    /** Whether the current thread is draining its trampoline (running a delivered callback). */
    static boolean isDraining() {
        return CURRENT.get().draining;
    }

    /** Delivers {@code waiter}'s grant now, or after the delivery already running on this thread. */
    static void deliver(CallbackWaiter waiter) {
        Trampoline t = CURRENT.get();
        if (t.draining) {
            t.pending.addLast(waiter);
            return;
        }
        t.draining = true;
        try {
            waiter.run();
            t.drain();
        } finally {
            t.draining = false;
        }
    }

    /**
     * Delivers a grant that has no waiter node (a front-end's free-lock fast path took the lock at
     * once): runs {@code callback.onLocked(guard)} now, on this thread, as a delivery, so that grants
     * made meanwhile on this thread wait on this trampoline and run after it returns, exactly as after
     * a queued waiter's delivery. What the callback throws goes to the thread's uncaught-exception
     * handler, as for {@link CallbackWaiter#run()}. Inside a delivery (the fast paths refuse there, so
     * only a caller with a guard of its own gets here) the callback runs at once, one level deeper.
     */
    static <G> void deliverTaken(LockCallback<? super G> callback, G guard) {
        Trampoline t = CURRENT.get();
        if (t.draining) {
            onLocked(callback, guard);
            return;
        }
        t.draining = true;
        try {
            onLocked(callback, guard);
            t.drain();
        } finally {
            t.draining = false;
        }
    }

    /** Runs the deliveries queued behind the one that just ran, and those they queue, in order. */
    private void drain() {
        for (CallbackWaiter w = pending.pollFirst(); w != null; w = pending.pollFirst()) {
            w.run();
        }
    }

    private static <G> void onLocked(LockCallback<? super G> callback, G guard) {
        try {
            callback.onLocked(guard);
        } catch (Throwable t) {
            CallbackWaiter.reportUncaught(t);
        }
    }
}
