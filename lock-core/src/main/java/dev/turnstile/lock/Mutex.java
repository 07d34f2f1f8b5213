package dev.turnstile.lock;

import dev.turnstile.lock.park.LockConfig;
import dev.turnstile.lock.park.RawLock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.concurrent.locks.Lock;

/**
 * A mutual-exclusion lock that guards a value, fair on average, for platform and virtual threads.
 *
 * <pre>{@code
 * Mutex<List<String>> names = new Mutex<>(new ArrayList<>());
 *
 * try (MutexGuard<List<String>> g = names.lock()) {   // blocks; never pins a virtual thread
 *     g.get().add("ada");
 * }
 * int n = names.withLock(List::size);                   // the same, allocation-free
 * Optional<MutexGuard<List<String>>> maybe = names.tryLock(Duration.ofMillis(10));
 * }</pre>
 *
 * <h2>Ownership</h2>
 * The {@link MutexGuard} returned by an acquisition owns the lock, not the thread that acquired it:
 * the guard may be closed on any thread. Closing it twice, or using it after closing, throws
 * {@link IllegalStateException} and leaves the lock as it is.
 *
 * <h2>Not reentrant</h2>
 * A thread (or task) that holds a {@code Mutex} and acquires it again waits for itself forever, as
 * with every non-reentrant lock. Pass the guard down instead of locking twice.
 *
 * <h2>Fairness</h2>
 * {@link Fairness#EVENTUAL} by default: a running thread may take the lock ahead of parked waiters
 * (throughput), and a contended release hands the lock straight to the longest waiter often enough
 * that nobody starves (tail latency). See {@link Fairness} and {@link #builder()}.
 *
 * <h2>Waiting</h2>
 * Platform threads spin briefly, and only while nobody is queued, then park; virtual threads park
 * at once and never pin their carrier. Parked threads name this mutex as their blocker in thread
 * dumps. {@link #lock()} and {@link #tryLock(Duration)} are not interruptible and keep the thread's
 * interrupt status; {@link #lockInterruptibly()} is.
 *
 * <h2>Memory</h2>
 * An unlocked mutex is a state word, the value reference and one reference to shared configuration
 * (24 bytes with compressed references); the wait queue is allocated the first time it is contended.
 *
 * @param <T> the type of the guarded value
 */
public final class Mutex<T> extends RawLock {
    /** The only lock bit: held. */
    private static final int LOCKED = 1;
    /** The only mode. */
    static final int EXCLUSIVE = 0;

    /** Guarded by this mutex; visibility comes from the acquire/release ordering of the state word. */
    private T value;

    /** A mutex guarding {@code value} (which may be null) with the default settings. */
    public Mutex(T value) {
        this(value, LockConfig.DEFAULT);
    }

    private Mutex(T value, LockConfig config) {
        super(config);
        this.value = value;
    }

    /** A builder for a mutex with a fairness policy, name or clock of its own. */
    public static Builder builder() {
        return new Builder();
    }

    // ---------------------------------------------------------------- blocking API

    /**
     * Acquires the mutex, waiting as long as it takes. Not interruptible: an interrupt received while
     * waiting is kept as the thread's interrupt status.
     *
     * @return the guard that owns the lock until closed
     */
    public MutexGuard<T> lock() {
        acquire();
        return new MutexGuard<>(this);
    }

    /**
     * Acquires the mutex unless the thread is interrupted first.
     *
     * @throws InterruptedException if interrupted before or while waiting; the waiter has then left
     *                              the queue and the interrupt status is cleared
     */
    public MutexGuard<T> lockInterruptibly() throws InterruptedException {
        acquireInterruptibly();
        return new MutexGuard<>(this);
    }

    /**
     * Acquires the mutex only if it is free now. Like {@code ReentrantLock.tryLock()}, this takes a
     * free mutex even when others are queued, whatever the fairness policy.
     */
    public Optional<MutexGuard<T>> tryLock() {
        return tryAcquire(EXCLUSIVE, true) ? Optional.of(new MutexGuard<>(this)) : Optional.empty();
    }

    /**
     * Acquires the mutex if it becomes available within {@code timeout}. A zero timeout makes one
     * attempt that respects the fairness policy. Not interruptible (see {@link #lock()}); on timeout
     * the waiter has left the queue.
     *
     * @throws NullPointerException     if {@code timeout} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Optional<MutexGuard<T>> tryLock(Duration timeout) {
        long nanos = Timeouts.waitNanos(timeout);
        return acquireBlocking(EXCLUSIVE, false, nanos) == ACQUIRED
                ? Optional.of(new MutexGuard<>(this)) : Optional.empty();
    }

    /**
     * Runs {@code action} on the value while holding the mutex, and returns its result. Allocates
     * nothing when the mutex is uncontended.
     *
     * @throws NullPointerException if {@code action} is null
     */
    public <R> R withLock(Function<? super T, ? extends R> action) {
        Objects.requireNonNull(action, "action");
        acquire();
        try {
            return action.apply(value);
        } finally {
            releaseLock(false);
        }
    }

    /**
     * Replaces the value with {@code update.apply(value)} while holding the mutex, and returns the
     * new value. Allocates nothing of its own when the mutex is uncontended. The value is returned
     * after the mutex is released: if it is mutable, reading it afterwards is unguarded.
     *
     * @throws NullPointerException if {@code update} is null
     */
    public T update(UnaryOperator<T> update) {
        Objects.requireNonNull(update, "update");
        acquire();
        try {
            T next = update.apply(value);
            value = next;
            return next;
        } finally {
            releaseLock(false);
        }
    }

    /** Whether the mutex is held right now (a snapshot, for monitoring and tests). */
    public boolean isLocked() {
        return (state() & LOCKED) != 0;
    }

    /**
     * A {@link Lock} view for code that expects a thread-owned lock. Through the view the usual
     * j.u.c rules apply: the thread that locked must unlock, and {@code unlock()} by any other thread
     * throws {@link IllegalMonitorStateException}. {@code lock()}, {@code tryLock()} and
     * {@code unlock()} allocate nothing; the view itself is created once per mutex (in the side
     * state the mutex keeps once contended) and returned by every call.
     * {@link Lock#newCondition()} returns a condition backed by a {@link Condvar}.
     */
    public Lock asLock() {
        return attachment(Mutex::newLockView);
    }

    private static MutexLockView newLockView(RawLock mutex) {
        return new MutexLockView((Mutex<?>) mutex);
    }

    /** The name given to the builder, or {@code null}. */
    public String name() {
        return config().name();
    }

    @Override
    public String toString() {
        String n = name();
        return (n != null ? "Mutex[" + n + "]" : "Mutex@" + Integer.toHexString(System.identityHashCode(this)))
                + (isLocked() ? "(locked, " + queueLength() + " waiting)" : "(unlocked)");
    }

    // ---------------------------------------------------------------- for guards and views

    T value() {
        return value;
    }

    void setValue(T v) {
        value = v;
    }

    void acquire() {
        if (!casState(0, LOCKED)) {
            acquireBlocking(EXCLUSIVE, false, -1L);
        }
    }

    void acquireInterruptibly() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        if (!casState(0, LOCKED) && acquireBlocking(EXCLUSIVE, true, -1L) == INTERRUPTED) {
            throw new InterruptedException();
        }
    }

    boolean tryAcquireNow() {
        return tryAcquire(EXCLUSIVE, true);
    }

    /** Waits at most {@code nanos}, interruptibly; for the {@link Lock} view's timed tryLock. */
    boolean tryAcquireInterruptibly(long nanos) throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        int outcome = acquireBlocking(EXCLUSIVE, true, nanos);
        if (outcome == INTERRUPTED) {
            throw new InterruptedException();
        }
        return outcome == ACQUIRED;
    }

    void releaseLock(boolean fair) {
        if (fair || !casState(LOCKED, 0)) {
            if ((state() & LOCKED) == 0) {
                throw new IllegalStateException(this + " is not locked: a guard was released twice at once");
            }
            release(EXCLUSIVE, fair);
        }
    }

    // ---------------------------------------------------------------- the lock's bits

    @Override
    protected boolean canAcquire(int lockBits, int mode) {
        return lockBits == 0;
    }

    @Override
    protected int acquired(int lockBits, int mode) {
        return LOCKED;
    }

    @Override
    protected int released(int lockBits, int mode) {
        return 0;
    }

    /** Builds a {@link Mutex} with non-default settings. */
    public static final class Builder extends LockBuilder<Builder> {
        Builder() {
        }

        /** A mutex guarding {@code value} (which may be null) with this builder's settings. */
        public <T> Mutex<T> build(T value) {
            return new Mutex<>(value, config());
        }
    }
}
