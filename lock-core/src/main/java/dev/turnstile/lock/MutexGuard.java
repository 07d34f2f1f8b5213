package dev.turnstile.lock;

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
 * as it is. A guard is not meant to be shared by threads that use it at the same time; handing it
 * from one thread to another (with the usual happens-before of a queue, future or executor) is fine.
 *
 * @param <T> the type of the guarded value
 */
public final class MutexGuard<T> implements AutoCloseable {
    private final Mutex<T> mutex;
    private volatile boolean closed;

    MutexGuard(Mutex<T> mutex) {
        this.mutex = mutex;
    }

    /** The guarded value. */
    public T get() {
        checkOpen();
        return mutex.value();
    }

    /** Replaces the guarded value. */
    public void set(T value) {
        checkOpen();
        mutex.setValue(value);
    }

    /** The mutex this guard holds. */
    public Mutex<T> mutex() {
        return mutex;
    }

    /** Whether this guard still holds the mutex. */
    public boolean isHeld() {
        return !closed;
    }

    /**
     * Unlocks the mutex, letting the next waiter compete for it under the mutex's fairness policy.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    @Override
    public void close() {
        markClosed();
        mutex.releaseLock(false);
    }

    /**
     * Unlocks the mutex and hands it straight to the longest waiter, if any, instead of letting a
     * running thread take it first. Use it when the next waiter must not be overtaken.
     *
     * @throws IllegalStateException if this guard was already closed
     */
    public void unlockFair() {
        markClosed();
        mutex.releaseLock(true);
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
        if (mutex.hasQueuedWaiters()) {
            mutex.releaseLock(true);
            mutex.acquire();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this guard of " + mutex + " was already closed");
        }
    }

    private void markClosed() {
        if (!CLOSED.compareAndSet(this, false, true)) {
            throw new IllegalStateException("this guard of " + mutex + " was already closed");
        }
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
