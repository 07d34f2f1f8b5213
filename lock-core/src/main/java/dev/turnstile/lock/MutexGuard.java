package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Ownership of a locked {@link Mutex}, and access to its value. Closing the guard unlocks the
 * mutex; it may be closed on any thread, exactly once.
 *
 * <pre>{@code
 * try (MutexGuard<Account> g = account.lock()) {
 *     g.set(g.get().deposit(100));
 * }
 * }</pre>
 *
 * <h2>Closed and consumed guards</h2>
 * {@link Condvar#awaitAsync(MutexGuard)} <em>consumes</em> the guard it is given: the mutex is
 * released by the call, and a new guard comes with the future. {@link #close()} on a consumed guard
 * does nothing, so the guard may still sit in a try-with-resources block around the call, as with
 * an upgraded or downgraded {@link RwLock} guard. Closing a guard twice throws
 * {@link IllegalStateException}, and so does every other method once the guard is closed or
 * consumed; the mutex is left as it is.
 *
 * <p>Like a stream, a guard is not thread-safe: hand it from one thread to another with the usual
 * happens-before (a queue, a future, an executor) and it works on any thread, but don't use it from
 * two threads at once.
 *
 * <h2>Who holds it, for diagnostics</h2>
 * A guard from a blocking call belongs to the thread that acquired it: thread dumps and the JVM's
 * deadlock detector name that thread as the mutex's owner. Handed to another thread, it belongs to
 * that thread from its first use there ({@link #get()}, {@link #set}, {@link #close()}, …), so a guard
 * passed on is not held against the thread that gave it away. A guard from an asynchronous acquisition
 * belongs to no thread (and, for lock ranks and Turnstile's deadlock detection, to the
 * {@link LockOwner} it was acquired for, if any).
 *
 * @param <T> the type of the guarded value
 */
public final class MutexGuard<T> implements AutoCloseable {
    /*
     * Why the state is a plain field: a guard whose state is set by compare-and-set escapes, so
     * every lock() allocates one (24 B, and about 1.6x the time of a ReentrantLock lock/unlock; see
     * docs/benchmarks.md). With a plain flag the JIT removes the guard altogether in the usual
     * try (var g = m.lock()) block: 0 B and the same time as ReentrantLock. Two threads racing to
     * close one guard is a data race the mutex detects only where it can (a release of an unlocked
     * mutex throws).
     *
     * The one guard the library itself may release on another thread while user code holds it (a
     * withLockAsync body whose future is cancelled mid-run) is made shared before the body sees it:
     * its state is then read volatile and changed by compare-and-set, so the two closes cannot both
     * release, and the body sees the release.
     *
     * The leak detector's record of a tracked guard lives in a side table (LeakTracker), not in a
     * field: the mutex, the holdings, the state and two flags fill the guard's 24 bytes.
     */
    private static final byte OPEN = 0;
    private static final byte CLOSED = 1;
    /** The hold left with {@link Condvar#awaitAsync}; {@link #close()} does nothing. */
    private static final byte CONSUMED = 2;

    private final Mutex<T> mutex;
    /** One of the states above; plain unless {@link #shared}, see the class comment. */
    private byte state;
    /** Set once the library itself may release this guard on another thread (withLockAsync). */
    private boolean shared;
    /**
     * Whether waiters were queued when the hold began: the state word its release expects
     * ({@code Mutex.releaseLock}). A hint only; a wrong one costs the release one more CAS.
     */
    private boolean queuedAtAcquisition;
    /**
     * Where the hold is recorded if the mutex is tracked (ranks, deadlock detection): the acquiring
     * thread's or task's holdings; {@code null} otherwise.
     */
    private HeldLocks holds;

    MutexGuard(Mutex<T> mutex) {
        this.mutex = mutex;
        LeakDetection.track(this, mutex);
    }

    MutexGuard(Mutex<T> mutex, HeldLocks holds) {
        this.mutex = mutex;
        this.holds = holds;
        LeakDetection.track(this, mutex);
    }

    /** A guard for an acquisition that left the state word {@code held} (the release expects it). */
    MutexGuard(Mutex<T> mutex, HeldLocks holds, int held) {
        this(mutex, holds);
        this.queuedAtAcquisition = held != Mutex.HELD_ALONE;
    }

    /**
     * {@return the guarded value}
     *
     * @throws IllegalStateException if this guard was closed or consumed
     */
    public T get() {
        checkOpen();
        usedHere();
        return mutex.value();
    }

    /**
     * Replaces the guarded value.
     *
     * @param value the new value (may be null)
     * @throws IllegalStateException if this guard was closed or consumed
     */
    public void set(T value) {
        checkOpen();
        usedHere();
        mutex.setValue(value);
    }

    /** {@return the mutex this guard holds (or held, once closed)} */
    public Mutex<T> mutex() {
        return mutex;
    }

    /** {@return whether this guard still holds the mutex (it was neither closed nor consumed)} */
    public boolean isHeld() {
        return state() == OPEN;
    }

    /**
     * Unlocks the mutex, letting the next waiter compete for it under the mutex's fairness policy.
     * Does nothing if the guard was consumed by {@link Condvar#awaitAsync(MutexGuard)}.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public void close() {
        if (markClosed()) {
            mutex.releaseLock(false, holds, queuedAtAcquisition ? Mutex.HELD_QUEUED : Mutex.HELD_ALONE);
        }
    }

    /**
     * Unlocks the mutex and hands it straight to the longest waiter, if any, instead of letting a
     * running thread take it first. Use it when the next waiter must not be overtaken. Does nothing
     * if the guard was consumed.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    public void unlockFair() {
        if (markClosed()) {
            mutex.releaseLock(true, holds);
        }
    }

    /**
     * Lets the longest waiter, if any, run its critical section now, then re-acquires the mutex for
     * this guard (waiting like {@link Mutex#lock()}). Does nothing when nobody waits. Anything read
     * through the guard before may have changed afterwards.
     *
     * @throws IllegalStateException if this guard is closed or consumed
     */
    public void bump() {
        checkOpen();
        usedHere();
        if (mutex.hasQueuedWaiters()) {
            boolean threadHeld = mutex.ownerThread() != null;
            mutex.releaseLock(true, holds);
            queuedAtAcquisition = mutex.acquire() != Mutex.HELD_ALONE; // the hold begins again
            if (!threadHeld) {
                mutex.recordOwner(null); // a task's hold stays a task's, though a thread waited for it
            }
            holds = mutex.held(holds);
        }
    }

    /**
     * Before a condition wait releases the mutex: the hold's record is suspended (the mutex is held
     * again, by the current thread, when the wait returns: {@link #resumedAfterWait()}).
     */
    void suspendedForWait() {
        usedHere();
        mutex.checkResumeOrder(holds);
        mutex.holdSuspended(holds);
    }

    /**
     * Before an asynchronous condition wait consumes this guard: its re-acquisition's rank check (see
     * {@link #suspendedForWait()}).
     */
    void checkResumeOrder() {
        usedHere();
        mutex.checkResumeOrder(holds);
    }

    /** After a condition wait re-acquired the mutex on the current thread. */
    void resumedAfterWait() {
        holds = mutex.held(holds);
    }

    /** The task's holdings this guard's hold is recorded in, or {@code null} (untracked, or a thread's). */
    HeldLocks taskHolds() {
        HeldLocks h = holds;
        return h != null && !(h.owner() instanceof Thread) ? h : null;
    }

    /** The guard is used on the current thread: if it was another thread's, it is this one's now. */
    private void usedHere() {
        holds = mutex.usedOnCurrentThread(holds);
    }

    /**
     * Makes this guard safe to close from two threads: a guard that {@code withLockAsync} may release
     * on the cancelling thread while its body still holds it. Called before the body sees the guard.
     */
    void share() {
        shared = true;
    }

    /**
     * Gives the hold up for {@link Condvar#awaitAsync}, which queued a waiter that takes over, and
     * releases the mutex: this guard is consumed, and its {@link #close()} does nothing from now on.
     *
     * @throws IllegalStateException if this guard was closed or consumed
     */
    void consumeAndRelease() {
        if (!leaveOpen(CONSUMED)) {
            throw alreadyClosed();
        }
        forgetLeak();
        mutex.releaseLock(false, holds);
    }

    private byte state() {
        return shared ? (byte) STATE.getVolatile(this) : state;
    }

    private void checkOpen() {
        if (state() != OPEN) {
            throw alreadyClosed();
        }
    }

    /** Moves OPEN to {@code next}; {@code false} if the guard was not open. */
    private boolean leaveOpen(byte next) {
        if (shared) {
            return STATE.compareAndSet(this, OPEN, next);
        }
        if (state != OPEN) {
            return false;
        }
        state = next;
        return true;
    }

    /**
     * Takes the hold out of this guard for a release.
     *
     * @return {@code false} if the guard was consumed (nothing to release)
     * @throws IllegalStateException if the guard was already closed
     */
    private boolean markClosed() {
        if (leaveOpen(CLOSED)) {
            forgetLeak();
            return true;
        }
        if (state() == CONSUMED) {
            return false;
        }
        throw alreadyClosed();
    }

    /** The hold is given up: the leak detector, if it tracks this guard, must not report it. */
    private void forgetLeak() {
        LeakTracker.forget(this);
    }

    private IllegalStateException alreadyClosed() {
        return new IllegalStateException("this guard of " + mutex + " was already "
                + (state() == CONSUMED ? "consumed (by Condvar.awaitAsync)" : "closed"));
    }

    @Override
    public String toString() {
        byte s = state();
        return "MutexGuard[" + mutex + (s == CLOSED ? ", closed]" : s == CONSUMED ? ", consumed]" : "]");
    }

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(MutexGuard.class, "state", byte.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
