package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.Lock;

/**
 * {@link Mutex#asLock()}: a thread-owned {@link Lock} over a mutex. The owner is recorded here, in
 * the mutex's side state, so the mutex itself needs no field for it. Not reentrant: the owner's
 * {@code lock()} throws {@link IllegalStateException} rather than waiting for itself forever.
 */
final class MutexLockView implements Lock {
    private final Mutex<?> mutex;
    /**
     * The thread holding the mutex through this view. Written only by that thread (set after
     * acquiring, cleared before releasing), so a thread reading it sees itself only if it owns it.
     */
    private Thread owner;
    /** The owner's holdings, where its hold is recorded if the mutex is tracked; written like {@link #owner}. */
    private HeldLocks ownerHolds;
    /**
     * The state word the owner's acquisition left ({@code Mutex.acquire()}'s answer: whether waiters
     * were queued), which its release expects, as a guard's does; written like {@link #owner}.
     */
    private int ownerHeld;

    MutexLockView(Mutex<?> mutex) {
        this.mutex = mutex;
    }

    @Override
    public void lock() {
        checkNotOwner();
        HeldLocks holds = mutex.beforeThreadAcquisition();
        owned(holds, mutex.acquire());
    }

    @Override
    public void lockInterruptibly() throws InterruptedException {
        checkNotOwner();
        HeldLocks holds = mutex.beforeThreadAcquisition();
        owned(holds, mutex.acquireInterruptibly());
    }

    @Override
    public boolean tryLock() {
        HeldLocks holds = mutex.beforeThreadAcquisition();
        if (mutex.tryAcquireNow()) {
            owned(holds, Mutex.HELD_ALONE);
            return true;
        }
        return false;
    }

    @Override
    public boolean tryLock(long time, TimeUnit unit) throws InterruptedException {
        Objects.requireNonNull(unit, "unit");
        checkNotOwner();
        HeldLocks holds = mutex.beforeThreadAcquisition();
        if (mutex.tryAcquireInterruptibly(Math.max(0L, unit.toNanos(time)))) {
            owned(holds, Mutex.HELD_QUEUED);
            return true;
        }
        return false;
    }

    @Override
    public void unlock() {
        checkOwner();
        owner = null;
        HeldLocks holds = ownerHolds;
        ownerHolds = null;
        mutex.releaseLock(false, holds, ownerHeld);
    }

    private void owned(HeldLocks holds, int held) {
        ownerHolds = mutex.held(holds);
        ownerHeld = held;
        owner = Thread.currentThread();
    }

    /**
     * A condition backed by a {@link Condvar}: no spurious wake-ups, and signals move waiters onto
     * the mutex's queue instead of waking them. Awaiting or signalling requires holding the lock
     * through this view ({@link IllegalMonitorStateException} otherwise).
     */
    @Override
    public Condition newCondition() {
        return new MutexCondition(this, mutex);
    }

    /**
     * The mutex is not reentrant: its owner locking it again would wait for itself forever. Say so
     * instead ({@code tryLock()} simply fails, as it would for any other thread).
     */
    private void checkNotOwner() {
        if (owner == Thread.currentThread()) {
            throw new IllegalStateException(Thread.currentThread() + " already holds " + mutex
                    + " through its Lock view, and a Turnstile mutex is not reentrant");
        }
    }

    // ---- for MutexCondition

    void checkOwner() {
        if (owner != Thread.currentThread()) {
            throw new IllegalMonitorStateException(
                    Thread.currentThread() + " does not hold " + mutex + " through its Lock view");
        }
    }

    /** Before a condition wait releases the mutex: the owner leaves, as in {@link #unlock()}. */
    Thread releaseOwnership() {
        mutex.checkResumeOrder(ownerHolds); // may refuse the wait: nothing has changed yet
        Thread me = owner;
        owner = null;
        mutex.holdSuspended(ownerHolds);
        return me;
    }

    /** After a condition wait re-acquired the mutex. */
    void restoreOwnership(Thread me) {
        ownerHolds = mutex.held(ownerHolds);
        ownerHeld = Mutex.HELD_QUEUED; // it waited: whoever it waited behind is probably still queued
        owner = me;
    }

    @Override
    public String toString() {
        return "Lock view of " + mutex;
    }
}
