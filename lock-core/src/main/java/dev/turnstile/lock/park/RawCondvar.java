package dev.turnstile.lock.park;

import java.util.concurrent.locks.LockSupport;

/**
 * The parking core's condition variable: waiters that released a {@link RawLock} and wait to be
 * notified, kept as ordinary {@link Waiter} nodes in a {@link WaitQueue} of their own, and moved onto
 * the lock's queue when notified.
 *
 * <h2>Implementation overview</h2>
 *
 * <h3>Waiting</h3>
 * A waiter is queued here (status {@link Waiter#CONDITION}) <em>before</em> its lock is released, so
 * a notifier that takes the lock afterwards always finds it: no lost wake-up. It then parks until
 * its status changes; spurious returns from {@code park} are absorbed by that loop, so {@code await}
 * returns only on notify, timeout or interrupt.
 *
 * <h3>Notify = requeue</h3>
 * Under this queue's guard, a notifier detaches the first waiter (or all of them) and marks them
 * CLAIMED; then, under the lock's guard, {@link RawLock#requeue} links them onto the lock's queue as
 * WAITING. They stay parked, and the lock's own releases admit them, one admission at a time (one
 * for a mutex), exactly like waiters that queued for the lock directly. Only when the lock is free
 * is the first of them woken to compete for it; its release then admits the rest. So
 * {@code notifyAll} on a held mutex wakes nobody: it moves every waiter onto the mutex's queue.
 *
 * <h3>Timeout and interrupt</h3>
 * Under this queue's guard, CAS CONDITION → CANCELLED and unlink. That CAS races with notify, which
 * leaves CONDITION under the same guard: whichever comes first wins. A waiter that withdrew
 * re-acquires its lock like a new arrival before returning; one that lost the race was notified,
 * keeps going (its timeout no longer matters, and an interrupt is kept as the interrupt status),
 * and re-acquires through the requeue. Either way the lock is held again when {@code await}
 * returns.
 *
 * <h3>One lock at a time</h3>
 * The lock the waiters released is recorded under the guard when a waiter queues; a waiter for a
 * different lock while others wait is refused before its lock is released, so notify always knows
 * which queue to move them to.
 *
 * <h3>Asynchronous waiters</h3>
 * The queue and the requeue take any {@link Waiter}. An asynchronous await ({@code Condvar.awaitAsync})
 * queues a {@link CallbackWaiter} in the lock's mode here with status CONDITION
 * ({@link #enqueueAsync}), releases the lock through its guard and returns. A notify moves it onto the
 * lock's queue, where admission grants it like any callback waiter (callbacks are always granted, not
 * woken), or, if the lock is free, {@link RawLock#requeue} grants it the lock on the spot; its
 * {@code onGrant} then completes the future with the lock held again. A timeout withdraws it with the
 * same CONDITION → CANCELLED CAS and then submits it to the lock as a fresh acquisition, so the future
 * still completes only once the lock is re-held; a cancellation withdraws it without resubmitting
 * ({@link #stopWaitingAsync}). No thread blocks at any step.
 *
 * <h2>Contract for subclasses</h2>
 * A condition-variable type extends this class and calls its protected final methods; all of them
 * are thread-safe. The caller of {@link #await} and {@link #enqueueAsync} must hold the lock it
 * passes, in the mode it passes, and must not release it itself ({@code await} releases and
 * re-acquires it; after {@code enqueueAsync} the caller releases it once, at once). Notifying needs
 * no lock.
 */
public abstract class RawCondvar {
    /** Outcome of {@link #await}: notified; the lock is held again. */
    protected static final int NOTIFIED = 0;
    /** Outcome of {@link #await}: the timeout elapsed first; the lock is held again. */
    protected static final int TIMED_OUT = 1;
    /** Outcome of {@link #await}: interrupted first; the lock is held again. */
    protected static final int INTERRUPTED = 2;

    private final WaitQueue waiters = new WaitQueue(LockConfig.DEFAULT);
    /** The lock the queued waiters released; guarded by the queue's guard. */
    private RawLock lock;

    /** A condition variable with no waiters, not yet bound to any lock. */
    protected RawCondvar() {
    }

    /**
     * Releases {@code heldLock} (held by the caller in {@code mode}), waits to be notified, and
     * re-acquires it in {@code mode} before returning, whatever the outcome (and when it throws
     * {@code IllegalStateException}, it never released it).
     *
     * @param heldLock      the lock the caller holds
     * @param mode          the mode the caller holds it in, and re-acquires it in
     * @param interruptible whether an interrupt before the notification ends the wait
     * @param timeoutNanos  the longest wait for a notification, or a negative value for no limit
     * @return {@link #NOTIFIED}, {@link #TIMED_OUT} or {@link #INTERRUPTED} (only if
     *         {@code interruptible}; the interrupt status is then cleared). Otherwise an interrupt
     *         received while waiting is kept as the interrupt status.
     * @throws IllegalStateException if waiters of another lock are queued, or the current thread must
     *                               not block and the {@code BlockingCalls} policy is strict; the
     *                               lock is still held. Also whatever the lock type's
     *                               {@code released} throws to refuse the release (the caller did not
     *                               hold the lock): nothing is left queued here then, and a
     *                               notification that reached the caller meanwhile is passed on
     */
    protected final int await(RawLock heldLock, int mode, boolean interruptible, long timeoutNanos) {
        final boolean timed = timeoutNanos >= 0;
        final long deadline = timed ? System.nanoTime() + timeoutNanos : 0L;
        BlockingCheck.beforeWait(heldLock); // may throw: the lock is still held
        ThreadWaiter node = new ThreadWaiter(mode, Thread.currentThread());
        enqueue(node, heldLock);
        // A tracked lock's deadlock detection sees this wait as soon as a notify moves the node onto
        // the lock's queue, even before this thread wakes up to re-acquire (it may never wake).
        HeldLocks waitRecord = heldLock.tracking() != null ? HeldLocks.ofCurrentThread() : null;
        if (waitRecord != null) {
            waitRecord.waitingFor(heldLock, node);
        }
        try {
            heldLock.release(mode, false);
        } catch (RuntimeException | Error refused) {
            // The lock type refused the release: the caller did not hold the lock (the documented
            // precondition). The node, queued first so that no notify is missed, must not stay: it
            // would count as a waiter for ever, keep this condvar bound to the lock, and a notify
            // would move it onto the lock's queue, where a release would grant the lock to a thread
            // that has left.
            leaveAfterRefusedRelease(node, heldLock, mode, waitRecord);
            throw refused;
        }

        boolean interrupted = false;
        int outcome = NOTIFIED;
        try {
            while (node.status() == Waiter.CONDITION) {
                if (timed) {
                    long remaining = deadline - System.nanoTime();
                    if (remaining <= 0) {
                        if (withdraw(node)) {
                            outcome = TIMED_OUT;
                            break;
                        }
                        continue; // notified meanwhile: the notification wins
                    }
                    LockSupport.parkNanos(this, remaining);
                } else {
                    LockSupport.park(this);
                }
                if (Thread.interrupted()) {
                    interrupted = true;
                    if (interruptible && withdraw(node)) {
                        outcome = INTERRUPTED;
                        break;
                    }
                }
            }
            if (outcome != NOTIFIED) {
                heldLock.acquireBlocking(mode, false, -1L, node, false);
                return outcome;
            }
            interrupted |= reacquireNotified(node, heldLock, mode);
            return NOTIFIED;
        } finally {
            if (waitRecord != null) {
                waitRecord.doneWaiting(node);
            }
            if (interrupted && outcome != INTERRUPTED) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A notified waiter's way back: it is being moved onto the lock's queue (CLAIMED until the requeue
     * is done), then waits there like any waiter (or was granted already). Not interruptible.
     *
     * @return whether the thread was interrupted meanwhile (the status is cleared: the caller keeps it)
     */
    private boolean reacquireNotified(ThreadWaiter node, RawLock heldLock, int mode) {
        boolean interrupted = false;
        while (node.status() == Waiter.CLAIMED) {
            LockSupport.park(heldLock);
            if (Thread.interrupted()) {
                interrupted = true;
            }
        }
        if (node.status() != Waiter.GRANTED) {
            heldLock.acquireBlocking(mode, false, -1L, node, true); // linked: waiting, or woken in place
        } else {
            heldLock.grantedWhileRequeued(mode); // granted by a release while it was still being requeued
        }
        return interrupted;
    }

    /**
     * After {@code heldLock} refused the release that starts a wait: withdraws the node; if a notify took
     * it first (it is on, or on its way to, the lock's queue), takes the grant it will get, gives it
     * back, and passes the notification on, so that nothing is lost and nothing is left queued.
     */
    private void leaveAfterRefusedRelease(ThreadWaiter node, RawLock heldLock, int mode, HeldLocks waitRecord) {
        try {
            if (!withdraw(node)) {
                boolean interrupted = reacquireNotified(node, heldLock, mode);
                heldLock.release(mode, false);
                notifyWaiters(false);
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        } finally {
            if (waitRecord != null) {
                waitRecord.doneWaiting(node);
            }
        }
    }

    /**
     * First half of an asynchronous await: queues {@code waiter} here for {@code heldLock}, which the
     * caller holds in the waiter's mode and must release right after this returns (through its guard,
     * so the guard is spent). Queueing before the release means no notify can be missed. Once
     * notified, the waiter is requeued onto the lock and its {@code onGrant} runs when the lock is
     * granted to it again. See "Asynchronous waiters" above.
     *
     * @param heldLock the lock the caller holds in {@code waiter}'s mode
     * @param waiter   a new waiter (single-use), in the mode the lock is held in
     * @throws IllegalStateException if waiters of another lock are queued; nothing was queued
     */
    protected final void enqueueAsync(RawLock heldLock, CallbackWaiter waiter) {
        enqueue(waiter, heldLock);
        waiter.bind(heldLock);
    }

    /**
     * Stops an asynchronous waiter from waiting for a notification (timeout or cancellation), if no
     * notify took it first: withdrawn with the same CONDITION → CANCELLED compare-and-set as a thread.
     * A withdrawn waiter owns nothing; {@link #reacquireAsync} submits it to its lock again.
     *
     * @param waiter a waiter queued by {@link #enqueueAsync}
     * @return {@code true} if withdrawn here; {@code false} if it was notified first (it is then on,
     *         or on its way to, the lock's queue)
     */
    protected final boolean stopWaitingAsync(CallbackWaiter waiter) {
        return withdraw(waiter);
    }

    /**
     * Whether a notify took {@code waiter}. Reliable once {@link #stopWaitingAsync} has returned
     * {@code false} for it (that call synchronizes with the notify through the queue's guard).
     *
     * @param waiter a waiter queued by {@link #enqueueAsync}
     * @return whether it was notified
     */
    protected final boolean wasNotified(CallbackWaiter waiter) {
        return waiter.notified;
    }

    /**
     * Submits a waiter withdrawn by {@link #stopWaitingAsync} to its lock as a fresh acquisition.
     *
     * @param waiter a waiter that {@link #stopWaitingAsync} withdrew
     */
    protected final void reacquireAsync(CallbackWaiter waiter) {
        waiter.lock().submitAsync(waiter);
    }

    private void enqueue(Waiter w, RawLock heldLock) {
        WaitQueue q = waiters;
        q.lock();
        try {
            if (lock != heldLock && !q.isEmpty()) {
                throw new IllegalStateException(this + " has waiters of " + lock + "; it cannot be used with "
                        + heldLock + " until they are gone");
            }
            lock = heldLock;
            w.setStatus(Waiter.CONDITION);
            q.link(w, false);
        } finally {
            q.unlock();
        }
    }

    /** Withdraws a waiter that has not been notified yet; {@code false} if a notify took it first. */
    private boolean withdraw(Waiter w) {
        WaitQueue q = waiters;
        q.lock();
        try {
            if (!w.casStatus(Waiter.CONDITION, Waiter.CANCELLED)) {
                return false;
            }
            q.unlink(w);
            return true;
        } finally {
            q.unlock();
        }
    }

    /**
     * Notifies the longest waiter ({@code all == false}) or every waiter, moving them onto their
     * lock's queue.
     *
     * @param all {@code true} to notify every waiter, {@code false} for the longest-waiting one
     * @return how many waiters were notified
     */
    protected final int notifyWaiters(boolean all) {
        WaitQueue q = waiters;
        Waiter chain;
        RawLock target;
        int count;
        q.lock();
        try {
            count = all ? q.size() : Math.min(1, q.size());
            chain = q.detachFirst(count);
            for (Waiter w = chain; w != null; w = w.next) {
                w.notified = true;
            }
            target = lock;
        } finally {
            q.unlock();
        }
        if (chain != null) {
            Waiter first = target.requeue(chain);
            if (first instanceof CallbackWaiter cw) {
                Diagnostics.granted(target, cw);
                first.signal(target, Waiter.GRANTED);
            } else if (first instanceof ThreadWaiter t) {
                LockSupport.unpark(t.thread); // woken in place: the head of the lock's queue, in flight
            }
        }
        return count;
    }

    /**
     * The number of waiters not yet notified. Protected so that each condition type decides what it
     * publishes ({@code Condvar} makes it public).
     *
     * @return exact while quiescent, a recent value otherwise
     */
    protected int waiterCount() {
        return waiters.size();
    }
}
