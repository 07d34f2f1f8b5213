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
 * // consumer (throws InterruptedException, like Condition.await(), so shutdownNow() ends it)
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
 *       the timeout elapsed, or the thread was interrupted. The condition may still be false by then
 *       (another thread may have run first), so loop on it.</li>
 *   <li><b>Interrupts</b>, as with {@link java.util.concurrent.locks.Condition}:
 *       {@link #await(MutexGuard)}, {@link #await(MutexGuard, Duration)} and
 *       {@link #awaitUntil(MutexGuard, Instant)} throw {@link InterruptedException} (after
 *       re-acquiring the mutex, with the interrupt status cleared) if the thread is interrupted
 *       before being notified, or was interrupted on entry; a thread interrupted after its
 *       notification returns normally with its interrupt status set, so the notification is never
 *       lost. {@link #awaitUninterruptibly(MutexGuard)} ignores interrupts and keeps them as the
 *       interrupt status.</li>
 *   <li><b>Timeouts</b> bound the wait for a notification, not the re-acquisition of the mutex that
 *       follows it; a timed await returns {@code false} if it timed out and {@code true} if it was
 *       notified (a notification that races with the timeout wins). A zero or negative timeout, or
 *       a deadline that has passed, still releases and re-acquires the mutex, and is never an
 *       error.</li>
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
     * Releases the guard's mutex, waits until notified or interrupted, and re-acquires the mutex, as
     * {@link java.util.concurrent.locks.Condition#await()} does: a consumer blocked here ends with
     * its executor's {@code shutdownNow()}.
     *
     * @param guard the guard that holds the mutex; it still holds it when this returns or throws
     * @throws InterruptedException  if interrupted before being notified (including before the call);
     *                               the mutex is held again and the interrupt status is cleared
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public void await(MutexGuard<?> guard) throws InterruptedException {
        awaitInterruptiblyWith(guard, -1L);
    }

    /**
     * Releases the guard's mutex, waits until notified, and re-acquires the mutex, ignoring
     * interrupts, as {@link java.util.concurrent.locks.Condition#awaitUninterruptibly()} does: an
     * interrupt received while waiting is kept as the thread's interrupt status.
     *
     * @param guard the guard that holds the mutex; it still holds it when this returns
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public void awaitUninterruptibly(MutexGuard<?> guard) {
        awaitWith(guard, false, -1L);
    }

    /**
     * Releases the guard's mutex, waits until notified, interrupted, or until {@code timeout}
     * elapses, and re-acquires the mutex, as {@link java.util.concurrent.locks.Condition#await(long,
     * java.util.concurrent.TimeUnit)} does. A zero or negative timeout still releases and re-acquires
     * the mutex (letting a notifier in), and returns {@code false} unless notified meanwhile.
     *
     * @param guard   the guard that holds the mutex; it still holds it when this returns or throws
     * @param timeout the longest wait for a notification (not for re-acquiring the mutex)
     * @return {@code true} if notified, {@code false} if the timeout elapsed first
     * @throws InterruptedException  if interrupted before being notified (including before the call);
     *                               the mutex is held again and the interrupt status is cleared
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public boolean await(MutexGuard<?> guard, Duration timeout) throws InterruptedException {
        long nanos = Timeouts.waitNanos(timeout);
        return awaitInterruptiblyWith(guard, nanos) == NOTIFIED;
    }

    /**
     * Releases the guard's mutex, waits until notified, interrupted, or until the wall-clock
     * {@code deadline}, and re-acquires the mutex, as
     * {@link java.util.concurrent.locks.Condition#awaitUntil(java.util.Date)} does. The deadline is
     * read once, on entry, and turned into a wait on the monotonic clock; a deadline that has passed
     * behaves as a zero {@link #await(MutexGuard, Duration) timeout}.
     *
     * @param guard    the guard that holds the mutex; it still holds it when this returns or throws
     * @param deadline when to stop waiting for a notification
     * @return {@code true} if notified, {@code false} if the deadline passed first
     * @throws InterruptedException  if interrupted before being notified (including before the call);
     *                               the mutex is held again and the interrupt status is cleared
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed, or threads wait here with another mutex
     */
    public boolean awaitUntil(MutexGuard<?> guard, Instant deadline) throws InterruptedException {
        long nanos = Timeouts.waitNanos(Timeouts.until(deadline));
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
     * Waits for a notification without blocking any thread. The guard is <em>consumed</em> by this
     * call: the mutex is released once the waiter is queued here (so no notify can be missed), the
     * guard's other methods throw from now on, and its {@link MutexGuard#close()} does nothing (so
     * {@code try (g) { return cv.awaitAsync(g); }} is safe, as for an upgraded {@link RwLock} guard).
     * The future completes with a <em>new</em> guard once this condvar was notified
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
     * @param guard the guard that holds the mutex; consumed
     * @param <T>   the type of the mutex's value
     * @return a future of the new guard
     * @throws NullPointerException  if {@code guard} is null
     * @throws IllegalStateException if the guard is closed or consumed, or threads wait here with
     *                               another mutex (then the guard is still open and the mutex held)
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
     * cancelled as soon as the wait ends otherwise. A zero or negative timeout ends the wait at once:
     * the mutex is released and queued for again, as a zero-timeout {@code await} does.
     *
     * @param guard   the guard that holds the mutex; consumed
     * @param timeout the longest wait for a notification
     * @param <T>     the type of the mutex's value
     * @return a future of the new guard and of whether a notification ended the wait
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed or consumed, or threads wait here with
     *                               another mutex
     */
    public <T> CompletableFuture<Wakeup<T>> awaitAsync(MutexGuard<T> guard, Duration timeout) {
        return awaitAsyncNanos(guard, Timeouts.waitNanos(timeout));
    }

    /**
     * As {@link #awaitAsync(MutexGuard, Duration)}, with a wall-clock deadline read once, on entry;
     * a deadline that has passed behaves as a zero timeout.
     *
     * @param guard    the guard that holds the mutex; consumed
     * @param deadline when to stop waiting for a notification
     * @param <T>      the type of the mutex's value
     * @return a future of the new guard and of whether a notification ended the wait
     * @throws NullPointerException  if an argument is null
     * @throws IllegalStateException if the guard is closed or consumed, or threads wait here with
     *                               another mutex
     */
    public <T> CompletableFuture<Wakeup<T>> awaitUntilAsync(MutexGuard<T> guard, Instant deadline) {
        return awaitAsyncNanos(guard, Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    private <T> CompletableFuture<Wakeup<T>> awaitAsyncNanos(MutexGuard<T> guard, long nanos) {
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
     * (see {@link LockCallback}). The guard is consumed by this call; {@code callback} receives a new
     * guard once this condvar was notified and the mutex is held again. {@link PendingLock#cancel()}
     * gives up the wait and the mutex: it returns {@code true} if no callback will run (a notification
     * the waiter had received is then passed on to the next waiter).
     *
     * @param guard    the guard that holds the mutex; consumed
     * @param callback receives the new guard
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param <T>      the type of the mutex's value
     * @return the handle that can withdraw the wait
     * @throws NullPointerException  if {@code guard} or {@code callback} is null
     * @throws IllegalStateException if the guard is closed or consumed, or threads wait here with
     *                               another mutex
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
     * @param guard    the guard that holds the mutex; consumed
     * @param timeout  the longest wait for a notification; zero or negative ends it at once
     * @param callback receives the new guard and whether a notification ended the wait
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param <T>      the type of the mutex's value
     * @return the handle that can withdraw the wait
     * @throws NullPointerException  if {@code guard}, {@code timeout} or {@code callback} is null
     * @throws IllegalStateException if the guard is closed or consumed, or threads wait here with
     *                               another mutex
     */
    public <T> PendingLock awaitAsync(MutexGuard<T> guard, Duration timeout,
                                      LockCallback<? super Wakeup<T>> callback, Executor executor) {
        return awaitAsyncNanos(guard, Timeouts.waitNanos(timeout), callback, executor);
    }

    /**
     * The callback level of {@link #awaitUntilAsync(MutexGuard, Instant)}: as
     * {@link #awaitAsync(MutexGuard, Duration, LockCallback, Executor)}, with a wall-clock deadline
     * read once, on entry.
     *
     * @param guard    the guard that holds the mutex; consumed
     * @param deadline when to stop waiting for a notification
     * @param callback receives the new guard and whether a notification ended the wait
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param <T>      the type of the mutex's value
     * @return the handle that can withdraw the wait
     * @throws NullPointerException  if {@code guard}, {@code deadline} or {@code callback} is null
     * @throws IllegalStateException if the guard is closed or consumed, or threads wait here with
     *                               another mutex
     */
    public <T> PendingLock awaitUntilAsync(MutexGuard<T> guard, Instant deadline,
                                           LockCallback<? super Wakeup<T>> callback, Executor executor) {
        return awaitAsyncNanos(guard, Timeouts.waitNanos(Timeouts.until(deadline)), callback, executor);
    }

    private <T> PendingLock awaitAsyncNanos(MutexGuard<T> guard, long nanos,
                                            LockCallback<? super Wakeup<T>> callback, Executor executor) {
        Objects.requireNonNull(callback, "callback");
        heldMutex(guard);
        CondvarAwait<T, Wakeup<T>> node = new CondvarAwait.Timed<>(this, executor, callback);
        start(guard, node);
        node.arm(nanos);
        return node;
    }

    /**
     * Queues the node here, then consumes the guard, which releases the mutex. The node counts for
     * the task the guard's hold counted for, if any: its re-acquisition is that task's wait, and the
     * new guard its hold.
     */
    private void start(MutexGuard<?> guard, CondvarAwait<?, ?> node) {
        guard.checkResumeOrder();
        HeldLocks task = guard.taskHolds();
        node.ownedBy(task);
        enqueueAsync(guard.mutex(), node);
        guard.mutex().taskWaits(task, node);
        guard.consumeAndRelease();
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
