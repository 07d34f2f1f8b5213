package dev.turnstile.lock.park;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One waiting acquisition in a {@link WaitQueue}: a thread that parks ({@link ThreadWaiter}) or a
 * callback that is run when the lock is granted ({@link CallbackWaiter}).
 *
 * <h2>Status</h2>
 * <pre>
 *   PENDING ─(link)─► WAITING ─(admit: grant)─► CLAIMED ─(signal)─► GRANTED
 *                      │  ▲  └─(admit: wake the thread head in place)──────► WOKEN
 *                      │  └──────────────(the woken head re-arms)──────────────┘ │
 *                      └─(cancel)─► CANCELLED ◄─(its own cancel)─────────────────┤
 *                                              GRANTED ◄─(takes the lock, leaves)┘
 * </pre>
 * A condition variable's waiter starts elsewhere: {@code CONDITION ─(notify)─► CLAIMED ─(requeue)─►
 * WAITING} (or WOKEN as the new head, or GRANTED for a callback, when the lock is free), or
 * {@code CONDITION ─(timeout, interrupt)─► CANCELLED}, both under the condition queue's guard; see
 * {@link RawCondvar}.
 * <ul>
 *   <li>{@code PENDING}: new, not yet in the queue; a cancel returns {@code false}.</li>
 *   <li>{@code WAITING}: linked in the queue, asleep (a thread) or pending (a callback), relying on a
 *       release to act for it.</li>
 *   <li>{@code CLAIMED}: taken off the queue by a grant, not yet told. A cancel that finds it here
 *       has lost the race.</li>
 *   <li>{@code GRANTED}: owns the lock in its mode; the lock state already counts it.</li>
 *   <li>{@code WOKEN}: a thread at the head of the queue that a release woke in place: still linked,
 *       running, competing for the free lock. Only its own thread moves it on (taking the lock and
 *       leaving, re-arming to WAITING, or cancelling); no release or grant touches it.</li>
 *   <li>{@code CANCELLED}: withdrawn (timeout, interrupt, cancelled future); owns nothing.</li>
 * </ul>
 * A waiter is linked in the queue exactly while it is WAITING or WOKEN. Every change of a linked
 * waiter's status happens under the queue guard, so grant and cancel race on a single
 * compare-and-set out of WAITING, and the loser compensates: a cancel that finds CLAIMED or GRANTED
 * knows the lock is (about to be) its owner's and must use or release it.
 *
 * <p>{@code prev}/{@code next} are read and written only under the queue guard, with one exception:
 * the releaser walks the chain of CLAIMED waiters it detached, reading {@code next} before it
 * publishes the final status.
 *
 * <p>The class is sealed: the core knows exactly two kinds of waiter. Code outside the core sees a
 * waiter only through {@link #isGranted()} and {@link #isCancelled()}, and creates asynchronous
 * ones by extending {@link CallbackWaiter}.
 */
public abstract sealed class Waiter permits ThreadWaiter, CallbackWaiter {
    /**
     * In a condition variable's queue ({@link RawCondvar}): not in any lock's queue, and no lock
     * admission ever sees it. Below {@link #GRANTED} like every non-final status.
     */
    static final int CONDITION = -1;
    static final int PENDING = 0;
    static final int WAITING = 1;
    static final int CLAIMED = 2;
    static final int GRANTED = 3;
    static final int WOKEN = 4;
    static final int CANCELLED = 5;

    /** The lock-specific mode this waiter asks for (exclusive, shared, …): opaque to the core. */
    final int mode;
    private volatile int status;
    Waiter prev;
    Waiter next;
    /** Set under a condition queue's guard when a notify took this waiter ({@link RawCondvar}). */
    boolean notified;

    Waiter(int mode) {
        this.mode = mode;
    }

    /** Tells a CLAIMED waiter its final status (GRANTED); runs outside the queue guard. */
    abstract void signal(RawLock lock, int finalStatus);

    final int status() {
        return status;
    }

    final void setStatus(int s) {
        status = s;
    }

    final boolean casStatus(int expect, int update) {
        return STATUS.compareAndSet(this, expect, update);
    }

    /**
     * Whether the lock has been granted to this waiter: it owns the lock, or (a callback) will as
     * soon as it is told. A volatile read; any thread.
     *
     * @return {@code true} once granted; never {@code false} again after that
     */
    public final boolean isGranted() {
        int s = status;
        return s == GRANTED || (s == CLAIMED && this instanceof CallbackWaiter);
    }

    /**
     * Whether this waiter was withdrawn before it was granted (timeout, interrupt, cancellation).
     * A volatile read; any thread.
     *
     * @return {@code true} once withdrawn; a withdrawn waiter owns nothing
     */
    public final boolean isCancelled() {
        return status == CANCELLED;
    }

    private static final VarHandle STATUS;

    static {
        try {
            STATUS = MethodHandles.lookup().findVarHandle(Waiter.class, "status", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
