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
 * Every method throws {@link IllegalStateException} once the guard is closed, and the mutex is left
 * as it is. Like a stream, a guard is not thread-safe: hand it from one thread to another with the
 * usual happens-before (a queue, a future, an executor) and it works on any thread, but don't use
 * it from two threads at once. Closing the same guard twice in sequence is always detected.
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
     * Why the closed flag is a plain field: a guard whose flag is set by compare-and-set escapes, so
     * every lock() allocates one (24 B, and about 1.6x the time of a ReentrantLock lock/unlock; see
     * docs/benchmarks.md). With a plain flag the JIT removes the guard altogether in the usual
     * try (var g = m.lock()) block: 0 B and the same time as ReentrantLock. Two threads racing to
     * close one guard is a data race the mutex detects only where it can (a release of an unlocked
     * mutex throws).
     *
     * The one guard the library itself may release on another thread while user code holds it (a
     * withLockAsync body whose future is cancelled mid-run) is made shared before the body sees it:
     * its flag is then read volatile and set by compare-and-set, so the two closes cannot both
     * release, and the body sees the release.
     */
    private final Mutex<T> mutex;
    /** Set before the release; plain unless {@link #shared}, see the class comment. */
    private boolean closed;
    /** Set once the library itself may release this guard on another thread (withLockAsync). */
    private boolean shared;
    /**
     * Where the hold is recorded if the mutex is tracked (ranks, deadlock detection): the acquiring
     * thread's or task's holdings; {@code null} otherwise.
     */
    private HeldLocks holds;

    MutexGuard(Mutex<T> mutex) {
        this.mutex = mutex;
    }

    MutexGuard(Mutex<T> mutex, HeldLocks holds) {
        this.mutex = mutex;
        this.holds = holds;
    }

    /**
     * {@return the guarded value}
     *
     * @throws IllegalStateException if this guard was closed
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
     * @throws IllegalStateException if this guard was closed
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

    /** {@return whether this guard still holds the mutex} */
    public boolean isHeld() {
        return !isClosed();
    }

    /**
     * Unlocks the mutex, letting the next waiter compete for it under the mutex's fairness policy.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public void close() {
        markClosed();
        mutex.releaseLock(false, holds);
    }

    /**
     * Unlocks the mutex and hands it straight to the longest waiter, if any, instead of letting a
     * running thread take it first. Use it when the next waiter must not be overtaken.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    public void unlockFair() {
        markClosed();
        mutex.releaseLock(true, holds);
    }

    /**
     * Lets the longest waiter, if any, run its critical section now, then re-acquires the mutex for
     * this guard (waiting like {@link Mutex#lock()}). Does nothing when nobody waits. Anything read
     * through the guard before may have changed afterwards.
     *
     * @throws IllegalStateException if this guard is closed
     */
    public void bump() {
        checkOpen();
        usedHere();
        if (mutex.hasQueuedWaiters()) {
            boolean threadHeld = mutex.ownerThread() != null;
            mutex.releaseLock(true, holds);
            mutex.acquire();
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

    private boolean isClosed() {
        return shared ? (boolean) CLOSED.getVolatile(this) : closed;
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("this guard of " + mutex + " was already closed");
        }
    }

    private void markClosed() {
        if (shared) {
            if (!CLOSED.compareAndSet(this, false, true)) {
                throw new IllegalStateException("this guard of " + mutex + " was already closed");
            }
            return;
        }
        checkOpen();
        closed = true;
    }

    @Override
    public String toString() {
        return "MutexGuard[" + mutex + (closed ? ", closed]" : "]");
    }

    private static final VarHandle CLOSED;

    static {
        try {
            CLOSED = MethodHandles.lookup().findVarHandle(MutexGuard.class, "closed", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
