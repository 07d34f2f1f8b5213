package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import dev.turnstile.lock.park.RawCondvar;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A condition variable for a {@link Mutex}: a thread holding the mutex waits, with the mutex
 * released, until another thread notifies it. For platform and virtual threads; it never blocks
 * inside {@code synchronized}, so a virtual thread never pins its carrier.
 *
 * <pre>{@code
 * Mutex<Deque<Job>> jobs = new Mutex<>(new ArrayDeque<>());
 * Condvar notEmpty = new Condvar();
 *
 * // consumer
 * try (MutexGuard<Deque<Job>> g = jobs.lock()) {
 *     while (g.get().isEmpty()) {          // always re-check: another consumer may have been first
 *         notEmpty.await(g);               // releases the mutex while waiting, holds it again after
 *     }
 *     run(g.get().poll());
 * }
 *
 * // producer
 * try (MutexGuard<Deque<Job>> g = jobs.lock()) {
 *     g.get().add(job);
 *     notEmpty.notifyOne();
 * }
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>The mutex is held again whenever {@code await} returns or throws</b>: after a
 *       notification, a timeout, and an interrupt alike. The guard passed in stays open and keeps
 *       owning the mutex.</li>
 *   <li><b>No spurious wake-ups.</b> {@code await} returns only because this condvar was notified,
 *       the timeout elapsed, or (for the interruptible forms) the thread was interrupted. The
 *       condition may still be false by then (another thread may have run first), so loop on it.</li>
 *   <li><b>Interrupts.</b> {@link #await(MutexGuard)}, {@link #await(MutexGuard, Duration)} and
 *       {@link #awaitUntil(MutexGuard, Instant)} are not interruptible: an interrupt received while
 *       waiting is kept as the thread's interrupt status. The {@code awaitInterruptibly} forms throw
 *       {@link InterruptedException} (after re-acquiring the mutex, with the interrupt status
 *       cleared) if interrupted before being notified; a thread interrupted after its notification
 *       returns normally with its interrupt status set, so the notification is never lost.</li>
 *   <li><b>Timeouts</b> bound the wait for a notification, not the re-acquisition of the mutex that
 *       follows it; a timed await returns {@code false} if it timed out and {@code true} if it was
 *       notified (a notification that races with the timeout wins).</li>
 *   <li><b>One mutex at a time.</b> All threads waiting at once must wait with the same mutex;
 *       waiting with another one while they are there throws {@link IllegalStateException} (with
 *       the mutex still held). Once no one waits, the condvar may be used with a different mutex.</li>
 *   <li><b>Misuse.</b> Awaiting with a guard that was closed throws {@link IllegalStateException}.
 *       Notifying does not require holding the mutex.</li>
 * </ul>
 *
 * <h2>Notify moves, it does not wake</h2>
 * {@link #notifyOne()} and {@link #notifyAllWaiters()} move the notified threads from this condvar
 * onto the mutex's own queue, where they stay parked until the mutex's releases admit them one at a
 * time, exactly as if they had called {@link Mutex#lock()}. Notifying while holding the mutex, the
 * usual pattern, therefore wakes nobody: it does not stampede a herd of threads onto a mutex that
 * is still held. Only when the mutex is free is the first notified thread woken.
 *
 * @see Mutex#asLock() Mutex.asLock(), whose newCondition() is a Condition view backed by a condvar
 */
public final class Condvar extends RawCondvar {
    static {
        EagerInit.run(); // no virtual thread waits for a class initializer on its first contention
    }

    /** A condvar with no waiters, usable with any one {@link Mutex} at a time. */
    public Condvar() {
    }

    /**
     * Releases the guard's mutex, waits until notified, and re-acquires the mutex. Not interruptible.
     *
     * @param guard owns the mutex; it stays open and owns the mutex again when this returns
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public void await(MutexGuard<?> guard) {
        awaitWith(guard, false, -1L);
    }

    /**
     * Releases the guard's mutex, waits until notified or until {@code timeout} elapses, and
     * re-acquires the mutex. Not interruptible.
     *
     * @param guard   owns the mutex; it stays open and owns the mutex again when this returns
     * @param timeout how long to wait for a notification at most
     * @return {@code true} if notified, {@code false} if the timeout elapsed first
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException    if the guard is closed, or threads wait here with another mutex
     */
    public boolean await(MutexGuard<?> guard, Duration timeout) {
        long nanos = Timeouts.waitNanos(timeout);
        return awaitWith(guard, false, nanos) == NOTIFIED;
    }

    /**
     * Releases the guard's mutex, waits until notified or until the wall-clock {@code deadline}, and
     * re-acquires the mutex. The deadline is converted once, on entry, into a wait on the monotonic
     * clock; a deadline in the past still releases and re-acquires the mutex. Not interruptible.
     *
     * @param guard    owns the mutex; it stays open and owns the mutex again when this returns
     * @param deadline when to stop waiting for a notification
     * @return {@code true} if notified, {@code false} if the deadline passed first
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public boolean awaitUntil(MutexGuard<?> guard, Instant deadline) {
        Objects.requireNonNull(deadline, "deadline");
        Duration left = Duration.between(Instant.now(), deadline);
        return awaitWith(guard, false, left.isNegative() ? 0L : Timeouts.saturatedNanos(left)) == NOTIFIED;
    }

    /**
     * Releases the guard's mutex, waits until notified or interrupted, and re-acquires the mutex.
     *
     * @param guard owns the mutex; it stays open and owns the mutex again when this returns or throws
     * @throws InterruptedException  if interrupted before being notified (including before the call);
     *                               the mutex is held again and the interrupt status is cleared
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public void awaitInterruptibly(MutexGuard<?> guard) throws InterruptedException {
        awaitInterruptiblyWith(guard, -1L);
    }

    /**
     * Releases the guard's mutex, waits until notified, interrupted, or until {@code timeout}
     * elapses, and re-acquires the mutex.
     *
     * @param guard   owns the mutex; it stays open and owns the mutex again when this returns or throws
     * @param timeout how long to wait for a notification at most
     * @return {@code true} if notified, {@code false} if the timeout elapsed first
     * @throws InterruptedException     if interrupted before being notified (including before the
     *                                  call); the mutex is held again and the interrupt status is cleared
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException    if the guard is closed, or threads wait here with another mutex
     */
    public boolean awaitInterruptibly(MutexGuard<?> guard, Duration timeout) throws InterruptedException {
        long nanos = Timeouts.waitNanos(timeout);
        return awaitInterruptiblyWith(guard, nanos) == NOTIFIED;
    }

    /**
     * Notifies the longest-waiting thread, if any: it is moved onto the mutex's queue (or woken, if
     * the mutex is free) and returns from {@code await} once it holds the mutex again.
     *
     * @return whether a thread was waiting
     */
    public boolean notifyOne() {
        return notifyWaiters(false) > 0;
    }

    /**
     * Notifies every waiting thread: all are moved onto the mutex's queue and will return from
     * {@code await} one at a time as the mutex passes to each. (Named so because
     * {@link Object#notifyAll()} is final.)
     *
     * @return how many threads were waiting
     */
    public int notifyAllWaiters() {
        return notifyWaiters(true);
    }

    // ---------------------------------------------------------------- asynchronous API

    /**
     * The outcome of a timed {@link #awaitAsync(MutexGuard, Duration)}: the guard that holds the mutex
     * again, and whether a notification (rather than the timeout) ended the wait.
     *
     * @param guard    owns the mutex again; close it (or await again with it)
     * @param notified {@code true} if notified, {@code false} if the timeout elapsed first
     * @param <T>      the type of the mutex's value
     */
    public record Wakeup<T>(MutexGuard<T> guard, boolean notified) {
    }

    /**
     * Waits for a notification without blocking any thread. The guard is closed by this call (the
     * mutex is released once the waiter is queued here, so no notify can be missed) and must not be
     * used again; the future completes with a <em>new</em> guard once this condvar was notified
     * <em>and</em> the mutex is held again. Notified waiters are moved onto the mutex's queue like
     * blocking ones ({@link #notifyOne()}), so an asynchronous waiter and a waiting thread are served
     * in the same order.
     *
     * <pre>{@code
     * CompletableFuture<MutexGuard<Deque<Job>>> next(MutexGuard<Deque<Job>> g) {
     *     return g.get().isEmpty()
     *             ? notEmpty.awaitAsync(g).thenCompose(this::next)   // re-check after every wake-up
     *             : CompletableFuture.completedFuture(g);
     * }
     * }</pre>
     *
     * <p>The future completes where a {@link Mutex#lockAsync()} future does: on the thread that
     * granted the mutex (the notifier, if the mutex was free, or its next releaser), through the
     * per-thread trampoline. Cancelling it (or completing it otherwise) gives up the wait and the
     * mutex: the waiter is withdrawn from this condvar, or from the mutex's queue if it was notified
     * meanwhile, and a grant already on its way is released when it arrives.
     *
     * @param guard owns the mutex; closed by this call
     * @param <T>   the type of the mutex's value
     * @return a future of a new guard that owns the mutex again once this condvar was notified
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     *                               (then the guard is still open and the mutex held)
     */
    public <T> CompletableFuture<MutexGuard<T>> awaitAsync(MutexGuard<T> guard) {
        heldMutex(guard);
        LockFuture<MutexGuard<T>> view = new LockFuture<>(
                (executor, callback) -> new CondvarAwait.Plain<>(this, executor, callback), null);
        start(guard, (CondvarAwait<?, ?>) view.acquisition);
        view.submitted();
        return view;
    }

    /**
     * As {@link #awaitAsync(MutexGuard)}, but the wait for a notification ends after {@code timeout}:
     * the waiter then leaves this condvar and queues for the mutex, and the future completes with the
     * mutex held again either way; {@link Wakeup#notified()} tells which. The timeout bounds the wait
     * for a notification, not the re-acquisition (as for {@link #await(MutexGuard, Duration)}); it is
     * cancelled as soon as the wait ends otherwise.
     *
     * @param guard   owns the mutex; closed by this call
     * @param timeout how long to wait for a notification at most
     * @param <T>     the type of the mutex's value
     * @return a future of the new guard, and whether a notification ended the wait
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException    if the guard is closed, or threads wait here with another mutex
     */
    public <T> CompletableFuture<Wakeup<T>> awaitAsync(MutexGuard<T> guard, Duration timeout) {
        long nanos = Timeouts.waitNanos(timeout);
        heldMutex(guard);
        LockFuture<Wakeup<T>> view = new LockFuture<>(
                (executor, callback) -> new CondvarAwait.Timed<>(this, executor, callback), null);
        CondvarAwait<?, ?> node = (CondvarAwait<?, ?>) view.acquisition;
        start(guard, node);
        view.submitted();
        node.arm(nanos);
        return view;
    }

    /**
     * Waits for a notification without a future: the callback level of {@link #awaitAsync(MutexGuard)}
     * (see {@link LockCallback}). The guard is closed by this call; {@code callback} receives a new
     * guard once this condvar was notified and the mutex is held again. {@link PendingLock#cancel()}
     * gives up the wait and the mutex: it returns {@code true} if no callback will run (a notification
     * the waiter had received is then passed on to the next waiter).
     *
     * @param guard    owns the mutex; closed by this call
     * @param callback receives a new guard once this condvar was notified and the mutex is held again
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param <T>      the type of the mutex's value
     * @return the handle through which the wait can be given up
     * @throws NullPointerException  if {@code guard} or {@code callback} is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public <T> PendingLock awaitAsync(MutexGuard<T> guard, LockCallback<? super MutexGuard<T>> callback,
                                      Executor executor) {
        Objects.requireNonNull(callback, "callback");
        heldMutex(guard);
        CondvarAwait<T, MutexGuard<T>> node = new CondvarAwait.Plain<>(this, executor, callback);
        start(guard, node);
        return node;
    }

    /**
     * The callback level of {@link #awaitAsync(MutexGuard, Duration)}: {@code callback} receives a
     * {@link Wakeup} (the new guard, and whether a notification ended the wait) once the mutex is held
     * again. Cancellation as for {@link #awaitAsync(MutexGuard, LockCallback, Executor)}.
     *
     * @param guard    owns the mutex; closed by this call
     * @param timeout  how long to wait for a notification at most
     * @param callback receives the {@link Wakeup} once the mutex is held again
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param <T>      the type of the mutex's value
     * @return the handle through which the wait can be given up
     * @throws NullPointerException     if {@code guard}, {@code timeout} or {@code callback} is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     * @throws IllegalStateException    if the guard is closed, or threads wait here with another mutex
     */
    public <T> PendingLock awaitAsync(MutexGuard<T> guard, Duration timeout,
                                      LockCallback<? super Wakeup<T>> callback, Executor executor) {
        long nanos = Timeouts.waitNanos(timeout);
        Objects.requireNonNull(callback, "callback");
        heldMutex(guard);
        CondvarAwait<T, Wakeup<T>> node = new CondvarAwait.Timed<>(this, executor, callback);
        start(guard, node);
        node.arm(nanos);
        return node;
    }

    /**
     * Queues the node here, then releases the mutex by closing the guard (which is thereby spent). The
     * node counts for the task the guard's hold counted for, if any: its re-acquisition is that task's
     * wait, and the new guard its hold.
     */
    private void start(MutexGuard<?> guard, CondvarAwait<?, ?> node) {
        guard.checkResumeOrder();
        HeldLocks task = guard.taskHolds();
        node.ownedBy(task);
        enqueueAsync(guard.mutex(), node);
        guard.mutex().taskWaits(task, node);
        guard.close();
    }

    /** A blocking wait with a guard: its hold's record is suspended while the mutex is released. */
    private int awaitWith(MutexGuard<?> guard, boolean interruptible, long nanos) {
        Mutex<?> mutex = heldMutex(guard);
        guard.suspendedForWait();
        try {
            return awaitMutex(mutex, interruptible, nanos);
        } finally {
            guard.resumedAfterWait(); // the mutex is held again on every path out
        }
    }

    private int awaitInterruptiblyWith(MutexGuard<?> guard, long nanos) throws InterruptedException {
        Mutex<?> mutex = heldMutex(guard);
        guard.suspendedForWait();
        try {
            return awaitOn(mutex, true, nanos);
        } finally {
            guard.resumedAfterWait();
        }
    }

    boolean stopWaiting(CondvarAwait<?, ?> node) {
        return stopWaitingAsync(node);
    }

    void reacquire(CondvarAwait<?, ?> node) {
        reacquireAsync(node);
    }

    boolean tookNotification(CondvarAwait<?, ?> node) {
        return wasNotified(node);
    }

    /**
     * How many threads and asynchronous waiters wait to be notified right now (those notified and
     * on their way back to the mutex are not counted), as {@code ReentrantLock.getWaitQueueLength}.
     * A snapshot, for monitoring and tests.
     *
     * @return the number of waiters not yet notified
     */
    @Override
    public int waiterCount() {
        return super.waiterCount();
    }

    /**
     * Whether anyone waits to be notified right now, as {@code ReentrantLock.hasWaiters}. A
     * snapshot, like {@link #waiterCount()}.
     *
     * @return {@code true} if {@link #notifyOne()} would notify someone now
     */
    public boolean hasWaiters() {
        return waiterCount() > 0;
    }

    @Override
    public String toString() {
        return "Condvar@" + Integer.toHexString(System.identityHashCode(this)) + "(" + waiterCount() + " waiting)";
    }

    // ---------------------------------------------------------------- for the Condition view

    /**
     * Waits on {@code mutex}, which the caller holds; throws if interrupted (then the mutex is held
     * again). Returns {@link #NOTIFIED} or {@link #TIMED_OUT}.
     */
    int awaitOn(Mutex<?> mutex, boolean interruptible, long nanos) throws InterruptedException {
        if (interruptible && Thread.interrupted()) {
            throw new InterruptedException();
        }
        int outcome = awaitMutex(mutex, interruptible, nanos);
        if (outcome == INTERRUPTED) {
            throw new InterruptedException();
        }
        return outcome;
    }

    /** The shared path: {@link #NOTIFIED}, {@link #TIMED_OUT} or (if interruptible) {@link #INTERRUPTED}. */
    private int awaitMutex(Mutex<?> mutex, boolean interruptible, long nanos) {
        return await(mutex, Mutex.EXCLUSIVE, interruptible, nanos);
    }

    /** Whether an outcome of {@link #awaitOn} was a notification. */
    static boolean notified(int outcome) {
        return outcome == NOTIFIED;
    }

    private static Mutex<?> heldMutex(MutexGuard<?> guard) {
        Objects.requireNonNull(guard, "guard");
        if (!guard.isHeld()) {
            throw new IllegalStateException("cannot await with " + guard + ": it no longer holds its mutex");
        }
        return guard.mutex();
    }
}
