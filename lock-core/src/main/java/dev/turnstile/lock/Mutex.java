package dev.turnstile.lock;

import dev.turnstile.lock.park.HeldLocks;
import dev.turnstile.lock.park.LockConfig;
import dev.turnstile.lock.park.LockTracking;
import dev.turnstile.lock.park.RawLock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
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
 * A thread (or task) that holds a {@code Mutex} and acquires it again would wait for itself forever,
 * as with every non-reentrant lock. Pass the guard down instead of locking twice. A thread that is
 * about to park, without a timeout, on a mutex it holds waits 500 ms (time for a guard it handed to
 * another thread to be used there), then gets an {@link IllegalStateException} naming the mutex
 * instead of hanging, or a warning, as {@link Deadlocks#setSelfDeadlockPolicy} says; checked only
 * once the mutex is found taken, never on the fast path. For a ranked mutex, any re-acquisition is refused by the rank check
 * ({@link LockRanks}).
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
 * <h2>Diagnostics</h2>
 * A thread holding the mutex is its owner for the JVM's tools: thread dumps list the mutex among the
 * holder's "Locked ownable synchronizers", {@code ThreadMXBean.findDeadlockedThreads()} reports
 * platform threads deadlocked on mutexes, and {@link #toString()} shows the identity hash that thread
 * dumps print ({@code Mutex[orders]@1b6d3586}), so a log line can be matched to a dump. An
 * asynchronous holder is no thread and is not shown there. Lock ranks and Turnstile's own deadlock
 * detection, which follow asynchronous holders too, are opt-in per mutex ({@link #builder()}).
 *
 * <h2>Memory</h2>
 * An unlocked mutex is the owner thread field the JVM's tools read, a state word, the value reference,
 * one reference to shared configuration and one to diagnostic settings (32 bytes with compressed
 * references); the wait queue is allocated the first time it is contended.
 *
 * @param <T> the type of the guarded value
 */
@SuppressWarnings("serial") // not serializable: see RawLock
public final class Mutex<T> extends RawLock {
    /** The only lock bit: held. */
    private static final int LOCKED = 1;
    /** The state word of a mutex held with nobody queued: what its release expects to find. */
    static final int HELD_ALONE = LOCKED;
    /** The state word of a mutex held with waiters queued, none of them waiting for a release to act. */
    static final int HELD_QUEUED = QUEUED | LOCKED;
    /** The only mode. */
    static final int EXCLUSIVE = 0;

    /** Guarded by this mutex; visibility comes from the acquire/release ordering of the state word. */
    private T value;

    /**
     * A mutex guarding {@code value} with the default settings.
     *
     * @param value the guarded value (may be null)
     */
    public Mutex(T value) {
        this(value, LockConfig.DEFAULT, null);
    }

    private Mutex(T value, LockConfig config, LockTracking tracking) {
        super(config, tracking);
        this.value = value;
    }

    /** {@return a builder for a mutex with a fairness policy, name or clock of its own} */
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
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        int held = acquire();
        return new MutexGuard<>(this, recordHold(holds, EXCLUSIVE), held);
    }

    /**
     * Acquires the mutex unless the thread is interrupted first.
     *
     * @return the guard that owns the lock until closed
     * @throws InterruptedException if interrupted before or while waiting; the waiter has then left
     *                              the queue and the interrupt status is cleared
     */
    public MutexGuard<T> lockInterruptibly() throws InterruptedException {
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        int held = acquireInterruptibly();
        return new MutexGuard<>(this, recordHold(holds, EXCLUSIVE), held);
    }

    /**
     * Acquires the mutex only if it is free now. Like {@code ReentrantLock.tryLock()}, this takes a
     * free mutex even when others are queued, whatever the fairness policy.
     *
     * @return the guard that owns the lock until closed, or empty if the mutex is held
     */
    public Optional<MutexGuard<T>> tryLock() {
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        return tryAcquireNow() ? Optional.of(new MutexGuard<>(this, recordHold(holds, EXCLUSIVE))) : Optional.empty();
    }

    /**
     * Acquires the mutex if it becomes available within {@code timeout}. A zero or negative timeout
     * makes one attempt that respects the fairness policy (it is never an error, as in
     * {@code java.util.concurrent}). Not interruptible (see {@link #lock()}); on timeout the waiter
     * has left the queue.
     *
     * @param timeout the longest wait
     * @return the guard, or empty if the timeout elapsed first
     * @throws NullPointerException if {@code timeout} is null
     */
    public Optional<MutexGuard<T>> tryLock(Duration timeout) {
        return tryLockNanos(Timeouts.waitNanos(timeout));
    }

    /**
     * Acquires the mutex if it becomes available before {@code deadline}, a wall-clock instant read
     * once, on entry, and turned into a wait on the monotonic clock. A deadline that has passed makes
     * one attempt, as a zero {@link #tryLock(Duration) timeout} does.
     *
     * @param deadline when to give up
     * @return the guard, or empty if the deadline passed first
     * @throws NullPointerException if {@code deadline} is null
     */
    public Optional<MutexGuard<T>> tryLock(Instant deadline) {
        return tryLockNanos(Timeouts.waitNanos(Timeouts.until(deadline)));
    }

    private Optional<MutexGuard<T>> tryLockNanos(long nanos) {
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        return acquireBlocking(EXCLUSIVE, false, nanos) == ACQUIRED
                ? Optional.of(new MutexGuard<>(this, recordHold(holds, EXCLUSIVE))) : Optional.empty();
    }

    /**
     * Runs {@code action} on the value while holding the mutex, and returns its result. Allocates
     * nothing when the mutex is uncontended.
     *
     * @param action reads or changes the value; it must not let the value escape if it is mutable
     * @param <R>    the type of the result
     * @return what {@code action} returned
     * @throws NullPointerException if {@code action} is null
     */
    public <R> R withLock(Function<? super T, ? extends R> action) {
        Objects.requireNonNull(action, "action");
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        int held = acquire();
        holds = recordHold(holds, EXCLUSIVE);
        try {
            return action.apply(value);
        } finally {
            releaseLock(false, holds, held);
        }
    }

    /**
     * Runs {@code action} on the value while holding the mutex: the form of {@link #withLock} for
     * actions that return nothing, such as {@code names.withLockDo(List::clear)}. (It has a name of
     * its own because an overload of {@code withLock} taking a {@link Consumer} would make
     * {@code withLock(v -> v.add(x))} ambiguous.) Allocates nothing when the mutex is uncontended.
     *
     * @param action what to do with the value
     * @throws NullPointerException if {@code action} is null
     */
    public void withLockDo(Consumer<? super T> action) {
        Objects.requireNonNull(action, "action");
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        int held = acquire();
        holds = recordHold(holds, EXCLUSIVE);
        try {
            action.accept(value);
        } finally {
            releaseLock(false, holds, held);
        }
    }

    /**
     * Replaces the value with {@code update.apply(value)} while holding the mutex, and returns the
     * new value. Allocates nothing of its own when the mutex is uncontended. The value is returned
     * after the mutex is released: if it is mutable, reading it afterwards is unguarded.
     *
     * @param update computes the new value from the current one
     * @return the new value
     * @throws NullPointerException if {@code update} is null
     */
    public T update(UnaryOperator<T> update) {
        Objects.requireNonNull(update, "update");
        HeldLocks holds = threadAcquiring(EXCLUSIVE);
        int held = acquire();
        holds = recordHold(holds, EXCLUSIVE);
        try {
            T next = update.apply(value);
            value = next;
            return next;
        } finally {
            releaseLock(false, holds, held);
        }
    }

    // ---------------------------------------------------------------- introspection (snapshots, for monitoring and tests)

    /**
     * Whether the mutex is held right now. A snapshot: it may have changed by the time the caller
     * looks at it, so use it for monitoring and tests, not for synchronization.
     *
     * @return {@code true} if some guard holds the mutex
     */
    public boolean isLocked() {
        return (state() & LOCKED) != 0;
    }

    /**
     * How many acquisitions (threads and asynchronous waiters alike) are queued for the mutex right
     * now, as {@code ReentrantLock.getQueueLength()}. A snapshot: exact while nothing moves, an
     * estimate otherwise.
     *
     * @return the number of queued waiters
     */
    @Override
    public int queueLength() {
        return super.queueLength();
    }

    /**
     * Whether any acquisition is queued for the mutex right now, as
     * {@code ReentrantLock.hasQueuedThreads()}. A snapshot, like {@link #queueLength()}.
     *
     * @return {@code true} if at least one waiter is queued
     */
    @Override
    public boolean hasQueuedWaiters() {
        return super.hasQueuedWaiters();
    }

    /**
     * The fairness policy the mutex was built with ({@link Fairness#EVENTUAL} unless
     * {@link #builder()} said otherwise).
     *
     * @return the policy
     */
    public Fairness fairness() {
        return config().fairness();
    }

    /**
     * A {@link Lock} view for code that expects a thread-owned lock. Through the view the usual
     * j.u.c rules apply: the thread that locked must unlock, and {@code unlock()} by any other thread
     * throws {@link IllegalMonitorStateException}. {@code lock()}, {@code tryLock()} and
     * {@code unlock()} allocate nothing; the view itself is created once per mutex (in the side
     * state the mutex keeps once contended) and returned by every call.
     * {@link Lock#newCondition()} returns a condition backed by a {@link Condvar}.
     *
     * @return the {@link Lock} view of this mutex
     */
    public Lock asLock() {
        return attachment(Mutex::newLockView);
    }

    private static MutexLockView newLockView(RawLock mutex) {
        return new MutexLockView((Mutex<?>) mutex);
    }

    /**
     * The name given to the builder, which diagnostics and exception messages show.
     *
     * @return the name, or {@code null} if the mutex has none
     */
    public String name() {
        return config().name();
    }

    /**
     * A snapshot of this mutex's statistics: acquisitions, contended acquisitions, wait and hold time
     * distributions, the longest queue. Only a mutex built with
     * {@link LockBuilder#statistics(boolean) statistics(true)} (or under the system property
     * {@code dev.turnstile.lock.statistics=true}) keeps them.
     *
     * @return the snapshot, or empty if this mutex keeps no statistics
     */
    public Optional<LockStatistics> statistics() {
        return Optional.ofNullable(statisticsSnapshot());
    }

    /**
     * {@return the mutex's name (if any) and the identity hash that thread dumps print for it
     * ({@code ThreadInfo.getLockName()}, {@code jcmd <pid> Thread.dump_to_file}), then whether it is
     * locked, by which thread if a thread holds it, and how many wait: for example
     * {@code Mutex[orders]@1b6d3586(locked by "worker-3", 2 waiting)}}
     */
    @Override
    public String toString() {
        if (!isLocked()) {
            return identity() + "(unlocked)";
        }
        Thread owner = ownerThread();
        return identity() + "(locked" + (owner != null ? " by \"" + owner.getName() + "\"" : "")
                + ", " + queueLength() + " waiting)";
    }

    // ---------------------------------------------------------------- asynchronous API
    //
    // Asynchronous acquisitions wait in the same queue, under the same fairness policy, as blocking
    // and virtual-thread waiters of this mutex. No thread waits: each one is a callback node.

    /**
     * Acquires the mutex without blocking any thread. The future completes with the guard once the
     * mutex is granted; at once (before this method returns) if it is free and the fairness policy
     * lets an arrival take it.
     *
     * <h4>Where dependents run</h4>
     * Like the non-{@code Async} methods of {@link CompletableFuture}: on the thread that completes
     * the future, which is the thread that released the mutex to this waiter (or, when the mutex was
     * free, the caller). A release whose dependents release again grants the next waiter through a
     * per-thread trampoline rather than by recursion, so chains of any length of
     * <pre>{@code
     * mutex.lockAsync().thenAccept(g -> { try (g) { work(g.get()); } });
     * }</pre>
     * run in constant stack on the releasing thread. Dependents therefore must not block; use
     * {@link #lockAsync(Executor)} (or the {@code *Async} methods of the future) to run elsewhere.
     * Called inside such a continuation, {@code lockAsync()} never completes before it returns, even
     * on a free mutex (the grant waits its turn on the trampoline), so loops that release and then
     * re-acquire from their continuations stay flat as well. Called elsewhere on a free mutex, it
     * returns a completed future, and dependents attached to it run at once on the attaching thread,
     * as with any completed future: a loop that re-acquires from code of its own outside any
     * continuation should use the executor form.
     *
     * <h4>Cancellation and completion by the caller</h4>
     * The future is a view, not the queue node: {@code cancel}, {@code complete},
     * {@code completeExceptionally}, and therefore {@code orTimeout} and {@code completeOnTimeout},
     * withdraw the waiter from the queue before the future's dependents run. If the grant won the race
     * (the future was completed by the caller after the mutex had been handed to this waiter), the
     * mutex is released as soon as the grant arrives. Nothing done to the future can strand the mutex;
     * {@code obtrudeValue} and {@code obtrudeException} throw {@link UnsupportedOperationException}.
     *
     * @return a future of the guard that owns the mutex until closed
     */
    public CompletableFuture<MutexGuard<T>> lockAsync() {
        MutexGuard<T> now = grantIfFree(null);
        if (now != null) {
            return LockFuture.granted(now); // taken at once: no node
        }
        return submit(new LockFuture<>(nodes(), null));
    }

    /**
     * Acquires the mutex without blocking any thread, completing the future on {@code executor}
     * (always, even when the mutex is free), like {@code CompletableFuture}'s {@code *Async} methods.
     * If {@code executor} rejects the completion, the mutex is released and the future fails with the
     * {@link java.util.concurrent.RejectedExecutionException}. Cancellation as for {@link #lockAsync()};
     * a grant that lost the race is released when it runs on {@code executor}.
     *
     * @param executor runs the future's completion
     * @return a future of the guard that owns the mutex until closed
     * @throws NullPointerException if {@code executor} is null
     */
    public CompletableFuture<MutexGuard<T>> lockAsync(Executor executor) {
        Objects.requireNonNull(executor, "executor");
        return submit(new LockFuture<>(nodes(), executor));
    }

    /**
     * As {@link #lockAsync()}, for the asynchronous task {@code owner}: the hold counts as the
     * owner's, for lock ranks and deadlock detection, wherever its continuations run. On a ranked
     * mutex that the owner may not acquire now ({@link LockRanks}), the future fails at once with
     * {@link LockOrderViolationException} and nothing is queued.
     *
     * @param owner the task acquiring
     * @return a future of the guard that owns the mutex until closed
     * @throws NullPointerException if {@code owner} is null
     */
    public CompletableFuture<MutexGuard<T>> lockAsync(LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(Objects.requireNonNull(owner, "owner"));
        try {
            taskAcquiring(holds, EXCLUSIVE);
        } catch (LockOrderViolationException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        MutexGuard<T> now = grantIfFree(holds);
        if (now != null) {
            return LockFuture.granted(now);
        }
        return submit(new LockFuture<>(nodes(), null), holds);
    }

    /**
     * As {@link #tryLockAsync(Duration)}, for the asynchronous task {@code owner} (see
     * {@link #lockAsync(LockOwner)}).
     *
     * @param timeout the longest wait
     * @param owner   the task acquiring
     * @return a future of the guard, or failed with {@link LockTimeoutException} or
     *         {@link LockOrderViolationException}
     * @throws NullPointerException if an argument is null
     */
    public CompletableFuture<MutexGuard<T>> tryLockAsync(Duration timeout, LockOwner owner) {
        long nanos = Timeouts.waitNanos(timeout);
        HeldLocks holds = LockOwner.holdsOf(Objects.requireNonNull(owner, "owner"));
        try {
            taskAcquiring(holds, EXCLUSIVE);
        } catch (LockOrderViolationException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        LockFuture.Timed<MutexGuard<T>> view = submit(new LockFuture.Timed<>(nodes(), null), holds);
        // The wait the timeout names is the one made: zero for a negative timeout, as in the other forms.
        view.arm(nanos, Timeouts.nonNegative(timeout), name(), null);
        return view;
    }

    /**
     * As {@link #tryLockAsync(Duration, LockOwner)}, with a wall-clock deadline read once, on entry; a
     * deadline that has passed makes one attempt (the deadline form beside every timeout form).
     *
     * @param deadline when to give up
     * @param owner    the task acquiring
     * @return a future of the guard, or failed with {@link LockTimeoutException} or
     *         {@link LockOrderViolationException}
     * @throws NullPointerException if an argument is null
     */
    public CompletableFuture<MutexGuard<T>> tryLockAsync(Instant deadline, LockOwner owner) {
        return tryLockAsync(Timeouts.until(deadline), owner);
    }

    /**
     * As {@link #withLockAsync(Function)}, for the asynchronous task {@code owner} (see
     * {@link #lockAsync(LockOwner)}): the future fails with {@link LockOrderViolationException}, and
     * the body never runs, if the owner may not acquire this mutex now.
     *
     * @param owner the task acquiring
     * @param body  runs with the guard; the mutex is released when its stage completes
     * @param <R>   the body's result type
     * @return the body's outcome, once the mutex is released
     * @throws NullPointerException if an argument is null
     */
    public <R> CompletableFuture<R> withLockAsync(
            LockOwner owner, Function<? super MutexGuard<T>, ? extends CompletionStage<R>> body) {
        HeldLocks holds = LockOwner.holdsOf(Objects.requireNonNull(owner, "owner"));
        Objects.requireNonNull(body, "body");
        try {
            taskAcquiring(holds, EXCLUSIVE);
        } catch (LockOrderViolationException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        ScopedLockFuture<MutexGuard<T>, R> scope = new ScopedLockFuture<>(nodes(), null, body);
        scope.acquisition.ownedBy(holds);
        recordTaskWait(holds, scope.acquisition);
        return submitScoped(scope);
    }

    /**
     * As {@link #lockAsync(LockCallback, Executor)}, for the asynchronous task {@code owner} (see
     * {@link #lockAsync(LockOwner)}); this is what the Reactor and Vert.x adapters call with the owner
     * they find in their context.
     *
     * @param callback receives the guard
     * @param executor where the callback runs, or {@code null} for the granting thread's trampoline
     * @param owner    the task acquiring, or {@code null} for an anonymous acquisition
     * @return the pending acquisition
     * @throws NullPointerException        if {@code callback} is null
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked mutex now;
     *                                     nothing was queued and the callback never runs
     */
    public PendingLock lockAsync(LockCallback<? super MutexGuard<T>> callback, Executor executor, LockOwner owner) {
        Objects.requireNonNull(callback, "callback");
        HeldLocks holds = LockOwner.holdsOf(owner);
        taskAcquiring(holds, EXCLUSIVE);
        MutexAcquisition<T> node = new MutexAcquisition<>(executor, callback);
        node.ownedBy(holds);
        recordTaskWait(holds, node);
        acquireAsync(node);
        return node;
    }

    /**
     * The part of {@link #lockAsync(LockCallback, Executor, LockOwner)} that needs no callback: takes
     * the mutex now, for an asynchronous acquirer, when {@link #lockAsync()} would take it without a
     * queue node — the mutex is free, nobody is queued or the fairness policy lets arrivals pass
     * queued waiters (any but {@link Fairness#FIFO}, whose queued waiters are never passed), it is
     * not profiled (with statistics or a JFR recording on, {@code lockAsync()} goes through the
     * core, which records the acquisition, and may still complete before returning), and no grant
     * delivery is running on this thread (so release chains stay flat) — and otherwise changes
     * nothing. For adapters whose own future can then be
     * created already complete, with no queue node: call the callback form when this returns
     * {@code null}. The guard belongs to {@code owner}, as a grant of the callback form would (the
     * hold recorded for ranks and deadlock detection), and no thread owns the mutex. A callback-level
     * front-end hands the guard on with {@link LockCallback#deliver}, which keeps chains of
     * acquisitions made from its callbacks flat as a queued grant's delivery would.
     *
     * @param owner the task acquiring, or {@code null} for an anonymous acquisition
     * @return the guard, or {@code null} if the mutex cannot be taken at once
     * @throws LockOrderViolationException if {@code owner} may not acquire this ranked mutex now
     *                                     (checked first; nothing was taken)
     */
    public MutexGuard<T> lockIfFree(LockOwner owner) {
        HeldLocks holds = LockOwner.holdsOf(owner);
        taskAcquiring(holds, EXCLUSIVE);
        return grantIfFree(holds);
    }

    /** {@link LockCallback#deliver}: the core's delivery of a grant made without a queue node. */
    static <G> void deliverGrant(LockCallback<? super G> callback, G guard) {
        deliverTaken(callback, guard);
    }

    /**
     * The asynchronous fast path: the guard of a mutex taken for {@code holds} as {@link #takeFree()}
     * takes it, or {@code null}. A queued node would be granted at once in that case too: this saves
     * the node and the delivery.
     */
    private MutexGuard<T> grantIfFree(HeldLocks holds) {
        if (!isDeliveringGrants()) {
            int held = takeFree();
            if (held != 0) {
                return new MutexGuard<>(this, recordHold(holds, EXCLUSIVE), held);
            }
        }
        return null;
    }

    /**
     * Acquires the mutex without blocking any thread if it is granted within {@code timeout};
     * otherwise the waiter leaves the queue as the timeout passes, and the future fails with a
     * {@link LockTimeoutException} that names this mutex and the wait. A zero or negative timeout
     * makes one attempt that respects the fairness policy, and the future is complete when this
     * returns: granted if the mutex was free, failed with the timeout otherwise (called inside a
     * grant's delivery, such as a continuation of another lock's future, a grant goes through this
     * thread's trampoline like every grant there: the future completes as soon as the callback
     * running now returns). The timeout runs on
     * Turnstile's timer thread (one daemon thread, started on demand), and a timed-out future's
     * dependents run there, as with {@code orTimeout}: they must be brief. Completion on a grant and
     * cancellation as for {@link #lockAsync()}.
     *
     * @param timeout the longest wait
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} is null
     */
    public CompletableFuture<MutexGuard<T>> tryLockAsync(Duration timeout) {
        long nanos = Timeouts.waitNanos(timeout);
        return submitTimed(new LockFuture.Timed<>(nodes(), null), nanos, timeout, null);
    }

    /**
     * As {@link #tryLockAsync(Duration)}, completing the future on {@code executor} whether it is
     * granted or times out.
     *
     * @param timeout  the longest wait
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code timeout} or {@code executor} is null
     */
    public CompletableFuture<MutexGuard<T>> tryLockAsync(Duration timeout, Executor executor) {
        long nanos = Timeouts.waitNanos(timeout);
        Objects.requireNonNull(executor, "executor");
        return submitTimed(new LockFuture.Timed<>(nodes(), executor), nanos, timeout, executor);
    }

    /**
     * As {@link #tryLockAsync(Duration)}, with a wall-clock deadline read once, on entry. A deadline
     * that has passed makes one attempt, and the future is complete when this returns (inside a
     * grant's delivery, once the callback running now returns, as {@link #tryLockAsync(Duration)} says).
     *
     * @param deadline when to give up
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} is null
     */
    public CompletableFuture<MutexGuard<T>> tryLockAsync(Instant deadline) {
        return tryLockAsync(Timeouts.until(deadline));
    }

    /**
     * As {@link #tryLockAsync(Instant)}, completing the future on {@code executor}.
     *
     * @param deadline when to give up
     * @param executor where the future completes
     * @return a future of the guard, or of the timeout
     * @throws NullPointerException if {@code deadline} or {@code executor} is null
     */
    public CompletableFuture<MutexGuard<T>> tryLockAsync(Instant deadline, Executor executor) {
        return tryLockAsync(Timeouts.until(deadline), executor);
    }

    /**
     * Acquires the mutex without blocking, runs {@code body} with the guard, and releases the mutex
     * when the stage {@code body} returns completes, normally or exceptionally; the returned future
     * then completes the same way. The mutex is also released if {@code body} throws (the future fails
     * with that exception) or returns {@code null} (it fails with {@link NullPointerException}).
     *
     * <pre>{@code
     * CompletableFuture<Receipt> r = account.withLockAsync(g ->
     *         ledger.append(g.get().debit(amount)));   // released when append's stage completes
     * }</pre>
     *
     * <p>Cancelling the returned future (or timing it out with {@code orTimeout}) withdraws a queued
     * acquisition, and the body then never runs. It never releases the mutex under a running body:
     * once the body has started, the mutex stays held until the body's stage completes, so the next
     * holder cannot overlap it; the returned future completes (cancelled) at once. The body's stage is
     * not cancelled (it may be shared); a body that should stop early watches a signal of its own.
     * {@code body} runs where {@link #lockAsync()} would complete its future. The guard must not
     * escape the body; closing it inside is allowed.
     *
     * @param body runs with the guard, and returns the stage whose completion releases the mutex
     * @param <R>  the type of the body's result
     * @return a future that completes as the body's stage does, once the mutex is released
     * @throws NullPointerException if {@code body} is null
     */
    public <R> CompletableFuture<R> withLockAsync(
            Function<? super MutexGuard<T>, ? extends CompletionStage<R>> body) {
        Objects.requireNonNull(body, "body");
        return submitScoped(new ScopedLockFuture<>(nodes(), null, body));
    }

    /**
     * As {@link #withLockAsync(Function)}, running {@code body} on {@code executor}.
     *
     * @param body     runs with the guard, and returns the stage whose completion releases the mutex
     * @param executor runs {@code body}
     * @param <R>      the type of the body's result
     * @return a future that completes as the body's stage does, once the mutex is released
     * @throws NullPointerException if {@code body} or {@code executor} is null
     */
    public <R> CompletableFuture<R> withLockAsync(
            Function<? super MutexGuard<T>, ? extends CompletionStage<R>> body, Executor executor) {
        Objects.requireNonNull(body, "body");
        Objects.requireNonNull(executor, "executor");
        return submitScoped(new ScopedLockFuture<>(nodes(), executor, body));
    }

    /**
     * Acquires the mutex without blocking and without a future: {@code callback} receives the guard.
     * The returned handle is the queue node itself, so this allocates one small node (and the guard
     * once granted). This is the level Turnstile's Reactor and Vert.x adapters build on; see
     * {@link LockCallback} for the contract and an adapter idiom. The callback runs on the granting
     * thread through the per-thread trampoline, possibly before this method returns.
     *
     * @param callback receives the guard once the mutex is granted
     * @return the handle through which the acquisition can be withdrawn
     * @throws NullPointerException if {@code callback} is null
     */
    public PendingLock lockAsync(LockCallback<? super MutexGuard<T>> callback) {
        Objects.requireNonNull(callback, "callback");
        MutexAcquisition<T> node = new MutexAcquisition<>(null, callback);
        acquireAsync(node);
        return node;
    }

    /**
     * As {@link #lockAsync(LockCallback)}, running the callback on {@code executor}; if it rejects the
     * task, the mutex is released and {@link LockCallback#onFailed} runs on the releasing thread.
     *
     * @param callback receives the guard once the mutex is granted
     * @param executor runs the callback
     * @return the handle through which the acquisition can be withdrawn
     * @throws NullPointerException if {@code callback} or {@code executor} is null
     */
    public PendingLock lockAsync(LockCallback<? super MutexGuard<T>> callback, Executor executor) {
        Objects.requireNonNull(callback, "callback");
        Objects.requireNonNull(executor, "executor");
        MutexAcquisition<T> node = new MutexAcquisition<>(executor, callback);
        acquireAsync(node);
        return node;
    }

    /** Creates the queue node of each future-based acquisition; one shared, stateless factory. */
    private static final Acquisition.Factory<MutexGuard<Object>> NODE_FACTORY = MutexAcquisition<Object>::new;

    @SuppressWarnings("unchecked") // the factory is generic in T only through the guards it creates
    private Acquisition.Factory<MutexGuard<T>> nodes() {
        return (Acquisition.Factory<MutexGuard<T>>) (Acquisition.Factory<?>) NODE_FACTORY;
    }

    private <F extends LockFuture<MutexGuard<T>>> F submit(F view) {
        acquireAsync(view.acquisition);
        view.submitted();
        return view;
    }

    /** {@link #submit(LockFuture)} of an acquisition that counts for a task ({@code holds}, may be null). */
    private <F extends LockFuture<MutexGuard<T>>> F submit(F view, HeldLocks holds) {
        view.acquisition.ownedBy(holds);
        recordTaskWait(holds, view.acquisition);
        return submit(view);
    }

    private <R> ScopedLockFuture<MutexGuard<T>, R> submitScoped(ScopedLockFuture<MutexGuard<T>, R> scope) {
        acquireAsync(scope.acquisition);
        scope.submitted();
        return scope;
    }

    private LockFuture.Timed<MutexGuard<T>> submitTimed(
            LockFuture.Timed<MutexGuard<T>> view, long nanos, Duration timeout, Executor executor) {
        submit(view).arm(nanos, Timeouts.nonNegative(timeout), name(), executor);
        return view;
    }

    // ---------------------------------------------------------------- for guards and views

    T value() {
        return value;
    }

    void setValue(T v) {
        value = v;
    }

    /**
     * Acquires for the current thread, which the JVM then sees as the owner.
     *
     * @return the state word the release should expect ({@link #releaseLock(boolean, HeldLocks, int)})
     */
    int acquire() {
        int held = takeNow();
        if (held != 0) {
            return held;
        }
        acquireBlocking(EXCLUSIVE, false, -1L); // records the owner itself
        return HELD_QUEUED; // whoever made it wait is probably still queued
    }

    /** {@link #acquire()}, unless the thread is interrupted first; the same return value. */
    int acquireInterruptibly() throws InterruptedException {
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
        int held = takeNow();
        if (held != 0) {
            return held;
        }
        if (acquireBlocking(EXCLUSIVE, true, -1L) == INTERRUPTED) {
            throw new InterruptedException();
        }
        return HELD_QUEUED;
    }

    /**
     * The blocking acquisitions' fast path: {@link #takeFree()}, and the current thread becomes the
     * owner. Under contention the queue is rarely empty, and a holder that keeps its processor takes
     * and releases the mutex many times between two wake-ups of the queue's head: on this path each
     * of those costs about what an uncontended one does.
     *
     * @return the state word the acquisition left, or 0 if the mutex was not free
     */
    private int takeNow() {
        int held = takeFree();
        if (held != 0) {
            setExclusiveOwnerThread(Thread.currentThread());
        }
        return held;
    }

    /**
     * Both fast paths' acquisition: reads the word, and if the mutex is free, not profiled, and either
     * nobody is queued or the policy lets arrivals barge (any but FIFO), takes it with one
     * compare-and-set from that word, as the core's own first attempt would; if the word changed
     * meanwhile, one more from the word found. The word is read first rather than guessed: a
     * compare-and-set that expected {@code 0} failed on 56–74 % of the acquisitions of a contended
     * lockbench run (the mutex free, waiters queued), each failure a second atomic operation, and the
     * read costs nothing measurable uncontended ({@code docs/architecture.md}). Records no owner.
     *
     * @return the state word the acquisition left (what the release expects), or 0 if not taken
     */
    private int takeFree() {
        int s = state();
        if (mayTakeFree(s)) {
            int found = exchangeLockBits(s, LOCKED);
            if (found == s || mayTakeFree(found) && casLockBits(found, LOCKED)) {
                return found | LOCKED;
            }
        }
        return 0;
    }

    /** Whether {@link #takeFree()} may take the mutex from word {@code s}: free, not profiled, and unqueued or barging. */
    private boolean mayTakeFree(int s) {
        return s == 0 || (s & (LOCKED | PROFILED)) == 0 && bargesPastQueue(EXCLUSIVE);
    }

    boolean tryAcquireNow() {
        if (tryAcquire(EXCLUSIVE, true)) {
            setExclusiveOwnerThread(Thread.currentThread());
            return true;
        }
        return false;
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

    /** Releases a hold that has no tracked record (tests). */
    void releaseLock(boolean fair) {
        releaseLock(fair, null);
    }

    /**
     * Releases the hold of a guard (or a scoped call) whose tracked record, if any, is in
     * {@code holds}. The owner record is cleared before the releasing CAS.
     */
    void releaseLock(boolean fair, HeldLocks holds) {
        releaseLock(fair, holds, HELD_ALONE);
    }

    /**
     * Releases, expecting the state word to be {@code held} (what {@link #acquire()} returned): with
     * waiters queued at the acquisition they are usually still queued at the release, and expecting
     * that word makes the release one compare-and-set in either case. A wrong guess costs one more,
     * from the word the first one found. Either succeeds only with SIGNAL and PROFILED clear, where
     * freeing the lock bit is all a release does ({@code RawLock.release} decides the same way).
     */
    void releaseLock(boolean fair, HeldLocks holds, int held) {
        recordRelease(holds, EXCLUSIVE);
        setExclusiveOwnerThread(null);
        int expect = held & QUEUED | LOCKED;
        int seen;
        if (fair || (seen = exchangeLockBits(expect, 0)) != expect && !releaseFrom(seen)) {
            releaseSlowly(fair);
        }
    }

    /** The release's second try, from the word {@code seen} its first one found. */
    private boolean releaseFrom(int seen) {
        return (seen & (LOCKED | SIGNAL | PROFILED)) == LOCKED && casLockBits(seen, 0);
    }

    /** The release's other paths, out of line so that the fast path inlines into its callers. */
    private void releaseSlowly(boolean fair) {
        if ((state() & LOCKED) == 0) {
            throw new IllegalStateException(this + " is not locked: a guard was released twice at once");
        }
        release(EXCLUSIVE, fair);
    }

    // ---------------------------------------------------------------- diagnostics, for guards, views and nodes

    /** Before a thread acquisition: the rank check, and the thread's holdings ({@code null} if untracked). */
    HeldLocks beforeThreadAcquisition() {
        return threadAcquiring(EXCLUSIVE);
    }

    /** Records a hold in {@code holds} (nothing if {@code null}); returns what the guard keeps. */
    HeldLocks held(HeldLocks holds) {
        return recordHold(holds, EXCLUSIVE);
    }

    /** Before a task's acquisition: the rank check against what it holds. */
    void beforeTaskAcquisition(HeldLocks task) {
        taskAcquiring(task, EXCLUSIVE);
    }

    /** A guard used on the current thread: it holds the mutex from now on, if a thread did before. */
    HeldLocks usedOnCurrentThread(HeldLocks holds) {
        return takenOverByCurrentThread(holds, EXCLUSIVE);
    }

    /** Before a condition wait with a hold recorded in {@code holds}: its re-acquisition's rank check. */
    void checkResumeOrder(HeldLocks holds) {
        resumingHold(holds, EXCLUSIVE);
    }

    /** A hold recorded in {@code holds} is suspended (a condition wait released the mutex). */
    void holdSuspended(HeldLocks holds) {
        recordRelease(holds, EXCLUSIVE);
    }

    /** Records an asynchronous task's wait for {@code node} (tracked mutexes only). */
    void taskWaits(HeldLocks task, Acquisition<?> node) {
        recordTaskWait(task, node);
    }

    /** The task's wait for {@code node} ended with a grant. */
    void taskWaitOver(HeldLocks task, Acquisition<?> node) {
        recordTaskWaitOver(task, node);
    }

    /** Sets the thread the JVM sees as the owner ({@code null}: none, for a task's hold). */
    void recordOwner(Thread owner) {
        setExclusiveOwnerThread(owner);
    }

    @Override
    protected boolean exclusive(int mode) {
        return true;
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

    /** Every hold of a mutex is exclusive: diagnostics time them all. */
    @Override
    protected boolean heldExclusively(int lockBits) {
        return lockBits == LOCKED;
    }

    // After every other static field: the exercise below uses them.
    static {
        EagerInit.run(); // no virtual thread waits for a class initializer on its first contention
        EagerInit.exerciseCallSites(); // nor links a call site there
    }

    /** Builds a {@link Mutex} with non-default settings. */
    public static final class Builder extends LockBuilder<Builder> {
        Builder() {
        }

        /**
         * A mutex guarding {@code value} with this builder's settings.
         *
         * @param value the guarded value (may be null)
         * @param <T>   the type of the guarded value
         * @return the new mutex
         */
        public <T> Mutex<T> build(T value) {
            return new Mutex<>(value, config(), tracking());
        }
    }
}
